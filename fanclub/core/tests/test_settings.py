"""Configuration is parsed once, strictly; production refuses insecure values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import Env
from config.options import ANYMAIL_ESPS, BASE_DIR, DEV_SECRET_KEY, read_config

GOOD_SECRET = "k" * 20 + "3Zq9-rT7_vX2pL8nW4yH6bJ1cF5dG0sA-eM7uK3iO9"  # 60 characters
PRODUCTION = {
    "FANCLUB_MODE": "production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "example.com",
    "BILLING_SANDBOX_WEBHOOK_SECRET": "whsec_" + "p" * 40,
    "VAPID_PUBLIC_KEY": "B" + "p" * 86,
    "VAPID_PRIVATE_KEY": "q" * 43,
}

SECRET_KEY_PROBLEM = "SECRET_KEY: production needs a unique random key of at least 50 characters"
DEBUG_PROBLEM = "DEBUG: must be false in production"
HOSTS_PROBLEM = "ALLOWED_HOSTS: production needs the list of host names the site answers to"
SANDBOX_SECRET_PROBLEM = (
    "BILLING_SANDBOX_WEBHOOK_SECRET: production with the sandbox processor needs its own secret"
)
VAPID_PROBLEM = "VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY: set both or neither (python manage.py vapid_keys)"


def _read(values: dict[str, str]) -> tuple[dict, list[str]]:
    env = Env(source=values)
    return read_config(env), env.problems


def clean_environment(**values: str) -> dict[str, str]:
    """Only what a fresh shell would have, plus ``values`` (the test run's own variables left out)."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return {**base, **values}


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_good_production_values_have_no_problems():
    cfg, problems = _read(PRODUCTION)

    assert problems == []
    assert cfg["MODE"] == "production"
    assert cfg["DEBUG"] is False
    assert cfg["SECRET_KEY"] == GOOD_SECRET
    assert cfg["ALLOWED_HOSTS"] == ["example.com"]
    assert cfg["SECURE_SSL_REDIRECT"] is True
    assert cfg["HSTS_SECONDS"] == 31_536_000


def test_production_refuses_every_insecure_default_at_once():
    _, problems = _read({"FANCLUB_MODE": "production", "DEBUG": "true"})

    assert problems == [SECRET_KEY_PROBLEM, DEBUG_PROBLEM, HOSTS_PROBLEM, SANDBOX_SECRET_PROBLEM]


def test_web_push_is_optional_but_half_a_key_pair_is_refused():
    without_push = {key: value for key, value in PRODUCTION.items() if not key.startswith("VAPID_")}
    assert _read(without_push)[1] == []
    assert _read({**without_push, "VAPID_PUBLIC_KEY": PRODUCTION["VAPID_PUBLIC_KEY"]})[1] == [VAPID_PROBLEM]


def test_production_refuses_the_development_key_and_short_keys():
    assert _read({**PRODUCTION, "SECRET_KEY": DEV_SECRET_KEY})[1] == [SECRET_KEY_PROBLEM]
    assert _read({**PRODUCTION, "SECRET_KEY": "x" * 49})[1] == [SECRET_KEY_PROBLEM]
    assert _read({**PRODUCTION, "SECRET_KEY": "x" * 50})[1] == []


def test_development_defaults_are_accepted_outside_production():
    cfg, problems = _read({})

    assert problems == []
    assert cfg["MODE"] == "development"
    assert cfg["DEBUG"] is True
    assert cfg["SECRET_KEY"] == DEV_SECRET_KEY
    assert cfg["SECURE_SSL_REDIRECT"] is False
    assert cfg["HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"DEBUG": "maybe"}, "DEBUG: expected a boolean (true/false/1/0/yes/no/on/off), got 'maybe'"),
        (
            {"RATE_LIMIT_ENABLED": "enabled"},
            "RATE_LIMIT_ENABLED: expected a boolean (true/false/1/0/yes/no/on/off), got 'enabled'",
        ),
        (
            {"RATE_LIMIT_ANON_PER_MINUTE": "lots"},
            "RATE_LIMIT_ANON_PER_MINUTE: expected an integer, got 'lots'",
        ),
        ({"API_MAX_BODY_BYTES": "12"}, "API_MAX_BODY_BYTES: must be at least 1024, got 12"),
        (
            {"FANCLUB_MODE": "staging"},
            "FANCLUB_MODE: expected one of development, production, test, got 'staging'",
        ),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, got 'verbose'"),
        (
            {"DATABASE_URL": "mysql://db/fanclub"},
            "DATABASE_URL: expected a URL starting with postgres or postgresql://",
        ),
        (
            {"REDIS_URL": "localhost:6379"},
            "REDIS_URL: expected a URL starting with redis or rediss or unix://",
        ),
        (
            {"EMAIL_URL": "ftp://mail"},
            "EMAIL_URL: expected console://, memory://, smtp://..., smtps://... or anymail://<esp>?...",
        ),
    ],
)
def test_malformed_value_is_a_problem_not_a_silent_default(values, problem):
    _, problems = _read(values)

    assert problems == [problem]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("YES", True), (" on ", True), ("0", False), ("off", False), ("", False)],
)
def test_boolean_spellings(raw, expected):
    cfg, problems = _read({"DEBUG": raw})

    assert problems == []
    assert cfg["DEBUG"] is expected


def test_lists_are_comma_separated_and_trimmed():
    cfg, problems = _read({"ALLOWED_HOSTS": " example.com, www.example.com ,,"})

    assert problems == []
    assert cfg["ALLOWED_HOSTS"] == ["example.com", "www.example.com"]


def test_secret_from_a_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET + "\n")

    cfg, problems = _read({**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret_file)})

    assert problems == []
    assert cfg["SECRET_KEY"] == GOOD_SECRET


def test_file_wins_over_the_plain_variable(tmp_path):
    token_file = tmp_path / "metrics_token"
    token_file.write_text("from-the-file")

    cfg, _ = _read({"METRICS_TOKEN": "from-the-variable", "METRICS_TOKEN_FILE": str(token_file)})

    assert cfg["METRICS_TOKEN"] == "from-the-file"


def test_unreadable_secret_file_is_a_problem(tmp_path):
    missing = tmp_path / "nope"

    cfg, problems = _read({**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(missing)})

    assert problems == [
        f"SECRET_KEY_FILE: cannot read {str(missing)!r}: No such file or directory",
        SECRET_KEY_PROBLEM,
    ]
    assert cfg["SECRET_KEY"] == DEV_SECRET_KEY


def test_deploy_check_is_clean_with_good_production_values():
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=clean_environment(**PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings"),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_settings_harden_cookies_and_transport():
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
    ]
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"values = {{name: getattr(s, name) for name in {names!r}}}; "
        "values['staticfiles'] = s.STORAGES['staticfiles']['BACKEND']; print(json.dumps(values))"
    )

    result = run_python(
        "-c", script, env=clean_environment(**PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings")
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "staticfiles": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }


def test_settings_refuse_to_load_with_a_malformed_value():
    env = clean_environment(DEBUG="maybe", DJANGO_SETTINGS_MODULE="config.settings")

    result = run_python("-c", "import django; django.setup()", env=env)

    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert "DEBUG: expected a boolean (true/false/1/0/yes/no/on/off), got 'maybe'" in result.stderr


def test_settings_refuse_to_load_insecure_production_values():
    env = clean_environment(FANCLUB_MODE="production", DJANGO_SETTINGS_MODULE="config.settings")

    result = run_python("-c", "import django; django.setup()", env=env)

    assert result.returncode != 0
    assert SECRET_KEY_PROBLEM in result.stderr
    assert HOSTS_PROBLEM in result.stderr


def test_env_example_documents_every_variable():
    example = BASE_DIR / ".env.example"
    if not example.exists():
        pytest.fail(".env.example is missing: every variable must be documented there (STYLE.md, habit 10)")
    documented = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in example.read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].strip().isupper()
    }
    read: list[str] = []

    class RecordingEnv(Env):
        def _raw(self, name: str) -> str | None:
            read.append(name)
            return super()._raw(name)

    read_config(RecordingEnv(source={}))

    assert sorted(set(read) - documented) == []


def test_settings_module_path_is_the_project():
    assert Path(BASE_DIR / "manage.py").exists()


@pytest.mark.parametrize(
    ("url", "esp", "anymail"),
    [
        ("anymail://postmark?SERVER_TOKEN=pm-123", "postmark", {"POSTMARK_SERVER_TOKEN": "pm-123"}),
        (
            "anymail://mailgun?API_KEY=key-1&SENDER_DOMAIN=mg.example.com",
            "mailgun",
            {"MAILGUN_API_KEY": "key-1", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
        ),
        # Percent-decoded; "+" is a literal plus (API keys are often base64); names case-insensitive.
        ("anymail://sendgrid?api_key=SG.a%2Fb%3D%26c+d", "sendgrid", {"SENDGRID_API_KEY": "SG.a/b=&c+d"}),
        ("anymail://amazon_ses", "amazon_ses", {}),  # credentials from the usual AWS environment
        (
            "anymail://amazon_ses?CONFIGURATION_SET_NAME=fanclub",
            "amazon_ses",
            {"AMAZON_SES_CONFIGURATION_SET_NAME": "fanclub"},
        ),
        ("anymail://brevo?API_KEY=xkeysib-1", "brevo", {"BREVO_API_KEY": "xkeysib-1"}),
        ("anymail://resend?API_KEY=re_1", "resend", {"RESEND_API_KEY": "re_1"}),
        ("anymail://test", "test", {}),
    ],
)
def test_anymail_url_names_the_backend_and_its_settings(url, esp, anymail):
    cfg, problems = _read({"EMAIL_URL": url})

    assert problems == []
    assert (cfg["EMAIL_ANYMAIL_ESP"], cfg["EMAIL_ANYMAIL"]) == (esp, anymail)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "anymail://sendinblu?API_KEY=x",
            "EMAIL_URL: unknown anymail ESP 'sendinblu'; expected one of " + ", ".join(ANYMAIL_ESPS),
        ),
        ("anymail://", "EMAIL_URL: unknown anymail ESP ''; expected one of " + ", ".join(ANYMAIL_ESPS)),
        (
            "anymail://postmark:pm-secret@api",  # the token is not echoed into logs
            "EMAIL_URL: unknown anymail ESP (not a name; credentials go in the query); expected one of "
            + ", ".join(ANYMAIL_ESPS),
        ),
        (
            "anymail://postmark",
            "EMAIL_URL: anymail://postmark needs SERVER_TOKEN (e.g. anymail://postmark?SERVER_TOKEN=...)",
        ),
        (
            "anymail://mailjet?API_KEY=x",
            "EMAIL_URL: anymail://mailjet needs SECRET_KEY (e.g. anymail://mailjet?SECRET_KEY=...)",
        ),
        ("anymail://resend?API_KEY=", "EMAIL_URL: API_KEY is empty"),
        ("anymail://resend?API_KEY=a&API_KEY=b", "EMAIL_URL: API_KEY is given twice"),
        (
            "anymail://amazon_ses?ACCESS_KEY=x",
            "EMAIL_URL: anymail://amazon_ses does not take 'ACCESS_KEY'"
            " (accepts CONFIGURATION_SET_NAME, MESSAGE_TAG_NAME)",
        ),
        ("anymail://test?X=1", "EMAIL_URL: anymail://test does not take 'X' (accepts no settings)"),
    ],
)
def test_malformed_anymail_url_is_a_problem(url, problem):
    _, problems = _read({"EMAIL_URL": url})

    assert problems == [problem]


def test_a_typo_in_a_setting_name_reports_the_typo_and_the_missing_credential():
    _, problems = _read({"EMAIL_URL": "anymail://mailgun?API_KY=x"})

    assert problems == [
        "EMAIL_URL: anymail://mailgun does not take 'API_KY' (accepts API_KEY, SENDER_DOMAIN, API_URL)",
        "EMAIL_URL: anymail://mailgun needs API_KEY (e.g. anymail://mailgun?API_KEY=...)",
    ]


def test_production_refuses_the_anymail_test_backend():
    _, problems = _read({**PRODUCTION, "EMAIL_URL": "anymail://test"})

    assert problems == ["EMAIL_URL: anymail://test sends nothing; production needs a real provider"]


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support")
@pytest.mark.parametrize("esp", sorted(ANYMAIL_ESPS))
def test_anymail_table_matches_what_each_backend_reads(esp, monkeypatch):
    """The ESP exists, its settings prefix is ours, and the required/optional names are anymail's own."""
    import importlib

    from anymail.utils import UNSET

    module = importlib.import_module(f"anymail.backends.{esp}")
    read: dict[str, bool] = {}  # setting name -> required

    def recording(name, default=UNSET, esp_name=None, kwargs=None, allow_bare=False):
        assert esp_name == module.EmailBackend.esp_name
        read[name.upper()] = default is UNSET
        return "https://x.example/" if default is UNSET else default

    if hasattr(module, "get_anymail_setting"):
        monkeypatch.setattr(module, "get_anymail_setting", recording)
    module.EmailBackend()

    required, optional = ANYMAIL_ESPS[esp]
    assert module.EmailBackend.esp_name.upper().replace(" ", "_") == esp.upper()
    assert sorted(name for name, needed in read.items() if needed) == sorted(required)
    assert set(optional) <= {name for name, needed in read.items() if not needed}


def test_settings_turn_an_anymail_url_into_the_backend_and_anymail_settings():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_BACKEND, s.ANYMAIL]))"
    )
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_URL="anymail://mailgun?API_KEY=key%2B1&SENDER_DOMAIN=mg.example.com",
    )

    result = run_python("-c", script, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "anymail.backends.mailgun.EmailBackend",
        {"MAILGUN_API_KEY": "key+1", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
    ]
