"""Demo data, so a fresh install is never empty: a few creators and fans with generated avatars.

Every record goes through the same services real users go through. Idempotent: running it twice
does not create duplicates. Everyone's password is ``DEMO_PASSWORD`` (development only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from fanclub.accounts import services as account_services
from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.jobs import run_pending_jobs

DEMO_PASSWORD = "fanclub-demo-password"  # noqa: S105 - documented demo credential


@dataclass(frozen=True)
class DemoPerson:
    handle: str
    display_name: str
    role: str


PEOPLE = [
    DemoPerson("aurora.lens", "Aurora Lens", Role.CREATOR),
    DemoPerson("milo.makes", "Milo Makes", Role.CREATOR),
    DemoPerson("nightowl.art", "Night Owl Art", Role.CREATOR),
    DemoPerson("sol.fitness", "Sol Fitness", Role.CREATOR),
    DemoPerson("ivy.sings", "Ivy Sings", Role.CREATOR),
    DemoPerson("fan.alex", "Alex", Role.FAN),
    DemoPerson("fan.sam", "Sam", Role.FAN),
    DemoPerson("mod.rita", "Rita (moderator)", Role.MODERATOR),
]


def demo_load() -> list[User]:
    """Create whatever demo accounts are missing, then run their queued jobs (avatars)."""
    created = []
    with transaction.atomic():
        for person in PEOPLE:
            if User.objects.filter(handle__iexact=person.handle).exists():
                continue
            created.append(
                account_services.user_create(
                    email=f"{person.handle}@demo.fanclub.localhost",
                    handle=person.handle,
                    password=DEMO_PASSWORD,
                    display_name=person.display_name,
                    date_of_birth=date(1995, 5, 17),
                    role=person.role,
                )
            )
    run_pending_jobs(queues=["accounts"])
    demo_creators_load()
    demo_social_load()
    return created


@dataclass(frozen=True)
class DemoStudio:
    archetype: str
    bio: str
    tiers: tuple[tuple[str, int, str], ...]  # (name, monthly price in cents, benefits)
    colors: tuple[tuple[int, int, int], ...]


STUDIOS: dict[str, DemoStudio] = {
    "aurora.lens": DemoStudio(
        "artist",
        "Landscape photographer chasing northern lights.",
        (("Supporter", 500, "Every photo in full resolution"), ("Patron", 1500, "Monthly print vote")),
        ((40, 180, 140), (90, 60, 200), (230, 120, 60)),
    ),
    "milo.makes": DemoStudio(
        "educator",
        "Woodworking builds and tutorials.",
        (("Apprentice", 400, "Build plans"),),
        ((160, 110, 60), (200, 170, 120), (90, 70, 50)),
    ),
    "nightowl.art": DemoStudio(
        "artist",
        "Digital paintings after dark.",
        (("Night shift", 700, "Work in progress and brushes"),),
        ((20, 30, 80), (120, 40, 160), (240, 200, 90)),
    ),
    "sol.fitness": DemoStudio(
        "fitness",
        "Daily workouts, no equipment needed.",
        (("Training plan", 900, "Weekly plans"),),
        ((250, 140, 40), (240, 80, 80), (60, 160, 220)),
    ),
    "ivy.sings": DemoStudio(
        "musician",
        "Covers, originals and voice notes.",
        (("Front row", 600, "Early releases"),),
        ((200, 60, 120), (80, 200, 160), (240, 230, 200)),
    ),
}


def _demo_image(color: tuple[int, int, int], seed: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 720), color)
    draw = ImageDraw.Draw(image)
    for index in range(6):
        offset = (seed * 37 + index * 113) % 700
        shade = tuple(min(255, channel + 25 * index) for channel in color)
        draw.ellipse((offset, 80 + index * 60, offset + 260, 340 + index * 60), fill=shade)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def demo_creators_load() -> int:
    """Profiles, tiers and a few posts (generated images through the real media pipeline) for every
    demo creator without a profile yet. Returns the number of creators set up."""

    from fanclub.content import services as content_services
    from fanclub.creators import services as creator_services
    from fanclub.creators.models import CreatorProfile
    from fanclub.media import services as media_services

    done = 0
    for person in PEOPLE:
        studio = STUDIOS.get(person.handle)
        user = User.objects.filter(handle__iexact=person.handle).first()
        if studio is None or user is None or CreatorProfile.objects.filter(pk=user.pk).exists():
            continue
        with transaction.atomic():
            creator_services.creator_become(
                user=user, display_name=person.display_name, archetype=studio.archetype, bio=studio.bio
            )
            tiers = [
                creator_services.tier_create(user=user, name=name, price_minor=price, benefits=benefits)
                for name, price, benefits in studio.tiers
            ]
        media = []
        for index, color in enumerate(studio.colors):
            data = _demo_image(color, index)
            media.append(
                media_services.media_create_from_bytes(owner=user, filename=f"demo-{index}.jpg", data=data)
            )
        with transaction.atomic():
            content_services.post_create(
                creator=user,
                text="Welcome to my page!",
                media_ids=[media[0].pk],
                access="public",
                publish=True,
            )
            content_services.post_create(
                creator=user,
                text="For my subscribers: the full set.",
                media_ids=[media[1].pk, media[0].pk],
                access="subscribers",
                publish=True,
            )
            content_services.post_create(
                creator=user,
                text="Pay-per-view special (free for my top tier).",
                media_ids=[media[2].pk],
                access="ppv",
                price_minor=300,
                currency="USD",
                tier_ids=[tiers[-1].pk],
                tags=["special", "demo"],
                publish=True,
            )
        done += 1
    run_pending_jobs(queues=["media"])
    return done


FOLLOWS = {
    "fan.alex": ("aurora.lens", "milo.makes", "nightowl.art"),
    "fan.sam": ("aurora.lens", "ivy.sings", "sol.fitness"),
}


def demo_social_load() -> bool:
    """Follows, votes, a conversation and today's rankings, so the feed, explore, rankings,
    messages and notifications pages have something to show. Runs once (skipped when the demo
    fans already follow someone); everything goes through the real services and jobs."""
    from django.utils import timezone

    from fanclub.community import rankings
    from fanclub.community import services as community_services
    from fanclub.content.models import Post
    from fanclub.messaging import services as messaging_services
    from fanclub.social import services as social_services
    from fanclub.social.models import Follow

    fans = {user.handle: user for user in User.objects.filter(handle__in=FOLLOWS)}
    if len(fans) < len(FOLLOWS) or Follow.objects.filter(follower__in=fans.values()).exists():
        return False
    creators = {user.handle: user for user in User.objects.filter(role=Role.CREATOR)}
    for fan_handle, followed in FOLLOWS.items():
        fan = fans[fan_handle]
        for creator_handle in followed:
            if creator_handle in creators:
                social_services.follow_create(follower=fan, creator=creators[creator_handle])
        public = Post.objects.filter(creator__handle__in=followed, access="public").order_by("id")
        for index, post in enumerate(public):
            community_services.post_vote_set(user=fan, post_id=post.pk, value=1 if index % 3 else -1)
    alex, aurora = fans["fan.alex"], creators.get("aurora.lens")
    if aurora is not None:
        participant = messaging_services.conversation_open(user=alex, handle=aurora.handle)
        messaging_services.message_send(
            sender=alex, conversation_id=participant.conversation_id, text="Loved the northern lights set!"
        )
        messaging_services.message_send(
            sender=aurora, conversation_id=participant.conversation_id, text="Thank you! More coming Friday."
        )
    run_pending_jobs(queues=["notifications", "messaging"])
    rankings.rankings_refresh(now=timezone.now())
    return True


def demo_is_loaded() -> bool:
    return User.objects.filter(handle__iexact=PEOPLE[0].handle).exists()
