from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from fanclub.core.schemas import ApiSchema


class LinkSchema(ApiSchema):
    label: str = ""
    url: str


class BoundariesSchema(ApiSchema):
    does: list[str] = []
    does_not: list[str] = []


class CreatorBecomeIn(ApiSchema):
    display_name: str = Field(min_length=1, max_length=80)
    archetype: str = "other"
    bio: str = Field("", max_length=2000)


class CreatorUpdateIn(ApiSchema):
    display_name: str | None = Field(None, max_length=80)
    bio: str | None = Field(None, max_length=2000)
    archetype: str | None = None
    links: list[LinkSchema] | None = None
    boundaries: BoundariesSchema | None = None
    blocked_countries: list[str] | None = None
    masked_mode: bool | None = None
    avatar_media_id: str | None = None
    banner_media_id: str | None = None


class TierOut(ApiSchema):
    id: int
    name: str
    price_minor: int
    currency: str
    benefits: str
    member_cap: int | None
    spots_left: int | None
    position: int


class MyTierOut(TierOut):
    welcome_message: str
    member_count: int


class TierIn(ApiSchema):
    name: str = Field(min_length=1, max_length=60)
    price_minor: int = Field(gt=0)
    currency: str = "USD"
    benefits: str = Field("", max_length=2000)
    member_cap: int | None = Field(None, gt=0)
    welcome_message: str = Field("", max_length=2000)
    position: int | None = Field(None, ge=0, le=1000)


class TierUpdateIn(ApiSchema):
    name: str | None = Field(None, min_length=1, max_length=60)
    price_minor: int | None = Field(None, gt=0)
    currency: str | None = None
    benefits: str | None = Field(None, max_length=2000)
    member_cap: int | None = Field(None, gt=0)
    welcome_message: str | None = Field(None, max_length=2000)
    position: int | None = Field(None, ge=0, le=1000)


class ViewerMembershipOut(ApiSchema):
    tier_id: int
    tier_name: str
    current_period_end: datetime | None


class CreatorOut(ApiSchema):
    """The public persona: nothing private (no legal identity, no blocked countries)."""

    handle: str
    display_name: str
    bio: str
    archetype: str
    avatar_url: str | None
    banner_url: str | None
    links: list[LinkSchema]
    boundaries: BoundariesSchema
    follower_count: int
    tiers: list[TierOut]
    is_following: bool
    membership: ViewerMembershipOut | None


class MyCreatorOut(CreatorOut):
    blocked_countries: list[str]
    masked_mode: bool
    my_tiers: list[MyTierOut]


class LegalIdentityIn(ApiSchema):
    legal_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date | None = None
    country: str = Field("", max_length=2)
    address: str = Field("", max_length=1000)
    tax_id: str = Field("", max_length=64)


class LegalIdentityOut(LegalIdentityIn):
    updated_at: datetime


class MembershipGrantIn(ApiSchema):
    fan_handle: str
    tier_id: int
    current_period_end: datetime | None = None


class MembershipOut(ApiSchema):
    id: int
    fan_handle: str
    creator_handle: str
    tier_id: int
    tier_name: str
    status: str
    source: str
    current_period_end: datetime | None
    created_at: datetime
    welcome_message: str | None = None


class MembershipPageOut(ApiSchema):
    items: list[MembershipOut]
    next_cursor: str | None
