"""The full platform with its middleware stack removed: the same settings, apps, URLconf, views and
database as ``config.wsgi``, with the handler's middleware chain rebuilt empty after start-up (the
setting itself must stay, as allauth checks it at start). Ours against this isolates what the
stack costs."""

from django.conf import settings

from config.wsgi import application

settings.MIDDLEWARE = []
application.load_middleware()
