from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """The image community: votes, swipes, engagement events, rankings, trending, badges."""

    name = "fanclub.community"
    label = "community"
    default_auto_field = "django.db.models.BigAutoField"
