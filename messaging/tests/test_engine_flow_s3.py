"""The engine flow with FILE_STORAGE=s3: a real engine worker (another process, with its own
Chromium on the sandbox page) sends media it reads from the bucket and stores received media
into it, and the web side, which downloaded nothing, streams it back. The bucket is moto's S3
emulator in server mode on a loopback port (yesapp/tests/s3.py): no real S3 server is
reachable here."""

import base64
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from messaging.tests.test_engine_flow import CONTACT, message, outbox, png_bytes
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def linked(s3_storage, api, engine_worker):
    """The bucket first: the engine worker inherits its settings from the environment."""
    engine_worker("engine-s3")
    return create_and_link(api, name="s3")


def test_media_go_both_ways_through_the_bucket_and_download_from_the_web_side(
    api, linked, s3_storage, settings
):
    data = png_bytes()
    body = {"to": CONTACT, "media": {"type": "image", "data": base64.b64encode(data).decode()}}
    sent_id = api.post(f"/api/v1/sessions/{linked.id}/messages", body, format="json").json()["messageId"]
    wait_for(
        lambda: message(api, linked.id, sent_id)["status"] in ("sent", "delivered", "read"), 60, what="sent"
    )
    delivered = wait_for(lambda: outbox(api, linked.id), 20, what="outbox")[0]
    assert delivered["media"]["sha256"] == hashlib.sha256(data).hexdigest()

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 40, 220)).save(buffer, format="PNG")
    photo = buffer.getvalue()  # other bytes than the sent one
    inbound = {"from": CONTACT, "text": "a photo", "media": {"data": base64.b64encode(photo).decode()}}
    assert (
        api.post(f"/api/v1/sandbox/sessions/{linked.id}/inbound", inbound, format="json").status_code == 202
    )
    received = wait_for(
        lambda: api.get(f"/api/v1/sessions/{linked.id}/messages", {"direction": "inbound"}).json()[
            "messages"
        ],
        60,
        what="inbound photo",
    )[0]
    media = wait_for(
        lambda: (r := api.get(f"/api/v1/media/{received['messageId']}")).status_code == 200 and r,
        60,
        what="media downloaded by the engine worker",
    )
    assert b"".join(media.streaming_content) == photo and media["Content-Length"] == str(len(photo))

    names = {f"{sent_id}.png", f"{received['messageId']}.png"}
    assert names <= set(s3_storage.names())
    assert not any((Path(settings.DATA_DIR) / "media" / name).exists() for name in names)
