"""GET/PUT/PATCH /sessions/{id}/sending-policy, and the admin's form for it."""

import pytest

from messaging import outbound
from messaging.admin import SendingPolicyForm
from messaging.models import SendingPolicy
from messaging.sending_policy import PRESETS, policy_for
from messaging.tests.conftest import queue


def url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/sending-policy"


def test_a_session_that_never_chose_follows_the_default_preset(api, session, settings):
    settings.SENDING_POLICY_DEFAULT_PRESET = "natural"

    body = api.get(url(session)).json()

    assert body["preset"] == "natural"
    assert {k: body[k] for k in PRESETS["natural"]} == PRESETS["natural"]
    assert (body["overrides"], body["updatedAt"]) == ([], None)
    assert body["usage"]["minute"] == {"used": 0, "limit": 50}
    assert body["usage"]["newChats"] == {"used": 0, "limit": None} and body["usage"]["warmup"] is None


def test_what_get_answers_can_be_put_back_as_it_is(api, session):
    api.patch(url(session), {"preset": "careful", "perDay": 250}, format="json")
    shown = api.get(url(session)).json()

    again = api.put(url(session), shown, format="json")

    assert again.status_code == 200
    assert {k: v for k, v in again.json().items() if k != "updatedAt"} == {
        k: v for k, v in shown.items() if k != "updatedAt"
    }


def test_patch_changes_only_the_fields_given(api, session):
    body = api.patch(url(session), {"perDay": 300}, format="json").json()
    assert (body["preset"], body["perDay"], body["overrides"]) == ("off", 300, ["perDay"])

    body = api.patch(url(session), {"preset": "careful"}, format="json").json()
    assert (body["preset"], body["perDay"], body["perHour"]) == ("careful", 300, 100)
    assert body["typing"] is True and body["overrides"] == ["perDay"]


def test_put_resets_what_it_does_not_name_to_the_preset(api, session):
    api.patch(url(session), {"perDay": 300, "typing": True}, format="json")

    body = api.put(url(session), {"preset": "careful", "jitter": [5, 9]}, format="json").json()

    assert (body["perDay"], body["jitter"], body["overrides"]) == (400, [5.0, 9.0], ["jitter"])
    assert policy_for(session.pk).jitter == (5.0, 9.0)


@pytest.mark.parametrize(
    "change",
    [
        {"preset": "fast"},
        {"jitter": [3, 1]},
        {"jitter": [1]},
        {"jitter": [-1, 2]},
        {"perMinute": 0},
        {"perDay": "10"},
        {"typing": "yes"},
        {"quietHours": {"start": "22:00", "end": "22:00", "timeZone": "UTC"}},
        {"quietHours": {}},
        {"quietHours": {"start": "22:00", "end": "07:00"}},
        {"quietHours": {"start": "25:00", "end": "07:00", "timeZone": "UTC"}},
        {"quietHours": {"start": "22:00", "end": "07:00", "timeZone": "Mars/Olympus"}},
    ],
)
def test_bad_values_are_400_and_change_nothing(api, session, change):
    api.patch(url(session), {"perDay": 300}, format="json")

    answer = api.patch(url(session), change, format="json")

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation_error"
    assert SendingPolicy.objects.get().overrides == {"perDay": 300}


def test_quiet_hours_in_a_time_zone_are_kept(api, session):
    quiet = {"start": "21:30", "end": "07:00", "timeZone": "America/Sao_Paulo"}
    body = api.patch(url(session), {"quietHours": quiet}, format="json").json()
    assert body["quietHours"] == quiet
    assert str(policy_for(session.pk).zone) == "America/Sao_Paulo"


def test_usage_counts_what_was_sent_today(api, session, engine, unlimited):
    api.put(url(session), {"preset": "off", "perDay": 10, "newChatsPerDay": 5}, format="json")
    queue(session, "a", "b")
    outbound.send_due(session_id=session.pk, engine=engine)

    usage = api.get(url(session)).json()["usage"]

    assert usage["day"] == {"used": 2, "limit": 10}
    assert usage["newChats"] == {"used": 1, "limit": 5}  # both went to one new chat
    assert usage["minute"]["used"] == 2


def test_an_unknown_session_is_404(api, db):
    answer = api.get("/api/v1/sessions/00000000-0000-0000-0000-000000000000/sending-policy")
    assert answer.status_code == 404


def test_the_admin_form_refuses_what_the_api_would(session):
    form = SendingPolicyForm(
        data={"session": session.pk, "preset": "natural", "overrides": '{"jitter": [3, 1]}'}
    )
    assert not form.is_valid() and "overrides" in form.errors
    form = SendingPolicyForm(data={"session": session.pk, "preset": "natural", "overrides": '{"speed": 3}'})
    assert not form.is_valid()
    form = SendingPolicyForm(data={"session": session.pk, "preset": "careful", "overrides": '{"perDay": 50}'})
    assert form.is_valid(), form.errors
    form.save()
    assert policy_for(session.pk).per_day == 50


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_missing_body_or_one_that_is_not_an_object_is_400(api, session, method):
    assert getattr(api, method)(url(session)).status_code == 400
    assert getattr(api, method)(url(session), [1, 2], format="json").status_code == 400
