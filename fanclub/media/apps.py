from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "fanclub.media"
    label = "media"
    verbose_name = "Media"
