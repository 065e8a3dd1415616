"""Persistence: the engine and sessions, models, named queries and writes, Redis connections."""
