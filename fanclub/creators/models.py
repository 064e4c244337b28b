from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanclub.creators.constants import Archetype, MembershipSource, MembershipStatus


class CreatorProfile(models.Model):
    """A creator's public persona. The handle is the account's handle (unique, case-insensitive).

    Nothing here is private: the legal identity lives in :class:`LegalIdentity`, which no public
    selector, page or endpoint reads. ``boundaries`` is ``{"does": [category...], "doesNot": [...]}``
    with categories from ``constants.BOUNDARY_CATEGORIES``. ``blocked_countries`` holds ISO 3166-1
    alpha-2 codes; visitors from them see the profile and its posts as unavailable.

    ``followers_count`` is kept exact by PostgreSQL triggers on ``social_follow`` (statement-level,
    one UPDATE per statement for all affected creators; migration ``social.0004``), whatever writes
    the follows: services, raw SQL, cascades. Never write it from Python; the daily
    ``followers_count_reconcile`` job only repairs drift (expected none).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="creator_profile"
    )
    display_name = models.CharField(max_length=80)
    bio = models.TextField(max_length=2000, blank=True)
    avatar_media = models.ForeignKey(
        "media.MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    banner_media = models.ForeignKey(
        "media.MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    links = models.JSONField(default=list, blank=True)
    archetype = models.CharField(max_length=16, choices=Archetype.choices, default=Archetype.OTHER)
    boundaries = models.JSONField(default=dict, blank=True)
    blocked_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    masked_mode = models.BooleanField(default=False)
    followers_count = models.BigIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(archetype__in=Archetype.values), name="creators_archetype_valid"
            ),
            models.CheckConstraint(
                condition=Q(followers_count__gte=0), name="creators_followers_count_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class LegalIdentity(models.Model):
    """The creator's legal identity: for payouts, tax and compliance only, never shown publicly.

    Only the owner's private endpoint and page (and, later, compliance staff) read it.
    """

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="legal_identity"
    )
    legal_name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    address = models.TextField(max_length=1000, blank=True)
    tax_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"legal identity of user {self.creator_id}"


class Tier(models.Model):
    """A paid subscription level of a creator (the catalogue; billing charges for it).

    Archived tiers keep their members and history but are no longer offered.
    """

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=60)
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    benefits = models.TextField(max_length=2000, blank=True)
    member_cap = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    welcome_message = models.TextField(max_length=2000, blank=True)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "creator",
                models.functions.Lower("name"),
                condition=Q(is_archived=False),
                name="creators_tier_name_unique",
            ),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="creators_tier_price_positive"),
            models.CheckConstraint(
                condition=Q(member_cap__isnull=True) | Q(member_cap__gt=0), name="creators_tier_cap_positive"
            ),
        ]
        indexes = [models.Index(fields=["creator", "position", "id"], name="creators_tier_order_idx")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """ "This fan is subscribed to this creator at this tier until ``current_period_end``".

    Written by ``services.membership_grant``/``membership_end`` only (complimentary access today,
    billing later). A membership counts as active while ``status`` is active and the period has not
    ended (``current_period_end`` null means open-ended, e.g. a comp without end date): the policy
    checks the date itself, so an expired period stops granting access even before a job runs.
    At most one active membership per fan and creator (a unique constraint, not check-then-act).
    """

    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="members")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    source = models.CharField(max_length=10, choices=MembershipSource.choices)
    current_period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fan", "creator"], condition=Q(status="active"), name="creators_membership_one_active"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values), name="creators_membership_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["fan", "creator", "status"], name="creators_member_fan_idx"),
            models.Index(fields=["creator", "status", "-created_at"], name="creators_member_creator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.fan_id} -> {self.creator_id} ({self.status})"
