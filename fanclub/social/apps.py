from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "fanclub.social"
    label = "social"
    default_auto_field = "django.db.models.BigAutoField"
