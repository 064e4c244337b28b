"""Test settings: the real stack (PostgreSQL, jobs, Channels) with fast password hashing."""

import os

os.environ.setdefault("FANCLUB_MODE", "test")
os.environ.setdefault("EMAIL_URL", "memory://")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Job workers run sync tasks in pool threads; with persistent connections each thread keeps one
# open past the test, and the test database cannot be dropped at the end of the run.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# The suite's own Redis-backed tests get Redis through the `redis_url` fixture; the default cache,
# rate limiter and channel layer stay in-process so tests do not share state through Redis.
os.environ.setdefault("FANCLUB_TEST_REDIS_URL", os.environ.get("REDIS_URL", ""))
os.environ["REDIS_URL"] = ""

from config.settings import *  # noqa: F403
from config.settings import DATA_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = DATA_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Tests that need a cross-process layer configure Redis or PostgreSQL explicitly.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
WHITENOISE_AUTOREFRESH = True
# Several test runs may share one private PostgreSQL server; give each its own database name.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FANCLUB_TEST_DB", "test_fanclub")}  # noqa: F405
