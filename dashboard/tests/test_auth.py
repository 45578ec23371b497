from django.test import Client
from django.urls import reverse

from dashboard.auth import SESSION_KEY_ID
from dashboard.tests.conftest import sign_in_with_key
from yesapp.apikeys import apikey_revoke


def test_pages_need_sign_in_and_redirect_to_the_form(db):
    response = Client().get(reverse("dashboard:sessions"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:login") + "?next=%2F"


def test_polled_fragments_answer_401_json_when_signed_out(db):
    response = Client().get(reverse("dashboard:sessions-table"), HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 401
    assert response.json()["signedOut"] is True


def test_printed_api_key_signs_in_and_only_its_primary_key_is_stored(raw_api_key):
    client = Client()
    response = sign_in_with_key(client, raw_api_key)
    assert response.status_code == 302 and response["Location"] == "/"
    stored = dict(client.session.items())
    assert isinstance(stored[SESSION_KEY_ID], int)
    assert raw_api_key not in repr(stored)
    page = client.get("/")
    assert page.status_code == 200
    assert raw_api_key.encode() not in page.content


def test_wrong_key_cannot_sign_in_and_is_not_echoed(db):
    client = Client()
    wrong = "f" * 64
    response = sign_in_with_key(client, wrong)
    assert response.status_code == 400
    assert b"wrong or revoked" in response.content
    assert wrong.encode() not in response.content
    assert client.get("/").status_code == 302


def test_revoked_key_session_ends_on_the_next_request(admin_client, raw_api_key):
    assert admin_client.get("/").status_code == 200
    apikey_revoke(prefix=raw_api_key[:8])
    response = admin_client.get("/")
    assert response.status_code == 302
    page = admin_client.get(response["Location"])
    assert b"was revoked" in page.content
    assert SESSION_KEY_ID not in admin_client.session


def test_staff_user_signs_in_with_password(staff_user):
    client = Client()
    response = client.post(
        reverse("dashboard:login"),
        {"method": "password", "user-username": "operator", "user-password": "correct horse battery"},
    )
    assert response.status_code == 302
    assert b"operator" in client.get("/").content


def test_non_staff_user_cannot_sign_in(django_user_model):
    django_user_model.objects.create_user(username="plain", password="correct horse battery")
    client = Client()
    response = client.post(
        reverse("dashboard:login"),
        {"method": "password", "user-username": "plain", "user-password": "correct horse battery"},
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_repeated_wrong_keys_are_throttled_like_the_api(db, settings):
    settings.AUTH_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert sign_in_with_key(client, "0" * 64).status_code == 400
    response = sign_in_with_key(client, "0" * 64)
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_sign_out_needs_post_and_ends_the_session(admin_client):
    assert admin_client.get(reverse("dashboard:logout")).status_code == 405
    assert admin_client.post(reverse("dashboard:logout")).status_code == 302
    assert admin_client.get("/").status_code == 302


def test_forms_are_protected_by_csrf(raw_api_key):
    client = Client(enforce_csrf_checks=True)
    response = sign_in_with_key(client, raw_api_key)
    assert response.status_code == 403
    page = client.get(reverse("dashboard:login"))
    assert b"csrfmiddlewaretoken" in page.content


def test_next_parameter_cannot_send_the_browser_elsewhere(raw_api_key):
    client = Client()
    response = client.post(
        reverse("dashboard:login") + "?next=https://evil.example/",
        {"method": "key", "key-api_key": raw_api_key, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_a_valid_key_signs_in_even_after_guesses_from_the_same_address(raw_api_key, settings):
    settings.AUTH_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(3):
        sign_in_with_key(client, "0" * 64)
    assert sign_in_with_key(client, "0" * 64).status_code == 429
    assert sign_in_with_key(client, raw_api_key).status_code == 302


def _password_sign_in(client, username, password):
    return client.post(
        reverse("dashboard:login"),
        {"method": "password", "user-username": username, "user-password": password},
    )


def test_staff_passwords_are_limited_per_address_and_per_user_name(staff_user, settings):
    settings.PASSWORD_FAILURE_LIMIT = 2
    for octet in (1, 2):  # each guess from a new address, all against one user
        guess = _password_sign_in(Client(REMOTE_ADDR=f"192.0.2.{octet}"), "operator", "nope")
        assert guess.status_code == 400
    refused = _password_sign_in(Client(REMOTE_ADDR="192.0.2.3"), "operator", "correct horse battery")
    assert refused.status_code == 429 and b"Too many failed sign-in attempts" in refused.content

    guesser = Client(REMOTE_ADDR="192.0.2.50")  # one address, a different user name each time
    for name in ("alice", "bob"):
        assert _password_sign_in(guesser, name, "nope").status_code == 400
    assert _password_sign_in(guesser, "carol", "nope").status_code == 429


def test_password_sign_in_is_refused_with_a_clear_message_while_redis_is_down(staff_user, settings):
    from yesapp.tests.helpers import closed_port

    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.5
    client = Client()
    refused = _password_sign_in(client, "operator", "correct horse battery")
    assert refused.status_code == 503 and b"Redis is down" in refused.content
    assert client.get("/").status_code == 302
