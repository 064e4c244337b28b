"""Clients of third-party services (mail, web push...), each behind a small typed function."""
