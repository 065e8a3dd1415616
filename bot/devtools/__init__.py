"""Developer tools: make run's launcher, the flask CLI commands, the organization import."""
