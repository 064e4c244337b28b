"""Settings of the bare Channels application the messaging benchmark compares against: Channels
and the Redis channel layer (configured exactly as config.settings does), nothing else."""

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-bare-messaging")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": 15}]},
    }
}
