"""The unmodified pywa client (PyPI) drives a linked sandbox session through the facade: text,
an uploaded image, a reply, a reaction and a read receipt reach the contact's phone."""

import hashlib

import pytest
from pywa import WhatsApp

from cloud_api.ids import message_id_from_wamid, wamid_for
from cloud_api.tests.graph_transport import graph_client
from cloud_api.tests.helpers import CONTACT, WA_ID, png_bytes
from messaging.models import Message
from sessions_app.tests.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_pywa_sends_text_image_reply_reaction_and_read_receipt_to_the_phone(
    api, raw_api_key, linked, live_server
):
    wa = WhatsApp(phone_id=str(linked.pk), token=raw_api_key, session=graph_client(live_server.url))
    sandbox = f"/api/v1/sandbox/sessions/{linked.pk}"
    their_wa_id = api.post(
        f"{sandbox}/inbound", {"from": CONTACT, "text": "Hi, photo?"}, format="json"
    ).json()["id"]
    theirs = wait_for(
        lambda: Message.objects.filter(session=linked, wa_id=their_wa_id).first(), 30, what="inbound"
    )
    their_wamid = wamid_for(theirs.pk)

    text = wa.send_message(to=WA_ID, text="Hello from pywa")
    image_bytes = png_bytes()
    image = wa.send_image(to=WA_ID, image=image_bytes, caption="the photo", mime_type="image/png")
    reply = wa.send_message(to=WA_ID, text="this answers you", reply_to_message_id=their_wamid)
    wa.send_reaction(to=WA_ID, emoji="👍", message_id=their_wamid)
    assert wa.mark_message_as_read(message_id=their_wamid).success

    # pywa's ids are YesApp's messages, in order.
    ours = [Message.objects.get(pk=message_id_from_wamid(sent.id)) for sent in (text, image, reply)]
    assert [m.type for m in ours] == ["text", "image", "text"]
    outbox = wait_for(
        lambda: len(o := api.get(f"{sandbox}/outbox", {"limit": 10}).json()["messages"]) == 3 and o,
        60,
        what="three messages on the phone",
    )
    by_text = {m["text"]: m for m in outbox}
    assert by_text["Hello from pywa"]["to"] == CONTACT
    photo = by_text["the photo"]
    assert photo["type"] == "image" and photo["media"]["sha256"] == hashlib.sha256(image_bytes).hexdigest()
    assert by_text["this answers you"]["quotedMsgId"] == their_wa_id
    me = linked.__class__.objects.get(pk=linked.pk).wid
    wait_for(
        lambda: api.get(f"{sandbox}/messages/{their_wa_id}").json()["reactions"].get(me) == "👍",
        30,
        what="our reaction on the phone",
    )
    wait_for(
        lambda: api.get(f"{sandbox}/chats/{WA_ID}@c.us").json()["unreadBySession"] == 0,
        30,
        what="their message read on the phone",
    )
