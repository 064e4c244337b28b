"""EMAIL_WEBHOOK_SECRET / EMAIL_WEBHOOK_SIGNING_KEY: parsed strictly, refused in production when missing."""

from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path

import pytest

from config.options import ANYMAIL_ESPS, ANYMAIL_TRACKING_WEBHOOKS
from fanclub.core.tests.test_settings import PRODUCTION, _read, clean_environment, run_python

POSTMARK = "anymail://postmark?SERVER_TOKEN=pm-123"
STRONG = "postmark:" + "s" * 24


def test_production_refuses_an_esp_whose_webhook_has_no_secret():
    cfg, problems = _read({**PRODUCTION, "EMAIL_URL": POSTMARK})

    assert problems == [
        "EMAIL_WEBHOOK_SECRET: production with anymail://postmark needs user:password for its "
        "delivery-status webhook"
    ]
    assert cfg["EMAIL_TRACKING_ESP"] == "postmark"


def test_production_with_a_secret_mounts_the_webhook_with_it():
    cfg, problems = _read({**PRODUCTION, "EMAIL_URL": POSTMARK, "EMAIL_WEBHOOK_SECRET": STRONG})

    assert problems == []
    assert cfg["EMAIL_TRACKING_ESP"] == "postmark"
    assert cfg["EMAIL_ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "pm-123", "WEBHOOK_SECRET": [STRONG]}


def test_development_allows_an_open_webhook_and_secrets_may_rotate():
    cfg, problems = _read({"EMAIL_URL": POSTMARK})
    assert (problems, cfg["EMAIL_TRACKING_ESP"], cfg["EMAIL_ANYMAIL"]) == (
        [],
        "postmark",
        {"POSTMARK_SERVER_TOKEN": "pm-123"},
    )

    cfg, problems = _read({"EMAIL_URL": POSTMARK, "EMAIL_WEBHOOK_SECRET": "old:pw-1, new:pw:2"})
    assert problems == []
    assert cfg["EMAIL_ANYMAIL"]["WEBHOOK_SECRET"] == ["old:pw-1", "new:pw:2"]


@pytest.mark.parametrize("secret", ["no-colon", ":password", "user:", "user:pass word", "a:b,,c:d"])
def test_a_malformed_secret_is_a_problem_in_any_mode(secret):
    _, problems = _read({"EMAIL_URL": POSTMARK, "EMAIL_WEBHOOK_SECRET": secret})

    assert problems == ["EMAIL_WEBHOOK_SECRET: expected user:password (comma-separated while rotating)"]


def test_production_refuses_a_short_webhook_password():
    _, problems = _read({**PRODUCTION, "EMAIL_URL": POSTMARK, "EMAIL_WEBHOOK_SECRET": "postmark:short"})

    assert problems == ["EMAIL_WEBHOOK_SECRET: use a password of at least 16 random characters"]


def test_the_secret_can_come_from_a_file(tmp_path: Path):
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(STRONG + "\n")

    cfg, problems = _read(
        {**PRODUCTION, "EMAIL_URL": POSTMARK, "EMAIL_WEBHOOK_SECRET_FILE": str(secret_file)}
    )

    assert problems == []
    assert cfg["EMAIL_ANYMAIL"]["WEBHOOK_SECRET"] == [STRONG]


def test_an_esp_that_signs_its_webhook_needs_its_signing_key_in_production():
    mailgun = "anymail://mailgun?API_KEY=key-1&SENDER_DOMAIN=mg.example.com"
    base = {**PRODUCTION, "EMAIL_URL": mailgun, "EMAIL_WEBHOOK_SECRET": STRONG}

    _, problems = _read(base)
    assert problems == [
        "EMAIL_WEBHOOK_SIGNING_KEY: production with anymail://mailgun needs the ESP's webhook signing key "
        "(anymail's MAILGUN_WEBHOOK_SIGNING_KEY)"
    ]

    cfg, problems = _read({**base, "EMAIL_WEBHOOK_SIGNING_KEY": "whsk-1"})
    assert problems == []
    assert cfg["EMAIL_ANYMAIL"]["MAILGUN_WEBHOOK_SIGNING_KEY"] == "whsk-1"


def test_a_signing_key_for_an_esp_that_signs_nothing_is_a_problem():
    _, problems = _read({"EMAIL_URL": POSTMARK, "EMAIL_WEBHOOK_SIGNING_KEY": "x"})

    assert problems == [
        "EMAIL_WEBHOOK_SIGNING_KEY: anymail://postmark signs nothing; its webhook uses EMAIL_WEBHOOK_SECRET"
    ]


@pytest.mark.parametrize(
    "email_url", ["smtp://mail.example.com", "anymail://test", "anymail://scaleway?SECRET_KEY=s&PROJECT_ID=p"]
)
def test_webhook_settings_without_a_webhook_are_a_problem(email_url):
    cfg, problems = _read({"EMAIL_URL": email_url, "EMAIL_WEBHOOK_SECRET": "u:p"})

    assert problems == [
        "EMAIL_WEBHOOK_SECRET: only used with EMAIL_URL=anymail://<esp> of an ESP with a tracking webhook"
    ]
    assert cfg["EMAIL_TRACKING_ESP"] == ""


def test_the_webhook_table_names_anymails_tracking_views():
    """Every ESP we send through has its tracking view listed, and each view exists in anymail."""
    from anymail import urls as anymail_urls

    tracking_views = {
        pattern.callback.view_class.__name__
        for pattern in anymail_urls.urlpatterns
        if "tracking" in pattern.name
    } | {"MandrillCombinedWebhookView"}
    assert set(ANYMAIL_TRACKING_WEBHOOKS) == set(ANYMAIL_ESPS) - {"test", "scaleway"}
    for esp, (view_name, _, _) in ANYMAIL_TRACKING_WEBHOOKS.items():
        module = importlib.import_module(f"anymail.webhooks.{esp}")
        assert getattr(module, view_name).__name__ in tracking_views, esp


@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        (POSTMARK, ["notifications.webhooks.FanclubPostmarkTrackingWebhookView", [STRONG]]),
        ("memory://", ["404", None]),
    ],
)
def test_the_webhook_url_exists_only_with_an_anymail_esp(email_url, expected):
    script = textwrap.dedent(
        """
        import json, django
        django.setup()
        from django.conf import settings
        from django.urls import Resolver404, resolve
        try:
            view = resolve("/hooks/email/postmark/tracking/").func.view_class
            name = view.__module__.removeprefix("fanclub.") + "." + view.__name__
        except Resolver404:
            name = "404"
        print(json.dumps([name, getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET")]))
        """
    )
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_URL=email_url,
        **({"EMAIL_WEBHOOK_SECRET": STRONG} if email_url.startswith("anymail") else {}),
    )

    result = run_python("-c", script, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
