"""Fixtures of the event log's tests: sessions, emitted events, keys of each scope."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from sessions_app.models import Session
from yesapp.apikeys import apikey_create
from yesapp.events import MESSAGE_RECEIVED, emit


@pytest.fixture
def make_session(db):
    def make(name: str = "shop") -> Session:
        return Session.objects.create(name=name, status="connected")

    return make


def emit_received(session: Session, text: str, event: str = MESSAGE_RECEIVED) -> None:
    """What messaging does when a message arrives: emit inside its transaction."""
    with transaction.atomic():
        emit(event, session_id=session.pk, payload={"from": "+33612345678", "type": "text", "text": text})


@pytest.fixture
def scoped_key():
    """`scoped_key(session)`: (the plain key, an API client sending it) for a key limited to it."""

    def make(*sessions: Session) -> tuple[str, APIClient]:
        _, raw = apikey_create(name="scoped", session_ids=[s.pk for s in sessions])
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=raw)
        return raw, client

    return make
