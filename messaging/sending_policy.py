"""A session's sending policy: how human its sending looks (docs/ANTI_BAN.md).

One flat object in the API's names: a named preset, and any field set otherwise. What is stored
is the preset and the fields that differ from it (`SendingPolicy.overrides`), so a later change
of a preset's values reaches every session that did not choose otherwise. A session without a
row follows SENDING_POLICY_DEFAULT_PRESET. messaging.pacing applies the policy when sending.

Why the presets are what they are (the reports behind them are cited in docs/ANTI_BAN.md):
- `off`: today's behaviour before policies existed: the server's rate limit and nothing else.
- `natural` (the default): what any person's phone shows before a message: "typing…", the chat
  read before a reply, a number that exists. Its jitter (0.4-1.2 s) never exceeds the gap the
  default 50 messages a minute leave (1.2 s), and typing runs during that gap, so short texts
  still go at the full rate: it changes how sending looks, not how much gets sent.
- `careful`: for a new number, or one WhatsApp restricted before: few messages a minute with
  long random gaps, hourly, daily and first-contact caps, and the warm-up curve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from messaging.models import Message, MessageStatus, SendingPolicy
from sessions_app.models import Session

PRESETS: dict[str, dict[str, Any]] = {
    "off": {
        "typing": False,
        "readBeforeReply": False,
        "jitter": None,
        "perMinute": None,
        "perHour": None,
        "perDay": None,
        "newChatsPerDay": None,
        "warmup": False,
        "quietHours": None,
        "checkNumberFirst": False,
    },
    "natural": {
        "typing": True,
        "readBeforeReply": True,
        "jitter": [0.4, 1.2],
        "perMinute": None,
        "perHour": None,
        "perDay": None,
        "newChatsPerDay": None,
        "warmup": False,
        "quietHours": None,
        "checkNumberFirst": True,
    },
    "careful": {
        "typing": True,
        "readBeforeReply": True,
        "jitter": [4.0, 12.0],
        "perMinute": 6,
        "perHour": 100,
        "perDay": 400,
        "newChatsPerDay": 20,
        "warmup": True,
        "quietHours": None,
        "checkNumberFirst": True,
    },
}
FIELDS = tuple(PRESETS["off"])
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo


@dataclass(frozen=True)
class Policy:
    """The effective policy, as the send path reads it."""

    preset: str
    typing: bool
    read_before_reply: bool
    jitter: tuple[float, float] | None
    per_minute: int | None
    per_hour: int | None
    per_day: int | None
    new_chats_per_day: int | None
    warmup: bool
    quiet_hours: QuietHours | None
    check_number_first: bool

    @property
    def zone(self) -> ZoneInfo:
        """Where a day begins for the daily caps: the quiet hours' time zone, else TIME_ZONE."""
        return self.quiet_hours.zone if self.quiet_hours else ZoneInfo(settings.TIME_ZONE)


def default_preset() -> str:
    return settings.SENDING_POLICY_DEFAULT_PRESET


def _stored(session_id) -> SendingPolicy | None:
    return SendingPolicy.objects.filter(session_id=session_id).first()


def policy_values(session_id) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(preset, effective fields, overrides) of a session."""
    row = _stored(session_id)
    preset = row.preset if row is not None and row.preset in PRESETS else default_preset()
    overrides = {k: v for k, v in (row.overrides if row is not None else {}).items() if k in FIELDS}
    return preset, PRESETS[preset] | overrides, overrides


def policy_for(session_id) -> Policy:
    preset, values, _ = policy_values(session_id)
    try:
        return policy_from_values(preset, values)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        # Only a hand-edited row gets here (the API and the admin check values): sending goes on.
        logger.warning("Session %s has an unusable sending policy (%s); its preset applies", session_id, exc)
        return policy_from_values(preset, PRESETS[preset])


def _quiet(value: dict | None) -> QuietHours | None:
    if not value:
        return None
    return QuietHours(
        start=time.fromisoformat(value["start"]),
        end=time.fromisoformat(value["end"]),
        zone=ZoneInfo(value["timeZone"]),
    )


def policy_from_values(preset: str, values: dict[str, Any]) -> Policy:
    jitter = values["jitter"]
    return Policy(
        preset=preset,
        typing=values["typing"],
        read_before_reply=values["readBeforeReply"],
        jitter=(float(jitter[0]), float(jitter[1])) if jitter else None,
        per_minute=values["perMinute"],
        per_hour=values["perHour"],
        per_day=values["perDay"],
        new_chats_per_day=values["newChatsPerDay"],
        warmup=values["warmup"],
        quiet_hours=_quiet(values["quietHours"]),
        check_number_first=values["checkNumberFirst"],
    )


def policy_json(session_id) -> dict[str, Any]:
    """The policy as the API shows it (without `usage`, which messaging.pacing adds)."""
    preset, values, overrides = policy_values(session_id)
    row = _stored(session_id)
    return {
        "preset": preset,
        **values,
        "overrides": sorted(overrides),
        "updatedAt": row.updated_at if row is not None else None,
    }


def _save(session: Session, preset: str, values: dict[str, Any]) -> None:
    """Stores `preset` and what differs from it; queued messages are scheduled afresh."""
    overrides = {k: v for k, v in values.items() if k in FIELDS and PRESETS[preset][k] != v}
    with transaction.atomic():
        SendingPolicy.objects.update_or_create(
            session=session, defaults={"preset": preset, "overrides": overrides}
        )
        # A wait computed under the old policy may be wrong now: the send path computes it again.
        Message.objects.filter(session=session, status=MessageStatus.QUEUED).exclude(
            waiting_for="typing"
        ).update(not_before=None, waiting_for="")


def sending_policy_replace(*, session: Session, preset: str | None = None, **fields) -> dict[str, Any]:
    """PUT: the policy becomes `preset` (SENDING_POLICY_DEFAULT_PRESET when not given) with `fields`;
    fields not given take the preset's values."""
    preset = preset or default_preset()
    _save(session, preset, PRESETS[preset] | fields)
    return policy_json(session.pk)


def sending_policy_update(*, session: Session, preset: str | None = None, **fields) -> dict[str, Any]:
    """PATCH: only the fields given change; the other fields set otherwise than the preset stay."""
    current_preset, _, overrides = policy_values(session.pk)
    new_preset = preset or current_preset
    _save(session, new_preset, PRESETS[new_preset] | overrides | fields)
    return policy_json(session.pk)
