"""ASGI entry point of the baseline app (see bench.bare_settings)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
application = get_asgi_application()
