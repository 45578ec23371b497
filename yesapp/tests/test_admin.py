import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from yesapp.apikeys import apikey_authenticate, apikey_create
from yesapp.models import ApiKey

pytestmark = pytest.mark.django_db


def test_createsuperuser_works_non_interactively(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-42")
    call_command("createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.com")
    assert get_user_model().objects.get(username="ops").is_superuser


def test_admin_lists_keys_by_prefix_and_never_shows_the_hash(admin_client):
    key, raw_key = apikey_create(name="crm")
    changelist = admin_client.get("/admin/yesapp/apikey/").content.decode()
    assert key.prefix in changelist and "crm" in changelist
    change = admin_client.get(f"/admin/yesapp/apikey/{key.pk}/change/").content.decode()
    for page in (changelist, change):
        assert key.key_hash not in page and raw_key not in page


def test_admin_action_revokes_selected_keys(admin_client):
    key, raw_key = apikey_create(name="crm")
    response = admin_client.post(
        "/admin/yesapp/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200 and "Revoked 1 key" in response.content.decode()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert apikey_authenticate(raw_key) is None


def test_admin_needs_a_login(client):
    response = client.get("/admin/yesapp/apikey/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_sign_in_is_throttled_per_address_like_the_dashboard(client, settings, django_user_model):
    settings.PASSWORD_FAILURE_LIMIT = 3
    django_user_model.objects.create_user("ops", password="right-horse-battery", is_staff=True)
    for _ in range(3):
        wrong = client.post("/admin/login/", {"username": "ops", "password": "wrong"})
        assert wrong.status_code == 200  # the form again, with its error
    refused = client.post("/admin/login/", {"username": "ops", "password": "right-horse-battery"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in


def test_admin_sign_in_with_the_right_password_works_and_is_not_counted(client, settings, django_user_model):
    settings.PASSWORD_FAILURE_LIMIT = 1
    django_user_model.objects.create_user("ops", password="right-horse-battery", is_staff=True)
    for _ in range(2):
        client.logout()
        signed_in = client.post("/admin/login/", {"username": "ops", "password": "right-horse-battery"})
        assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_creates_a_scoped_key_and_shows_it_once(admin_client):
    from django.contrib.admin.models import LogEntry

    from sessions_app.models import Session

    session = Session.objects.create(name="shop")
    response = admin_client.post(
        "/admin/yesapp/apikey/add/", {"name": "shop desk", "sessions": [str(session.pk)]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    (raw_key,) = set(re.findall(r"\b[0-9a-f]{64}\b", html))
    key = apikey_authenticate(raw_key)
    assert key.name == "shop desk" and not key.is_admin and list(key.sessions.all()) == [session]
    assert "shown this once" in html and "shop" in html
    assert LogEntry.objects.filter(object_id=str(key.pk)).exists()
    # Never again: not on the key's page, not in the list, not in a message.
    for page in ("/admin/yesapp/apikey/", f"/admin/yesapp/apikey/{key.pk}/change/"):
        assert raw_key not in admin_client.get(page).content.decode()


@pytest.mark.parametrize(
    "form, error",
    [
        ({"name": "both", "is_admin": "on", "sessions": ["SESSION"]}, "never an admin key"),
        ({"name": "neither"}, "Pick the sessions"),
        ({"name": "", "is_admin": "on"}, "This field is required"),
    ],
)
def test_admin_refuses_a_key_that_makes_no_sense(admin_client, form, error):
    from sessions_app.models import Session

    session = Session.objects.create(name="shop")
    form = {k: [str(session.pk)] if v == ["SESSION"] else v for k, v in form.items()}
    response = admin_client.post("/admin/yesapp/apikey/add/", form)
    assert response.status_code == 200 and error in response.content.decode()
    assert not ApiKey.objects.filter(name=form["name"]).exists()


def test_admin_changing_a_key_keeps_it_admin_or_limited(admin_client):
    from sessions_app.models import Session

    session = Session.objects.create(name="shop")
    key, _ = apikey_create(name="bot", session_ids=[session.pk])
    url = f"/admin/yesapp/apikey/{key.pk}/change/"
    response = admin_client.post(url, {"name": "bot", "is_admin": "on", "sessions": [str(session.pk)]})
    assert response.status_code == 200 and "never an admin key" in response.content.decode()
    assert not ApiKey.objects.get(pk=key.pk).is_admin
    other = Session.objects.create(name="other")
    response = admin_client.post(url, {"name": "bot", "sessions": [str(other.pk)]})
    assert response.status_code == 302
    assert list(ApiKey.objects.get(pk=key.pk).sessions.all()) == [other]


def test_a_signed_in_staff_user_guessing_another_password_is_throttled_too(
    client, settings, django_user_model
):
    settings.PASSWORD_FAILURE_LIMIT = 3
    django_user_model.objects.create_user(
        "root", password="root-horse-battery", is_staff=True, is_superuser=True
    )
    helper = django_user_model.objects.create_user("helper", password="helper-pass-123", is_staff=True)
    client.force_login(helper)
    for _ in range(3):
        assert client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code == 200
    refused = client.post("/admin/login/", {"username": "root", "password": "root-horse-battery"})
    assert refused.status_code == 429


def test_admin_password_guesses_are_limited_per_user_name_across_addresses(settings, django_user_model):
    from django.test import Client

    settings.PASSWORD_FAILURE_LIMIT = 3
    django_user_model.objects.create_user("ops", password="right-horse-battery", is_staff=True)
    for octet in range(1, 4):  # a botnet: a new address for every guess
        guesser = Client(REMOTE_ADDR=f"198.51.100.{octet}")
        assert guesser.post("/admin/login/", {"username": "OPS", "password": "wrong"}).status_code == 200
    fresh = Client(REMOTE_ADDR="198.51.100.99")
    refused = fresh.post("/admin/login/", {"username": "ops", "password": "right-horse-battery"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Another user from that same fresh address is not affected.
    django_user_model.objects.create_user("dev", password="dev-horse-battery", is_staff=True)
    other = fresh.post("/admin/login/", {"username": "dev", "password": "dev-horse-battery"})
    assert other.status_code == 302


def test_admin_password_sign_in_is_refused_while_redis_is_down(client, settings, django_user_model):
    from yesapp.tests.helpers import closed_port

    django_user_model.objects.create_user("ops", password="right-horse-battery", is_staff=True)
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.5
    refused = client.post("/admin/login/", {"username": "ops", "password": "right-horse-battery"})
    assert refused.status_code == 503 and "Redis is down" in refused.content.decode()
    assert client.get("/admin/").status_code == 302


def test_admin_is_branded_yesapp(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "YesApp administration" in page and "Django administration" not in page
    assert "| YesApp admin</title>" in page


def test_keys_list_shows_the_sessions_a_key_is_limited_to(admin_client):
    from sessions_app.models import Session

    shop, crm = Session.objects.create(name="shop"), Session.objects.create(name="crm-bot")
    apikey_create(name="bot", session_ids=[shop.pk, crm.pk])
    apikey_create(name="root")
    changelist = admin_client.get("/admin/yesapp/apikey/").content.decode()
    assert "crm-bot, shop" in changelist
    assert "All (admin)" in changelist


@pytest.mark.browser
def test_sessions_and_keys_lists_fit_a_1400_pixel_window(live_server, transactional_db):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sessions_app.models import Session
    from yesapp.tests.browser import new_test_driver

    get_user_model().objects.create_superuser("boss", "boss@example.com", "a-long-passphrase-42")
    sessions = [
        Session.objects.create(
            name=f"customer-support-{n}",
            status="disconnected",
            desired_state="running",
            phone="+33612345678",
            push_name="Customer support line",
            engine_node="engine@yesapp-engine-node-7f9c2d",
            sandbox=True,
        )
        for n in range(3)
    ]
    apikey_create(name="shop-bot-for-the-web-store", session_ids=[s.pk for s in sessions])
    apikey_create(name="crm")
    driver = new_test_driver()
    try:
        driver.set_window_size(1400, 900)
        driver.get(live_server.url + "/admin/login/")
        driver.find_element(By.NAME, "username").send_keys("boss")
        driver.find_element(By.NAME, "password").send_keys("a-long-passphrase-42")
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        # Signed in once the login page is gone (on a loaded machine the redirect takes a moment).
        WebDriverWait(driver, 30).until(lambda d: "/login/" not in d.current_url)
        for path in ("/admin/sessions_app/session/", "/admin/yesapp/apikey/"):
            driver.get(live_server.url + path)
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".results"))
            # The changelist scrolls its table sideways when it is too wide: then a column is cut.
            widths = driver.execute_script(
                "const r = document.querySelector('.results');"
                "return [r.scrollWidth, r.clientWidth, document.documentElement.scrollWidth,"
                " document.documentElement.clientWidth];"
            )
            assert widths[0] <= widths[1] and widths[2] <= widths[3], (path, widths)
    finally:
        driver.quit()
