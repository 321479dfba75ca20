"""Settings read the environment; production is secure and refuses to start
without what it needs."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from connect.email_url import parse_email_url

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "db": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "cache": s.CACHES["default"]["BACKEND"],
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "email": s.EMAIL_BACKEND,
    "secret": s.SECRET_KEY,
    "debug": s.DEBUG,
    "hosts": s.ALLOWED_HOSTS,
    "mfa": s.CONNECT_REQUIRE_MFA,
    "health_checks": s.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "tasks": s.TASKS["default"]["BACKEND"],
    "cache_options": s.CACHES["default"].get("OPTIONS", {}),
}))
"""


def _clean_env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CONNECT_"))
    }
    env.update({"CONNECT_VAR_DIR": str(tmp_path), "DJANGO_STATIC_ROOT": str(tmp_path / "static")})
    env.update(extra)
    return env


def _settings(tmp_path, module="connect.settings.dev", **extra):
    env = _clean_env(tmp_path, DJANGO_SETTINGS_MODULE=module, **extra)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return result


def _production_env(tmp_path):
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "connect.example.gov",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }


def test_check_deploy_is_clean_in_production(tmp_path):
    env = _clean_env(tmp_path, **_production_env(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_required_environment(tmp_path, missing):
    env = _production_env(tmp_path)
    del env[missing]
    result = _settings(tmp_path, module="connect.settings.production", **env)
    assert result.returncode != 0
    assert "Production settings need these environment variables" in result.stderr
    assert missing in result.stderr


def test_production_settings_are_secure(tmp_path):
    result = _settings(tmp_path, module="connect.settings.production", **_production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["hosts"] == ["connect.example.gov"]
    assert values["mfa"] is True


def test_defaults_sqlite_local_cache_in_memory_layer_console_email(tmp_path):
    result = _settings(tmp_path, module="connect.settings.base")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "db.sqlite3")
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["layer"] == "connect.channel_layers.SweepingInMemoryChannelLayer"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"


def test_development_secret_key_is_generated_once_and_kept(tmp_path):
    first = json.loads(_settings(tmp_path).stdout)["secret"]
    second = json.loads(_settings(tmp_path).stdout)["secret"]
    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_redis_and_email_urls_are_honoured(tmp_path):
    result = _settings(
        tmp_path,
        module="connect.settings.base",
        DATABASE_URL="postgres://connect:pw@db.internal:5432/connect",
        REDIS_URL="redis://cache.internal:6379/3",
        EMAIL_URL="smtp+tls://mailer:pw@mail.example.gov:587",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.postgresql"
    assert values["db_name"] == "connect"
    assert values["cache"] == "connect.cache.ResilientRedisCache"
    assert values["cache_options"]["socket_timeout"] <= 0.5  # a paused Redis costs a page at most this
    # Persistent connections are checked before reuse; side effects go to the durable queue.
    assert values["health_checks"] is True
    assert values["tasks"] == "django_tasks_db.DatabaseBackend"
    # Pub/sub: one PUBLISH per group message and no blocking read to time out (docs/deployment.md).
    assert values["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_mfa_requirement_can_be_switched_off_by_environment(tmp_path):
    values = json.loads(_settings(tmp_path, CONNECT_REQUIRE_MFA="false").stdout)
    assert values["mfa"] is False


# --- EMAIL_URL ------------------------------------------------------------------


def test_parse_email_url_smtp_tls():
    assert parse_email_url("smtp+tls://user%40agency.gov:p%40ss@mail.example.gov:2525") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.gov",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "user@agency.gov",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 20,
    }


@pytest.mark.parametrize(
    "url, port, tls, ssl",
    [("smtp://mail.example.gov", 25, False, False), ("smtp+ssl://mail.example.gov", 465, False, True),
     ("smtp+tls://mail.example.gov", 587, True, False)],
)  # fmt: skip
def test_parse_email_url_default_ports(url, port, tls, ssl):
    parsed = parse_email_url(url)
    assert (parsed["EMAIL_PORT"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_USE_SSL"]) == (port, tls, ssl)
    assert parsed["EMAIL_HOST_USER"] == ""


def test_parse_email_url_console_file_locmem():
    assert parse_email_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert parse_email_url("file:///var/lib/connect/mail") == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/var/lib/connect/mail",
    }
    assert parse_email_url("locmem://")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")


def test_parse_email_url_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="unsupported scheme"):
        parse_email_url("sendgrid://key@api")


ENV_READ = re.compile(
    r"""(?:environ\.get|environ\[|getenv|env_bool|env_list|env_int|env=)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_readme_documents_every_environment_variable_and_make_target():
    readme = (ROOT / "README.md").read_text()
    read = set()
    for folder in ("connect", "search"):
        for source in (ROOT / folder).rglob("*.py"):
            read.update(ENV_READ.findall(source.read_text()))
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "CONNECT_SEARCH_INDEX_DIR"} <= read
    table = readme.split("## Configuration", 1)[1]
    assert not sorted(name for name in read if f"`{name}`" not in table)
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    assert not sorted(set(re.findall(r"`make ([a-z][a-z-]*)", readme)) - targets)
