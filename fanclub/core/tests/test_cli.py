"""`fanclub check` reports every configuration problem at once and fails when there is any."""

from __future__ import annotations

from fanclub.core.tests.test_settings import PRODUCTION, clean_environment, run_python


def test_check_lists_every_problem_and_exits_non_zero():
    env = clean_environment(
        FANCLUB_MODE="production",
        DEBUG="maybe",
        SECRET_KEY="too-short",
        REDIS_URL="localhost:6379",
        RATE_LIMIT_ANON_PER_MINUTE="0",
        EMAIL_URL="ftp://mail.example.com",
    )

    result = run_python("-m", "fanclub.cli", "check", env=env)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "fanclub check: 7 problem(s):",
        "  - DEBUG: expected a boolean (true/false/1/0/yes/no/on/off), got 'maybe'",
        "  - REDIS_URL: expected a URL starting with redis or rediss or unix://",
        "  - RATE_LIMIT_ANON_PER_MINUTE: must be at least 1, got 0",
        "  - SECRET_KEY: production needs a unique random key of at least 50 characters",
        "  - ALLOWED_HOSTS: production needs the list of host names the site answers to",
        "  - BILLING_SANDBOX_WEBHOOK_SECRET: production with the sandbox processor needs its own secret",
        "  - EMAIL_URL: expected console://, memory://, smtp://..., smtps://... or anymail://<esp>?...",
    ]


def test_check_passes_with_good_values_and_reachable_services(redis_url):
    env = clean_environment(**PRODUCTION, REDIS_URL=redis_url)

    result = run_python("-m", "fanclub.cli", "check", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "fanclub check: configuration OK (mode production)."


def test_check_reports_an_unreachable_redis(private_redis):
    private_redis.stop()
    env = clean_environment(**PRODUCTION, REDIS_URL=private_redis.url)

    result = run_python("-m", "fanclub.cli", "check", env=env)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "fanclub check: 1 problem(s):"
    assert lines[1].startswith("  - REDIS_URL: cannot reach Redis: ")


def test_other_commands_refuse_to_start_with_a_bad_configuration():
    result = run_python("-m", "fanclub.cli", "worker", env=clean_environment(DEBUG="maybe"))

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "fanclub: the configuration has problems (run `fanclub check`):",
        "  - DEBUG: expected a boolean (true/false/1/0/yes/no/on/off), got 'maybe'",
    ]
