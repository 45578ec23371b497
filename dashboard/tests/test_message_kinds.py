"""The session page's message log shows each kind of message and what was done to it."""

from django.urls import reverse
from django.utils import timezone

from messaging.models import Message, MessageStatus

CHAT = "4915112345678@c.us"


def log_html(admin_client, session) -> str:
    return admin_client.get(reverse("dashboard:message-log", args=[session.pk])).content.decode()


def test_kinds_quotes_reactions_edits_deletes_and_tallies_show(admin_client, make_session):
    session = make_session("kinds", status="connected")
    common = {"session": session, "chat_id": CHAT, "direction": "inbound", "status": MessageStatus.RECEIVED}
    question = Message.objects.create(**common, text="Where are you?", wa_id="false_1")
    Message.objects.create(
        **common,
        type="location",
        wa_id="false_2",
        reply_to=question,
        reply_to_wa_id=question.wa_id,
        content={
            "location": {"latitude": 48.8584, "longitude": 2.2945, "name": "Eiffel <Tower>", "address": ""}
        },
    )
    Message.objects.create(
        **common,
        type="contact",
        wa_id="false_3",
        content={"contacts": [{"name": "Anna", "phone": "+4915112345678", "vcard": ""}], "forwarded": True},
    )
    Message.objects.create(
        **common,
        type="poll",
        wa_id="false_4",
        content={
            "poll": {"question": "Lunch?", "options": ["Pizza", "Sushi"], "multipleAnswers": False},
            "pollVotes": {"33611111111@c.us": {"options": ["Sushi"], "at": "2026-01-05T10:00:00Z"}},
        },
    )
    Message.objects.create(
        **common,
        text="See you at 10",
        wa_id="false_5",
        edited_at=timezone.now(),
        edits=[{"text": "See you at 9", "editedAt": "2026-01-05T10:00:00Z"}],
        reactions={"33700000000@c.us": {"emoji": "👍", "at": "2026-01-05T10:00:00Z"}},
    )
    Message.objects.create(**common, text="oops secret", wa_id="false_6", revoked_at=timezone.now())

    html = log_html(admin_client, session)

    assert "↩ Where are you?" in html
    assert "https://www.openstreetmap.org/?mlat=48.8584&amp;mlon=2.2945" in html
    assert "Eiffel &lt;Tower&gt;" in html and "<Tower>" not in html
    assert "⇒ Forwarded" in html and "<b>Anna</b> +4915112345678" in html
    assert "📊 <b>Lunch?</b>" in html and 'data-votes="1">1</span>' in html
    assert "(edited)" in html and "Earlier: See you at 9" in html and ">👍</span>" in html
    assert "This message was deleted" in html and 'title="It said: oops secret"' in html


FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def test_the_log_reacts_to_a_message_and_the_send_form_replies_to_one(admin_client, make_session):
    session = make_session("acts", status="connected")
    received = Message.objects.create(
        session=session,
        chat_id=CHAT,
        phone="+4915112345678",
        direction="inbound",
        status=MessageStatus.RECEIVED,
        text="Open on Sunday?",
        wa_id="false_9",
    )
    assert 'name="emoji" value="👍"' in log_html(admin_client, session)

    react = reverse("dashboard:message-react", args=[session.pk, received.pk])
    reacted = admin_client.post(react, {"emoji": "👍"}, **FETCH)
    not_one = admin_client.post(react, {"emoji": "ok"}, **FETCH)
    assert reacted.json()["ok"] is True and (not_one.status_code, not_one.json()["code"]) == (
        400,
        "invalid_emoji",
    )
    assert Message.objects.get(action="reaction", target=received).text == "👍"

    send = reverse("dashboard:message-send", args=[session.pk])
    body = {"to": "+4915112345678", "text": "Yes, 10 to 4", "reply_to": str(received.pk)}
    assert admin_client.post(send, body, **FETCH).json()["ok"] is True
    reply = Message.objects.get(text="Yes, 10 to 4")
    assert reply.reply_to_id == received.pk and reply.reply_to_wa_id == received.wa_id
    unknown = admin_client.post(send, {**body, "reply_to": "false_nope"}, **FETCH)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "reply_to_not_found")
