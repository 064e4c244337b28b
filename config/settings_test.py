"""Test settings: the real stack (PostgreSQL, jobs, Channels) with fast password hashing."""

import os

os.environ.setdefault("FANCLUB_MODE", "test")
os.environ.setdefault("EMAIL_URL", "memory://")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The suite's own Redis-backed tests get Redis through the `redis_url` fixture; the default cache,
# rate limiter and channel layer stay in-process so tests do not share state through Redis.
os.environ.setdefault("FANCLUB_TEST_REDIS_URL", os.environ.get("REDIS_URL", ""))
os.environ["REDIS_URL"] = ""

from config.settings import *  # noqa: E402, F403
from config.settings import DATA_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = DATA_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
