from django.db import models

HANDLE_MAX_LENGTH = 30
MINIMUM_AGE_YEARS = 18


class Role(models.TextChoices):
    FAN = "fan", "Fan"
    CREATOR = "creator", "Creator"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"
