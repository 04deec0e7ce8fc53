"""The human API reference at /api/docs/, drawn on the server from the OpenAPI document."""
