"""Regressions found by fuzzing the API (yesapp/tests/test_fuzz.py), pinned as fast tests."""

import pytest

from sandbox.tests.conftest import PDF_BYTES
from sandbox.tests.test_api import api_url, send_pdf_from_page

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["application/pdf", "*/*", "Z]"])
def test_an_outbox_file_downloads_whatever_the_accept_header_says(api, sandbox_session, accept):
    message = send_pdf_from_page(api, sandbox_session)
    download = api.get(api_url(sandbox_session.id, f"outbox/{message.wa_id}/media"), HTTP_ACCEPT=accept)
    assert download.status_code == 200, download.content
    assert b"".join(download.streaming_content) == PDF_BYTES
    # Errors of that endpoint stay JSON whatever was asked for.
    missing = api.get(api_url(sandbox_session.id, f"outbox/{message.wa_id}x/media"), HTTP_ACCEPT=accept)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
