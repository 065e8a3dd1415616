"""One message's conversation in the worker: the event job, the router, the context, pending questions."""
