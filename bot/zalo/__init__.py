"""Zalo: the OA Open API client, OAuth token rotation, the Bot API, and our local simulator."""
