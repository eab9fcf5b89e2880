"""Rate limits on sign-up, password reset, token creation and the API: 429 with Retry-After,
a bilingual page for a person and JSON for a script; the limits are settings, the counts live
in Django's cache (Redis when PIZHU_CACHE_URL says so)."""

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from accounts import limits
from accounts.models import ApiToken
from conftest import run_python

pytestmark = pytest.mark.django_db

API = "/api/annotations/"


def sign_up(client, username, password="a-long-passphrase"):  # noqa: S107 (a test account's)
    return client.post(
        "/accounts/signup/", {"username": username, "password1": password, "password2": password}
    )


# --- sign-up -----------------------------------------------------------------------------------


def test_ten_sign_ups_in_a_row_from_one_address_are_stopped_after_the_limit(settings):
    settings.PIZHU_RATE_SIGNUP = "5/h"
    statuses = [sign_up(Client(), f"reader{n}").status_code for n in range(10)]
    assert statuses == [302] * 5 + [429] * 5
    assert get_user_model().objects.count() == 5
    assert sign_up(Client(REMOTE_ADDR="198.51.100.7"), "elsewhere").status_code == 302


def test_the_sign_up_limit_page_is_bilingual_and_says_when(settings):
    settings.PIZHU_RATE_SIGNUP = "1/h"
    sign_up(Client(), "first")
    response = sign_up(Client(), "second")
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    page = response.content.decode()
    assert "请求太频繁" in page and "Too many requests" in page
    assert "注册太多" in page and "Too many sign-ups" in page
    assert f"约 {-(-wait // 60)} 分钟" in page and f"in about {-(-wait // 60)} minutes" in page


def test_once_the_sign_ups_are_used_up_the_form_says_so_before_it_is_filled_in(settings):
    settings.PIZHU_RATE_SIGNUP = "2/h"
    assert Client().get("/accounts/signup/").status_code == 200
    for n in range(2):
        assert sign_up(Client(), f"reader{n}").status_code == 302
    response = Client().get("/accounts/signup/")
    assert response.status_code == 429 and "Too many sign-ups" in response.content.decode()
    assert Client(REMOTE_ADDR="198.51.100.7").get("/accounts/signup/").status_code == 200


def test_a_sign_up_the_form_refused_does_not_count(settings):
    settings.PIZHU_RATE_SIGNUP = "1/h"
    client = Client()
    for _ in range(3):
        assert sign_up(client, "reader", password="short").status_code == 200
    assert sign_up(client, "reader").status_code == 302


def test_looking_at_the_sign_up_form_does_not_count(settings):
    settings.PIZHU_RATE_SIGNUP = "1/h"
    client = Client()
    for _ in range(3):
        assert client.get("/accounts/signup/").status_code == 200
    assert sign_up(client, "reader").status_code == 302


# --- password reset ------------------------------------------------------------------------


def test_password_reset_requests_are_limited_per_address(owner, settings):
    settings.PIZHU_RATE_RESET = "2/h"
    client = Client()
    for address in ("a@example.org", "b@example.org"):
        assert client.post("/accounts/password_reset/", {"email": address}).status_code == 302
    response = client.post("/accounts/password_reset/", {"email": "owner@example.org"})
    assert response.status_code == 429 and "Retry-After" in response
    assert "重设密码" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_mails_to_one_address_are_limited_from_anywhere(owner, settings):
    settings.PIZHU_RATE_RESET = "2/h"
    for n in range(2):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            "/accounts/password_reset/", {"email": "Owner@Example.org "}
        )
    response = Client(REMOTE_ADDR="198.51.100.9").post(
        "/accounts/password_reset/", {"email": "owner@example.org"}
    )
    assert response.status_code == 429
    assert len(mail.outbox) == 2  # the victim's mailbox is not flooded


# --- tokens --------------------------------------------------------------------------------


def test_token_creation_is_limited_per_user(owner_client, other_client, settings):
    settings.PIZHU_RATE_TOKENS = "2/h"
    for n in range(2):
        assert owner_client.post("/accounts/", {"name": f"t{n}"}).status_code == 302
    response = owner_client.post("/accounts/", {"name": "one too many"})
    assert response.status_code == 429 and "Retry-After" in response
    assert "新建令牌太多" in response.content.decode()
    assert ApiToken.objects.count() == 2
    assert other_client.post("/accounts/", {"name": "mine"}).status_code == 302
    assert owner_client.get("/accounts/").status_code == 200  # the page itself is not limited


# --- the API -------------------------------------------------------------------------------


def test_the_api_answers_429_in_json_with_retry_after_per_user(owner, token_key, other, settings):
    settings.PIZHU_RATE_API = "3/m"
    client = Client(headers={"Authorization": f"Bearer {token_key}"})
    assert [client.get(API).status_code for _ in range(3)] == [200] * 3
    response = client.get(API)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    data = response.json()
    assert data["error"] == "too many requests"
    assert data["retry_after"] == int(response["Retry-After"])
    assert "请求太频繁" in data["detail"] and "Too many requests" in data["detail"]
    # Another user, even from the same address, has a count of their own.
    _, other_key = ApiToken.issue(other, "theirs")
    assert Client().get(API, headers={"Authorization": f"Bearer {other_key}"}).status_code == 200


def test_the_api_counts_a_session_and_a_token_of_one_user_together(owner, token_key, settings):
    settings.PIZHU_RATE_API = "2/m"
    session = Client()
    session.force_login(owner)
    assert session.get(API).status_code == 200
    token = Client(REMOTE_ADDR="198.51.100.7", headers={"Authorization": f"Bearer {token_key}"})
    assert token.get(API).status_code == 200
    assert session.get(API).status_code == 429


def test_the_api_counts_bad_tokens_by_address(settings):
    settings.PIZHU_RATE_API = "2/m"
    guesser = Client(headers={"Authorization": "Bearer pz_guess"})
    assert [guesser.get(API).status_code for _ in range(3)] == [401, 401, 429]


def test_the_api_limit_can_be_switched_off(token_key, settings):
    settings.PIZHU_RATE_API = "off"
    client = Client(headers={"Authorization": f"Bearer {token_key}"})
    assert {client.get(API).status_code for _ in range(5)} == {200}


def test_the_api_stays_open_when_the_cache_is_down(token_key, settings, caplog):
    settings.PIZHU_RATE_API = "1/m"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    client = Client(headers={"Authorization": f"Bearer {token_key}"})
    assert [client.get(API).status_code for _ in range(2)] == [200, 200]
    assert "rate limit not applied" in caplog.text


# --- the counter, on Redis -----------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (it backs the limits only when configured)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"pizhu-test-{uuid.uuid4().hex}",  # keys of this run only
        }
    }


def test_on_redis_the_count_lives_in_redis_for_every_process(redis_cache, token_key, settings):
    import redis

    settings.PIZHU_RATE_API = "2/m"
    client = Client(headers={"Authorization": f"Bearer {token_key}"})
    assert [client.get(API).status_code for _ in range(2)] == [200, 200]
    # What every server process reads: one counter, in Redis.
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    server = redis.Redis(host="127.0.0.1", port=6379)
    (key,) = server.keys(f"{prefix}:*")
    assert int(server.get(key)) == 2 and 0 < server.ttl(key) <= 65
    assert client.get(API).status_code == 429


# --- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/h", limits.Rate(5, 3600)),
        ("30/15m", limits.Rate(30, 900)),
        ("600/m", limits.Rate(600, 60)),
        (" 2 / 10s ", limits.Rate(2, 10)),
        ("1/d", limits.Rate(1, 86400)),
        ("off", None),
    ],
)
def test_rates_are_read_as_count_per_period(text, rate):
    assert limits.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "5", "5/week", "-1/h", "0/h", "5/0m", "five/h"])
def test_a_malformed_rate_is_refused_naming_its_variable(text, settings):
    settings.PIZHU_RATE_SIGNUP = text
    with pytest.raises(ImproperlyConfigured, match="PIZHU_RATE_SIGNUP"):
        limits.check_rates()


def test_a_malformed_rate_stops_the_server_from_starting(tmp_path):
    env = {"DEBUG": "1", "PIZHU_DATA_DIR": str(tmp_path), "PIZHU_RATE_API": "lots"}
    result = run_python("-c", "import config.wsgi", env=env)
    assert result.returncode != 0
    assert "PIZHU_RATE_API" in result.stderr


def production_settings(tmp_path, **env) -> dict:
    """The settings a bare production environment gets (plus ``env``)."""
    code = (
        "import json; from config import settings as s; print(json.dumps({"
        "'rates': {n: getattr(s, n) for n in dir(s) if n.startswith('PIZHU_RATE_')},"
        "'failures': s.AXES_FAILURE_LIMIT, 'cool_off': s.AXES_COOLOFF_TIME.total_seconds(),"
        "'parameters': s.AXES_LOCKOUT_PARAMETERS, 'cache': s.CACHES['default']}))"
    )
    result = run_python("-c", code, env={"PIZHU_DATA_DIR": str(tmp_path), **env}, check=True)
    return json.loads(result.stdout)


def test_the_defaults_suit_a_small_site(tmp_path):
    defaults = production_settings(tmp_path)
    assert defaults["failures"] == 10 and defaults["cool_off"] == 15 * 60
    assert defaults["parameters"] == [["username", "ip_address"]]
    rates = {name: limits.parse_rate(text) for name, text in defaults["rates"].items()}
    assert rates == {
        "PIZHU_RATE_SIGNIN": limits.Rate(30, 15 * 60),
        "PIZHU_RATE_SIGNUP": limits.Rate(5, 3600),
        "PIZHU_RATE_RESET": limits.Rate(5, 3600),
        "PIZHU_RATE_TOKENS": limits.Rate(20, 3600),
        "PIZHU_RATE_API": limits.Rate(600, 60),  # 500 quick requests of a script pass
        "PIZHU_RATE_IMPORTS": limits.Rate(20, 3600),  # a file of notes is minutes of work
        "PIZHU_RATE_INVITES": limits.Rate(30, 3600),  # joining a group: rare, tokens unguessable
    }
    assert defaults["cache"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert defaults["cache"]["LOCATION"] == str(tmp_path / "cache")


def test_by_default_the_server_processes_of_one_machine_count_together(tmp_path):
    """Two processes (two gunicorn workers) on the default cache: one allowance, not two."""
    code = (
        "import django; django.setup(); from accounts import limits;"
        "print(' '.join(str(limits.count('signup', 'address-1').refused) for _ in range(3)))"
    )
    env = {"PIZHU_DATA_DIR": str(tmp_path), "PIZHU_RATE_SIGNUP": "5/h",
           "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
    seen = [run_python("-c", code, env=env, check=True).stdout.split() for _ in range(2)]
    assert seen == [["False", "False", "False"], ["False", "False", "True"]]


@pytest.mark.parametrize("variable", ["PIZHU_CACHE_URL", "REDIS_URL"])
def test_the_cache_comes_from_the_environment(tmp_path, variable):
    cache = production_settings(tmp_path, **{variable: "redis://127.0.0.1:6379/3"})["cache"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"


# --- addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "behind_proxy", "address"),
    [
        ({"REMOTE_ADDR": "203.0.113.9"}, False, "203.0.113.9"),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, False, "127.0.0.1"),
        (
            {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"},
            True,
            "203.0.113.9",
        ),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "nonsense"}, True, "127.0.0.1"),
        ({"REMOTE_ADDR": "127.0.0.1"}, True, "127.0.0.1"),
        # An IPv6 client holds a whole /64: counted as one address.
        ({"REMOTE_ADDR": "2001:db8:1:2:aaaa:bbbb:cccc:dddd"}, False, "2001:db8:1:2::"),
        ({"REMOTE_ADDR": "::ffff:203.0.113.9"}, False, "203.0.113.9"),
        ({}, False, None),
    ],
)
def test_the_client_address_is_trusted_only_as_far_as_the_proxy_says(
    meta, behind_proxy, address, settings
):
    settings.BEHIND_TLS_PROXY = behind_proxy
    request = RequestFactory().get("/", **meta)
    if "REMOTE_ADDR" not in meta:
        del request.META["REMOTE_ADDR"]  # as in a request made by hand, not by a server
    assert limits.client_address(request) == address
