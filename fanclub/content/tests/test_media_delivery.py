"""Media delivery asks the content policy with the viewer's country; locked viewers never get a
sharp frame of a video; masked mode works on S3 too."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from fanclub.content import services
from fanclub.content.tests.factories import make_creator, make_post, png_bytes, ready_media
from fanclub.creators import services as creator_services
from fanclub.creators.tests.test_faces import face_image
from fanclub.media import delivery
from fanclub.media import services as media_services
from fanclub.media.constants import MediaState, Variant
from fanclub.media.models import MediaItem, MediaUsage
from fanclub.media.tests import corpus
from fanclub.media.tests.test_s3 import _keys, s3, s3_server  # noqa: F401 (fixtures)

GB_IP = "81.2.69.160"  # GB in the bundled iptocc database
US_IP = "8.8.8.8"


def _client(user=None, **defaults) -> Client:
    client = Client(**defaults)
    if user is not None:
        client.force_login(user)
    return client


def _signed(media: MediaItem, variant: str, viewer: str) -> str:
    file = delivery.entry_file(media, variant)
    assert file is not None
    return delivery.signed_path(
        media_id=media.pk, variant=variant, file=file, viewer=viewer, expires=int(time.time()) + 300
    )


def _variants(item) -> dict[str, str]:
    return {variant["name"]: variant["url"] for variant in item["variants"]}


@pytest.mark.django_db
def test_geo_blocked_visitor_gets_451_from_delivery_even_with_a_valid_signed_url(make_user):
    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=999, currency="USD")
    creator_services.membership_grant(creator=creator, fan=fan, tier_id=tier.pk)
    public = make_post(creator, access="public", media_ids=[ready_media(creator, png_bytes((1, 2, 3))).pk])
    locked = make_post(creator, access="subscribers", media_ids=[ready_media(creator).pk])
    anon_urls = _variants(_client(REMOTE_ADDR=US_IP).get(f"/api/v1/posts/{public.pk}").json()["media"][0])
    preview_url = _variants(_client(REMOTE_ADDR=US_IP).get(f"/api/v1/posts/{locked.pk}").json()["preview"])[
        "blurred"
    ]
    fan_url = _variants(_client(fan, REMOTE_ADDR=US_IP).get(f"/api/v1/posts/{locked.pk}").json()["media"][0])[
        "display"
    ]
    owner_media = MediaItem.objects.get(pk=locked.attachments.get().media_id)
    owner_url = _signed(owner_media, Variant.ORIGINAL, f"u{creator.pk}")
    before = list(MediaItem.objects.order_by("pk").values("pk", "state", "variants", "deleted_at"))

    creator_services.creator_profile_update(user=creator, blocked_countries=["GB"])

    for client, url in (
        (_client(REMOTE_ADDR=GB_IP), anon_urls["display"]),
        (_client(REMOTE_ADDR=GB_IP), preview_url),  # even the public-safe blurred preview
        (_client(fan, REMOTE_ADDR=GB_IP), fan_url),  # an active subscriber too
    ):
        denied = client.get(url)
        assert denied.status_code == 451, url
        assert denied.json()["error"]["code"] == "geo_blocked"
        assert denied["Cache-Control"] == "private, no-store"
        assert not hasattr(denied, "streaming_content")
    # The same URLs from elsewhere, and the creator from the blocked country, still work.
    assert _client(REMOTE_ADDR=US_IP).get(anon_urls["display"]).status_code == 200
    assert _client(REMOTE_ADDR=US_IP).get(preview_url).status_code == 200
    assert _client(fan, REMOTE_ADDR=US_IP).get(fan_url).status_code == 200
    assert _client(creator, REMOTE_ADDR=GB_IP).get(owner_url).status_code == 200
    # As the pages and API answer the same visitor:
    assert _client(REMOTE_ADDR=GB_IP).get(f"/api/v1/posts/{public.pk}").status_code == 404
    assert _client(REMOTE_ADDR=GB_IP).get("/c/lena/").status_code == 451
    assert list(MediaItem.objects.order_by("pk").values("pk", "state", "variants", "deleted_at")) == before


@pytest.mark.django_db
def test_locked_viewers_never_get_the_video_poster(make_user, tmp_path):
    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    subscriber = make_user(handle="sub")
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=999, currency="USD")
    creator_services.membership_grant(creator=creator, fan=subscriber, tier_id=tier.pk)
    video = ready_media(creator, corpus.video_mp4(tmp_path), "clip.mp4")
    assert {Variant.POSTER, Variant.TEASER} <= set(video.variants)
    post = make_post(creator, access="subscribers", media_ids=[video.pk])

    for user, viewer in ((None, "anon"), (fan, f"u{fan.pk}")):
        client = _client(user)
        body = client.get(f"/api/v1/posts/{post.pk}").json()
        assert body["media"] == [] and list(_variants(body["preview"])) == [Variant.TEASER]
        assert "/poster." not in client.get(f"/p/{post.pk}/").content.decode()
        assert client.get(_variants(body["preview"])[Variant.TEASER]).status_code == 200
        denied = client.get(_signed(video, Variant.POSTER, viewer))  # a URL signed for them anyway
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "media_locked"

    entitled = _client(subscriber)
    media = entitled.get(f"/api/v1/posts/{post.pk}").json()["media"][0]
    poster = entitled.get(_variants(media)[Variant.POSTER])
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"


@pytest.mark.django_db(transaction=True)
def test_masked_mode_blurs_faces_through_the_pipeline_on_s3(make_user, run_jobs, s3, settings):  # noqa: F811
    creator = make_creator(make_user, "masked", masked_mode=True)
    original = media_services.media_create_from_bytes(owner=creator, filename="me.png", data=face_image())
    run_jobs(queues=["media"])
    original.refresh_from_db()
    assert original.state == MediaState.READY, original.failure_reason
    post = make_post(creator, access="public", media_ids=[original.pk])

    new_media = services.post_media_blur_faces(user=creator, post_id=post.pk, media_id=original.pk)
    assert new_media.state == MediaState.UPLOADED
    assert new_media.original_filename == "me-blurred.png" and new_media.source_format == "png"
    run_jobs(queues=["media"])
    new_media.refresh_from_db()
    post.refresh_from_db()

    assert new_media.state == MediaState.READY, new_media.failure_reason
    assert list(post.attachments.values_list("media_id", flat=True)) == [new_media.pk]
    assert list(MediaUsage.objects.values_list("media_id", flat=True)) == [new_media.pk]
    env = settings.MEDIA_STORAGE_ENV
    expected = sorted(
        f"{env}/{creator.pk}/{item.pk}/{entry['file']}"
        for item in (original, new_media)
        for entry in item.variants.values()
    )
    assert _keys(s3) == expected  # sources removed after processing, nothing under _uploads
    display = _client(creator).get(_signed(new_media, Variant.DISPLAY, f"u{creator.pk}"))
    assert display.status_code == 200
    assert b"".join(display.streaming_content)[:4] == b"RIFF"
