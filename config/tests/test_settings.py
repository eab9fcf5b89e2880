"""Settings come from the environment and refuse insecure production defaults."""

import json
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list
from conftest import run_python


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_python(*args, env=env)


SERVE = ("-c", "import config.wsgi, config.asgi")


def test_refuses_to_serve_without_secret_key_when_debug_is_off(tmp_path):
    result = run({"PIZHU_DATA_DIR": str(tmp_path)}, *SERVE)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_refuses_to_serve_with_the_development_key_when_debug_is_off(tmp_path):
    dev_key = "django-insecure-pizhu-development-key-never-use-in-production"
    result = run({"SECRET_KEY": dev_key, "PIZHU_DATA_DIR": str(tmp_path)}, *SERVE)
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


@pytest.mark.parametrize("key", ["short-key-of-40-characters-0123456789abc", "ab" * 40])
def test_refuses_to_serve_with_a_weak_key_when_debug_is_off(tmp_path, key):
    result = run({"SECRET_KEY": key, "PIZHU_DATA_DIR": str(tmp_path)}, *SERVE)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_serves_in_debug_without_a_key(tmp_path):
    assert run({"DEBUG": "1", "PIZHU_DATA_DIR": str(tmp_path)}, *SERVE).returncode == 0


def test_developer_commands_run_on_a_bare_shell(tmp_path):
    result = run(
        {"PIZHU_DATA_DIR": str(tmp_path)}, "manage.py", "makemigrations", "--check", "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_deploy_check_flags_a_missing_key(tmp_path):
    env = {"ALLOWED_HOSTS": "pizhu.example", "PIZHU_DATA_DIR": str(tmp_path)}
    result = run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_deploy_check_is_clean_with_a_real_key(tmp_path):
    env = {
        "SECRET_KEY": "x" * 60 + "-a-long-random-production-key",
        "ALLOWED_HOSTS": "pizhu.example",
        "PIZHU_DATA_DIR": str(tmp_path),
    }
    result = run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert run(env, *SERVE).returncode == 0


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("B", "yes")
    monkeypatch.setenv("I", "42")
    monkeypatch.setenv("L", "a.example, b.example,")
    assert env_bool("B") is True and env_bool("MISSING", default=True) is True
    assert env_int("I", 0) == 42 and env_list("L") == ["a.example", "b.example"]
    monkeypatch.setenv("B", "maybe")
    with pytest.raises(ImproperlyConfigured, match="B must be a boolean"):
        env_bool("B")
    monkeypatch.setenv("I", "many")
    with pytest.raises(ImproperlyConfigured, match="I must be an integer"):
        env_int("I", 0)


# --- Several app servers: Redis and a read replica from the environment (config.backends) ---

SHOW_SHARED = (
    "-c",
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps("
    "{'caches': {a: c['BACKEND'] for a, c in settings.CACHES.items()},"
    " 'location': settings.CACHES['default'].get('LOCATION'),"
    " 'sessions': settings.SESSION_ENGINE, 'pages': settings.PIZHU_SHARED_PAGE_CACHE,"
    " 'databases': sorted(settings.DATABASES), 'routers': settings.DATABASE_ROUTERS}))",
)


def shared_settings(tmp_path, **env) -> dict:
    env = {
        "DEBUG": "1",
        "PIZHU_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    result = run(env, *SHOW_SHARED)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_shared_services_each_machine_keeps_its_own(tmp_path):
    found = shared_settings(tmp_path)
    assert found["caches"] == {"default": "django.core.cache.backends.filebased.FileBasedCache"}
    assert found["sessions"] == "django.contrib.sessions.backends.db"
    assert found["pages"] is None
    assert found["databases"] == ["default"] and found["routers"] == []


@pytest.mark.parametrize("name", ["CACHE_URL", "PIZHU_CACHE_URL", "REDIS_URL"])
def test_a_redis_url_shares_counters_sessions_and_pages(tmp_path, name):
    found = shared_settings(tmp_path, **{name: "redis://127.0.0.1:6379/3"})
    redis = "django.core.cache.backends.redis.RedisCache"
    assert found["caches"] == {"default": redis, "pages": redis}
    assert found["location"] == "redis://127.0.0.1:6379/3"
    assert found["sessions"] == "config.sessions" and found["pages"] == "pages"


def test_a_replica_url_adds_the_replica_and_its_router(tmp_path):
    found = shared_settings(tmp_path, DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'copy.db'}")
    assert found["databases"] == ["default", "replica"]
    assert found["routers"] == ["config.routers.ReplicaRouter"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CACHE_URL": "memcached://127.0.0.1:11211"}, "CACHE_URL must be a redis://"),
        ({"REDIS_URL": "redis://127.0.0.1:63o9/0"}, "REDIS_URL: the port"),
        ({"DATABASE_URL": "postgress://db/pizhu"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_REPLICA_URL": "postgres://replica/pizhu"}, "on the same engine"),
    ],
)
def test_a_bad_url_stops_the_start_with_a_clear_error(tmp_path, env, message):
    result = run({"DEBUG": "1", "PIZHU_DATA_DIR": str(tmp_path), **env}, *SERVE)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
