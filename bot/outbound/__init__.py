"""What goes out: the keyed outbox (claimed, sent once) and the sender over the OA or Bot channel."""
