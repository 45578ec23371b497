"""Calls on the sandbox's WhatsApp: a simulated person (or a group member) rings the session;
the page fires wa-js `call.incoming_call`, and `WPP.call.reject` hangs up on them."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from sandbox.groups import find_member, locked_group, phones_of
from sandbox.models import EventKind, SandboxCall
from sandbox.services.device import append_event, device_token_valid, locked_device, require_linked
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput, NotFound


def sandbox_ring(
    *, session: Session, from_phone: str, video: bool = False, group_id: str = ""
) -> SandboxCall:
    """`from_phone` calls the session (voice or video), from a group call when `group_id` is
    given (they must be members of it). The page fires `call.incoming_call`."""
    (phone,) = phones_of([from_phone], field="from")
    with transaction.atomic():
        device = require_linked(session)
        if phone == device.phone:
            raise InvalidInput("The caller is the session's own number.", details={"from": from_phone})
        caller = phone.lstrip("+") + "@c.us"
        if group_id:
            group = locked_group(session, group_id)
            member = find_member(group, phone)
            if member is None:
                raise InvalidInput(f"{from_phone} is not a member of {group_id}.", code="not_a_member")
            caller = member["id"]
        call = SandboxCall.objects.create(
            session=session,
            call_id=secrets.token_hex(16).upper(),
            caller=caller,
            group=group_id,
            is_video=video,
        )
        payload = {
            "id": call.call_id,
            "isGroup": bool(group_id),
            "isVideo": video,
            "offerTime": int(call.created_at.timestamp()),
            "sender": caller,
            "peerJid": caller.replace("@", ":7@", 1),
        }
        append_event(device, kind=EventKind.ACTION, raw_name="call.incoming_call", raw_data=payload)
    return call


def page_call_reject(*, session: Session, device_token: str, call_id: str) -> bool:
    """`WPP.call.reject(callId)`: hangs up a ringing call (the newest when no id is given);
    wa-js's `call_not_found` when there is none."""
    with transaction.atomic():
        device = locked_device(session)
        if not device_token_valid(device, device_token):
            raise Conflict("The page is not logged in.", code="not_logged_in")
        calls = SandboxCall.objects.select_for_update().filter(session=session, rejected_at__isnull=True)
        call = calls.filter(call_id=call_id).first() if call_id else calls.first()
        if call is None:
            raise NotFound(f"Call {call_id} not found", code="call_not_found", details={"id": call_id})
        call.rejected_at = timezone.now()
        call.save(update_fields=["rejected_at"])
    return True
