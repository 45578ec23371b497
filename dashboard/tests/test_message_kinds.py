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
