"""Production static files build: every reference resolves (a dangling source map is a 500 in prod)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from fanclub.core.tests.test_settings import PRODUCTION


def test_collectstatic_in_production_mode_succeeds(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATA_DIR": str(settings.DATA_DIR),
        "STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "1"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = tmp_path / "staticfiles.json"
    assert manifest.exists()
    assert "core/vendor/htmx.min.js" in manifest.read_text()
