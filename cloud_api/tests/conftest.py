"""Fixtures of the Cloud API facade's tests: a connected session, a Bearer client."""

import pytest
from rest_framework.test import APIClient

from sessions_app.models import Session


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def session(db) -> Session:
    return Session.objects.create(
        name="cloud", status="connected", wid="33700000000@c.us", phone="+33700000000"
    )


@pytest.fixture
def cloud(raw_api_key) -> APIClient:
    """A client that carries the key as a Cloud API access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_api_key}")
    return client
