"""Chi hội Bot: collects chapter activity reports over Zalo and turns them into figures."""
