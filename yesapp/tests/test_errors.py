import logging

import pytest
from django.test import Client, override_settings

from yesapp.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def test_validation_error_is_400_with_field_details(api):
    error = assert_error_shape(api.post("/api/v1/keys", {"name": ""}, format="json"), 400, "validation_error")
    assert error["message"].startswith("name:")
    assert "name" in error["details"]


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/keys", "{not json", content_type="application/json")
    assert_error_shape(response, 400, "malformed_request")


def test_unknown_api_path_is_404(api):
    assert_error_shape(api.get("/api/v1/no-such-thing"), 404, "not_found")


def test_unknown_api_path_is_404_json_even_without_a_key(anon_api):
    assert_error_shape(anon_api.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_on_an_api_view_is_405_with_allow(api):
    response = api.put("/api/v1/me", {}, format="json")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_wrong_method_on_a_probe_is_405_json(anon_api):
    assert_error_shape(anon_api.post("/health"), 405, "method_not_allowed")


@override_settings(API_MAX_BODY_BYTES=100)
def test_body_over_the_limit_is_413_before_parsing(api):
    response = api.post("/api/v1/keys", {"name": "x" * 200}, format="json")
    error = assert_error_shape(response, 413, "payload_too_large")
    assert error["details"]["limit"] == 100


def test_unsupported_media_type_is_415(api):
    response = api.post("/api/v1/keys", "name=x", content_type="text/plain")
    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.urls("yesapp.tests.urls_errors")
@pytest.mark.parametrize("path", ["/api/v1/test/broken", "/api/v1/test/broken-plain"])
def test_unhandled_exception_is_500_without_the_traceback_which_is_logged(raw_api_key, caplog, path):
    caplog.set_level(logging.ERROR)
    client = Client(raise_request_exception=False, HTTP_X_API_KEY=raw_api_key)
    response = client.get(path, HTTP_X_REQUEST_ID="req-500")
    error = assert_error_shape(response, 500, "internal_error")
    assert error["message"] == "Internal server error."
    assert "hunter2" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert response["X-Request-ID"] == "req-500"
    logged = [r for r in caplog.records if r.exc_info and "hunter2" in str(r.exc_info[1])]
    assert logged, "the traceback must be logged"


@pytest.mark.urls("yesapp.tests.urls_errors")
def test_unhandled_exception_on_a_page_is_the_html_500(caplog):
    caplog.set_level(logging.ERROR)
    response = Client(raise_request_exception=False).get("/broken-page")
    assert response.status_code == 500
    assert "hunter2" not in response.content.decode()
    assert not response["Content-Type"].startswith("application/json")


@override_settings(DEBUG=True)
def test_api_404_stays_json_when_debug_is_on(anon_api):
    assert_error_shape(anon_api.get("/api/v1/no-such-thing"), 404, "not_found")


def test_service_errors_map_to_their_status():
    from yesapp.errors import Conflict, ServiceUnavailable, TooManyRequests, describe_exception

    assert describe_exception(Conflict("busy")).status == 409
    assert describe_exception(ServiceUnavailable("redis down")).status == 503
    reply = describe_exception(TooManyRequests("slow down", retry_after=7))
    assert (reply.status, reply.code, reply.headers["Retry-After"]) == (429, "too_many_requests", "7")
