"""Messages in the sandbox's groups: a member writes (the page gets `chat.new_message` with the
group as `from` and the member as `author`), and the session sends to a group by its id."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sandbox.groups import ADMIN_ROLES, GroupError, find_member, locked_group, phones_of
from sandbox.models import Ack, Direction, EventKind, SandboxGroup, SandboxMessage
from sandbox.services.device import append_event, require_linked
from sandbox.services.messages import _new_key, contact_for, save_message
from sessions_app.models import Session
from yesapp.errors import InvalidInput


def sandbox_group_message(
    *, session: Session, gid: str, from_phone: str, text: str, name: str = ""
) -> SandboxMessage:
    """A member writes `text` in a group the session is in; `author` is how the group shows
    them (their lid in a group that addresses members by lid)."""
    (phone,) = phones_of([from_phone], field="from")
    if not str(text or "").strip():
        raise InvalidInput("The message has no text.", details={"text": text})
    with transaction.atomic():
        device = require_linked(session)
        group = locked_group(session, gid)
        member = find_member(group, phone)
        if member is None or phone == device.phone:
            raise InvalidInput(f"{from_phone} is not a member of {gid}.", code="not_a_member")
        if group.announce and member["role"] not in ADMIN_ROLES:
            raise GroupError(f"Only admins may send in {gid}.", code="group_you_are_restricted_member")
        if find_member(group, device.phone) is None:
            raise InvalidInput("The session is not in this group; add it first.", code="session_not_member")
        key = _new_key(ours=False)
        message = SandboxMessage(
            session=session,
            contact=contact_for(session, phone, name),
            direction=Direction.INBOUND,
            key=key,
            wa_id=f"false_{gid}_{key}_{member['id']}",
            chat_id=gid,
            author=member["id"],
            text=text,
            ack=Ack.SENT,
        )
        save_message(message, None)
        message.cursor = append_event(device, kind=EventKind.MESSAGE, message=message)
        message.save(update_fields=["cursor"])
    return message


def page_group_send(*, session: Session, chat_id: str, text: str, **fields) -> SandboxMessage:
    """The session sends to a group it is in (`WPP.chat.sendTextMessage` to a `@g.us` id); in an
    announcement group only as an admin. Receipts follow as for a person. Call inside the
    page's send transaction (device locked)."""
    group = SandboxGroup.objects.filter(session=session, gid=chat_id).first()
    device = session.sandbox_device
    member = find_member(group, device.phone) if group else None
    if member is None:
        raise InvalidInput(
            f"{chat_id!r} is not a group the session is in.",
            code="invalid_recipient",
            details={"chatId": chat_id},
        )
    if group.announce and member["role"] not in ADMIN_ROLES:
        raise InvalidInput("Only admins may send to this group.", code="invalid_recipient")
    now = timezone.now()
    read_delay = settings.SANDBOX_READ_DELAY_MS
    key = _new_key(ours=True)
    message = SandboxMessage(
        session=session,
        contact=None,
        direction=Direction.OUTBOUND,
        key=key,
        wa_id=f"true_{chat_id}_{key}",
        chat_id=chat_id,
        text=text,
        ack=Ack.SENT,
        delivered_due_at=now + timedelta(milliseconds=settings.SANDBOX_DELIVERY_DELAY_MS),
        read_due_at=now + timedelta(milliseconds=read_delay) if read_delay >= 0 else None,
        **fields,
    )
    return save_message(message, None)
