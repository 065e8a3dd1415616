"""The web edge: webhooks (verify, parse, dedup, enqueue), health, export downloads, the demo page."""
