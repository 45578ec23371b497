"""Regressions found by fuzzing the API (yesapp/tests/test_fuzz.py), pinned as fast tests."""

import pytest

from sandbox import services
from sandbox.tests.conftest import PDF_BYTES
from sandbox.tests.test_api import api_url, link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["application/pdf", "*/*", "Z]"])
def test_an_outbox_file_downloads_whatever_the_accept_header_says(api, sandbox_session, accept):
    token = link(api, sandbox_session)
    message = services.sandbox_page_send(
        session=sandbox_session,
        device_token=token,
        chat_id="4915112345678@c.us",
        text="the doc",
        file=services.OutgoingFile(
            data=PDF_BYTES, mimetype="application/pdf", filename="a.pdf", type="document"
        ),
    )
    download = api.get(api_url(sandbox_session.id, f"outbox/{message.wa_id}/media"), HTTP_ACCEPT=accept)
    assert download.status_code == 200, download.content
    assert b"".join(download.streaming_content) == PDF_BYTES
    # Errors of that endpoint stay JSON whatever was asked for.
    missing = api.get(api_url(sandbox_session.id, f"outbox/{message.wa_id}x/media"), HTTP_ACCEPT=accept)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
