"""Creator archetypes, boundary categories, membership states and the currencies tiers may use."""

from __future__ import annotations

from django.db import models


class Archetype(models.TextChoices):
    ARTIST = "artist", "Artist"
    MODEL = "model", "Model"
    FITNESS = "fitness", "Fitness"
    MUSICIAN = "musician", "Musician"
    EDUCATOR = "educator", "Educator"
    COSPLAYER = "cosplayer", "Cosplayer"
    GAMER = "gamer", "Gamer"
    WRITER = "writer", "Writer"
    OTHER = "other", "Other"


# The structured boundary profile: each category is either made ("does") or not ("doesNot").
BOUNDARY_CATEGORIES: dict[str, str] = {
    "photos": "Photos",
    "videos": "Videos",
    "audio": "Audio",
    "livestreams": "Live streams",
    "custom-requests": "Custom requests",
    "lingerie": "Lingerie",
    "nudity": "Nudity",
    "explicit": "Explicit content",
    "fetish": "Fetish",
    "collaborations": "Collaborations with others",
    "face-shown": "Face shown",
    "behind-the-scenes": "Behind the scenes",
    "tutorials": "Tutorials",
}


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class MembershipSource(models.TextChoices):
    COMP = "comp", "Complimentary"
    BILLING = "billing", "Billing"


CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "BRL", "MXN")
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})
MAX_TIERS = 10
MAX_LINKS = 10
MAX_PRICE_MINOR = 100_000_00  # 100,000.00 in the currency: a sanity bound, not a business rule
