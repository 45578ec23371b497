"""The session page's sending policy card: shows the policy and today's use, edits it with the
API's own checks, and the message log and the chat show why a queued message waits."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import Message
from messaging.sending_policy import policy_for, sending_policy_replace

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def form(**changes) -> dict:
    base = {
        "preset": "natural",
        "typing": "on",
        "readBeforeReply": "on",
        "checkNumberFirst": "on",
        "jitter_min": "0.5",
        "jitter_max": "1.5",
        "quiet_zone": "UTC",
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def test_the_card_shows_the_preset_and_todays_use(admin_client, make_session):
    session = make_session("paced", status="connected")
    sending_policy_replace(session=session, preset="careful", perDay=300)

    page = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()

    assert 'id="sending-policy"' in page and "<code>careful</code>, with perDay changed" in page
    assert "0 / 300" in page and "0 / 20" in page  # the day, the new chats


def test_saving_fields_keeps_the_preset_and_a_new_preset_brings_its_values(admin_client, make_session):
    session = make_session("paced")
    sending_policy_replace(session=session, preset="natural")
    url = reverse("dashboard:sending-policy-save", args=[session.pk])

    answer = admin_client.post(url, form(perDay="120", quiet_start="22:00", quiet_end="07:00"), **FETCH)

    assert answer.json()["ok"] is True
    policy = policy_for(session.pk)
    assert (policy.preset, policy.per_day, str(policy.quiet_hours.zone)) == ("natural", 120, "UTC")
    admin_client.post(url, form(preset="careful", perDay="120"), **FETCH)
    assert policy_for(session.pk).per_day == 400


def test_what_the_api_refuses_the_card_refuses_too(admin_client, make_session):
    session = make_session("paced")
    sending_policy_replace(session=session, preset="natural")
    url = reverse("dashboard:sending-policy-save", args=[session.pk])

    bad = admin_client.post(url, form(jitter_min="3", jitter_max="1"), **FETCH)
    assert bad.status_code == 400 and "jitter" in bad.json()["message"]
    bad = admin_client.post(
        url, form(quiet_start="22:00", quiet_end="07:00", quiet_zone="Mars/Base"), **FETCH
    )
    assert bad.status_code == 400
    assert policy_for(session.pk).jitter == (0.4, 1.2)


@pytest.mark.parametrize("reason", ["quiet_hours", "rate_limit", "jitter", "typing"])
def test_the_message_log_and_the_chat_show_why_a_queued_message_waits(admin_client, make_session, reason):
    session = make_session("paced", status="connected")
    until = timezone.now() + timedelta(hours=3)
    Message.objects.create(
        session=session,
        direction="outbound",
        chat_id="33612345678@c.us",
        text="later",
        status="queued",
        waiting_for=reason,
        not_before=until,
    )
    page = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert f'data-msg-wait="{reason}"' in page
    chat = reverse("dashboard:chat-thread", args=[session.pk, "33612345678@c.us"])
    assert f'data-msg-wait="{reason}"' in admin_client.get(chat).content.decode()
