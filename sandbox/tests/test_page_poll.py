"""The page's long poll (sandbox/page_poll.py) when the session goes away under it."""

import asyncio
import json

import pytest

from sandbox.page_poll import PagePoll, page_long_poll
from sessions_app.models import Session


async def _first_answer(poll: PagePoll) -> dict:
    async for chunk in page_long_poll(poll, seconds=2):
        return json.loads(chunk)
    raise AssertionError("the long poll answered nothing")


@pytest.mark.django_db(transaction=True)
def test_a_page_whose_session_was_deleted_is_told_so_not_served_a_500():
    """A page still polling after its session was deleted (in the dashboard, or a test's database
    torn down under a browser) used to make a device row for a missing session: an IntegrityError
    and a traceback on every look."""
    session = Session.objects.create(name="gone", sandbox=True)
    poll = PagePoll(session=session, after=0, device_token="", link_refs=(), page_offline=False)
    Session.objects.filter(pk=session.pk).delete()

    answer = asyncio.run(_first_answer(poll))

    assert answer["error"]["code"] == "not_found", answer
    assert not Session.objects.filter(pk=session.pk).exists()
