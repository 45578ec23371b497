"""Fixtures of the Cloud API facade's tests: a connected session, a Bearer client, and for the
browser tests a sandbox session linked through a real engine worker."""

import pytest
from rest_framework.test import APIClient

from sessions_app.models import Session
from sessions_app.tests.helpers import create_and_link


@pytest.fixture(autouse=True)
def media_root(request, settings, tmp_path):
    # The engine worker of a browser test is another process: media stays where its settings say.
    if request.node.get_closest_marker("browser") is None:
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


@pytest.fixture
def linked(api, engine_worker) -> Session:
    engine_worker("engine-a")
    return create_and_link(api, name="cloud")
