import io
from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from sandbox.models import Direction, SandboxContact, SandboxDevice, SandboxMessage

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def link(session, phone="+14155550123") -> SandboxDevice:
    device, _ = SandboxDevice.objects.get_or_create(session=session)
    device.device_token, device.phone, device.linked_at = "t" * 64, phone, timezone.now()
    device.save()
    return device


def test_sandbox_page_is_only_for_sandbox_sessions(admin_client, make_session):
    real = make_session("real", sandbox=False)
    assert admin_client.get(reverse("dashboard:sandbox", args=[real.pk])).status_code == 404
    sandbox = make_session("play", status="qr", qr_raw="2@x,y,z,w")
    page = admin_client.get(reverse("dashboard:sandbox", args=[sandbox.pk]))
    assert page.status_code == 200
    assert b"Scan the QR with this phone" in page.content and b"data:image/png;base64," in page.content


def test_scanning_when_no_page_shows_a_qr_gives_the_services_reason(admin_client, make_session):
    session = make_session("play", status="starting")
    response = admin_client.post(
        reverse("dashboard:sandbox-scan", args=[session.pk]),
        {"phone": "+14155550123", "name": "Phone"},
        **FETCH,
    )
    assert response.status_code == 409
    assert "not showing a QR" in response.json()["message"]


def test_writing_as_a_contact_needs_a_linked_phone_then_reaches_the_session(admin_client, make_session):
    session = make_session("play", status="connected")
    url = reverse("dashboard:sandbox-write", args=[session.pk])
    data = {"from_phone": "+14155550142", "name": "Alice", "text": "Hi there"}
    refused = admin_client.post(url, data, **FETCH)
    assert refused.status_code == 409 and "not linked" in refused.json()["message"]
    link(session)
    accepted = admin_client.post(url, data, **FETCH)
    assert accepted.json()["ok"] is True
    message = SandboxMessage.objects.get(direction=Direction.INBOUND)
    assert (message.text, message.contact.phone, message.contact.name) == (
        "Hi there",
        "+14155550142",
        "Alice",
    )


def test_writing_a_file_as_a_contact(admin_client, make_session):
    session = make_session("play", status="connected")
    link(session)
    upload = io.BytesIO(PNG)
    upload.name = "dot.png"
    response = admin_client.post(
        reverse("dashboard:sandbox-write", args=[session.pk]),
        {"from_phone": "+14155550142", "text": "", "file": upload},
        **FETCH,
    )
    assert response.json()["ok"] is True, response.json()
    message = SandboxMessage.objects.get()
    assert message.type == "image" and message.mimetype == "image/png"


def test_writing_a_file_past_the_limit_is_413_with_the_apis_words_and_stores_nothing(
    admin_client, make_session, settings
):
    session = make_session("play", status="connected")
    link(session)
    settings.MEDIA_MAX_BYTES = len(PNG) - 1
    upload = io.BytesIO(PNG)
    upload.name = "dot.png"
    response = admin_client.post(
        reverse("dashboard:sandbox-write", args=[session.pk]),
        {"from_phone": "+14155550142", "text": "", "file": upload},
        **FETCH,
    )
    assert response.status_code == 413
    assert "MEDIA_MAX_BYTES" in response.json()["message"]
    assert not SandboxMessage.objects.exists()


def test_outbox_shows_what_contacts_received_with_receipts_and_previews(admin_client, make_session):
    session = make_session("play", status="connected")
    link(session)
    contact = SandboxContact.objects.create(session=session, phone="+14155550142", name="Alice")
    past = timezone.now() - timedelta(seconds=10)
    SandboxMessage.objects.create(
        session=session,
        contact=contact,
        direction=Direction.OUTBOUND,
        wa_id="true_14155550142@c.us_3EB0AA",
        key="3EB0AA",
        chat_id=contact.chat_id,
        text="<b>hello</b>",
        ack=1,
        delivered_due_at=past,
        read_due_at=past,
    )
    image = SandboxMessage(
        session=session,
        contact=contact,
        direction=Direction.OUTBOUND,
        wa_id="true_14155550142@c.us_3EB0BB",
        key="3EB0BB",
        chat_id=contact.chat_id,
        type="image",
        mimetype="image/png",
        filename="dot.png",
        size=len(PNG),
        ack=1,
    )
    image.media.save("dot.png", ContentFile(PNG), save=True)
    html = admin_client.get(reverse("dashboard:sandbox-outbox", args=[session.pk])).content.decode()
    assert "&lt;b&gt;hello&lt;/b&gt;" in html
    assert 'data-ack="read"' in html  # receipts due in the past were applied
    media_url = reverse("dashboard:sandbox-media", args=[session.pk, image.wa_id])
    assert f'href="{media_url}" data-lightbox' in html
    preview = admin_client.get(media_url)
    assert preview["Content-Type"] == "image/png" and b"".join(preview.streaming_content) == PNG
    download = admin_client.get(media_url + "?download")
    assert download["Content-Disposition"].startswith("attachment")


def test_a_pairing_code_typed_on_the_sandbox_phone_goes_to_the_service(admin_client, make_session):
    session = make_session("play", status="qr")
    response = admin_client.post(
        reverse("dashboard:sandbox-scan", args=[session.pk]),
        {"phone": "+14155550123", "name": "Phone", "code": "k3zp-9qwa"},
        **FETCH,
    )
    assert response.status_code == 409
    assert "No page is waiting for this pairing code" in response.json()["message"]


def _ids(html: str) -> list[str]:
    import re

    return re.findall(r'\sid="([^"]+)"', html)


def test_every_id_on_the_sandbox_phone_and_session_pages_is_unique(admin_client, make_session):
    session = make_session("sbx", status="qr")
    for url in (
        reverse("dashboard:sandbox", args=[session.pk]),
        reverse("dashboard:session", args=[session.pk]),
    ):
        ids = _ids(admin_client.get(url).content.decode())
        assert ids and sorted({i for i in ids if ids.count(i) > 1}) == [], url


def test_pairing_code_instructions_are_for_real_phones_only(admin_client, make_session):
    sandbox = make_session("sbx", status="qr", sandbox=True)
    real = make_session("real", status="qr", sandbox=False, qr_raw="2@ref,key1,key2,secret")
    sandbox_page = admin_client.get(reverse("dashboard:session", args=[sandbox.pk])).content.decode()
    real_page = admin_client.get(reverse("dashboard:session", args=[real.pk])).content.decode()
    assert "Link with phone number instead" in real_page and 'id="pairing-form"' in real_page
    # A sandbox session gets its code here too, and types it on the sandbox phone, not a real one.
    assert "Link with phone number instead" not in sandbox_page and 'id="pairing-form"' in sandbox_page
    assert (
        "type it on the" in sandbox_page and reverse("dashboard:sandbox", args=[sandbox.pk]) in sandbox_page
    )


def test_the_contact_replies_mentions_forwards_and_sends_voice_notes_from_the_phone_page(
    admin_client, make_session
):
    session = make_session("play", status="connected")
    link(session)
    url = reverse("dashboard:sandbox-write", args=[session.pk])
    first = {
        "from_phone": "+14155550142",
        "text": "Hi @33611111111",
        "mentions": "+33611111111",
        "forwarded": "on",
    }
    assert admin_client.post(url, first, **FETCH).json()["ok"] is True
    hi = SandboxMessage.objects.get()
    assert hi.content == {"mentionedJidList": ["33611111111@c.us"], "isForwarded": True, "forwardingScore": 1}

    upload = io.BytesIO(b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\x00" * 64)
    upload.name = "note.mp3"
    voice = {"from_phone": "+14155550142", "file": upload, "voice": "on", "reply_to": hi.wa_id}
    assert admin_client.post(url, voice, **FETCH).json()["ok"] is True
    note = SandboxMessage.objects.exclude(pk=hi.pk).get()
    assert note.type == "ptt" and note.quoted_wa_id == hi.wa_id

    unknown = admin_client.post(
        url, {"from_phone": "+14155550142", "text": "re", "reply_to": "nope"}, **FETCH
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "msg_not_found"


def test_the_contact_acts_on_messages_and_types_from_the_phone_page(admin_client, make_session):
    session = make_session("play", status="connected")
    link(session)
    contact = SandboxContact.objects.create(session=session, phone="+14155550142", name="Alice")
    poll = SandboxMessage.objects.create(
        session=session,
        contact=contact,
        direction=Direction.OUTBOUND,
        key="3EB0P",
        wa_id="true_14155550142@c.us_3EB0P",
        chat_id=contact.chat_id,
        type="poll_creation",
        content={
            "pollName": "Lunch?",
            "pollOptions": [{"localId": 0, "name": "Pizza"}, {"localId": 1, "name": "Sushi"}],
            "pollSelectableOptionsCount": 0,
        },
    )
    act = reverse("dashboard:sandbox-act", args=[session.pk])

    voted = admin_client.post(act, {"wa_id": poll.wa_id, "act": "vote", "value": "Sushi, Pizza"}, **FETCH)
    reacted = admin_client.post(act, {"wa_id": poll.wa_id, "act": "react", "value": "🎉"}, **FETCH)
    not_theirs = admin_client.post(act, {"wa_id": poll.wa_id, "act": "revoke"}, **FETCH)
    bad_option = admin_client.post(act, {"wa_id": poll.wa_id, "act": "vote", "value": "Kebab"}, **FETCH)

    assert voted.json()["ok"] is True and reacted.json()["ok"] is True
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (409, "not_own_message")
    assert (bad_option.status_code, bad_option.json()["code"]) == (400, "unknown_option")
    poll.refresh_from_db()
    assert poll.content["votes"] == {contact.chat_id: ["Sushi", "Pizza"]} and poll.reactions
    presence = reverse("dashboard:sandbox-presence", args=[session.pk])
    typing = admin_client.post(presence, {"from_phone": "+14155550142", "state": "typing"}, **FETCH)
    stranger = admin_client.post(presence, {"from_phone": "+14155550199", "state": "typing"}, **FETCH)
    assert typing.json()["ok"] is True and stranger.status_code == 404
    page = admin_client.get(reverse("dashboard:sandbox", args=[session.pk])).content.decode()
    assert 'id="act-form"' in page and 'id="presence-form"' in page
    outbox = admin_client.get(reverse("dashboard:sandbox-outbox", args=[session.pk])).content.decode()
    assert "📊 <b>Lunch?</b>" in outbox and poll.wa_id in outbox
