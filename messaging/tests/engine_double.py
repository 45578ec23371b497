"""A recording Engine: the one stand-in allowed at the unit level. It takes the place of the
browser so messaging.inbound and messaging.outbound can be tested alone; the real path through
Chromium is the engine's tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from messaging.models import Message
from sessions_app.engine.base import ConnectionState, Engine, MediaFile, PageEvent, SendResult


@dataclass
class Call:
    method: str
    chat_id: str = ""
    text: str = ""
    media: MediaFile | None = None
    wa_id: str = ""
    status_at_call: str = ""
    quoted_id: str = ""
    content: object = None


@dataclass
class RecordingEngine(Engine):
    """Records every send and download. `fail_with` maps a text (or caption) to an exception to
    raise, or a SendResult to return; `media` maps a wa id to (bytes, mimetype) or an exception."""

    calls: list[Call] = field(default_factory=list)
    fail_with: dict = field(default_factory=dict)
    media: dict = field(default_factory=dict)
    absent: set = field(default_factory=set)
    counter: int = 0

    def _status_of(self, chat_id: str, text: str) -> str:
        message = Message.objects.filter(chat_id=chat_id, text=text).order_by("-created_at").first()
        return message.status if message else ""

    def _answer(self, chat_id: str, text: str) -> SendResult:
        outcome = self.fail_with.get(text)
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, SendResult):
            return outcome
        self.counter += 1
        return SendResult(wa_id=f"true_{chat_id}_3EB0{self.counter:08d}", ack=1)

    def send_text(
        self, chat_id: str, text: str, *, quoted_id: str = "", extra: dict | None = None
    ) -> SendResult:
        self.calls.append(
            Call(
                "send_text",
                chat_id,
                text,
                status_at_call=self._status_of(chat_id, text),
                quoted_id=quoted_id,
                content=extra or None,
            )
        )
        return self._answer(chat_id, text)

    def _send_content(self, method: str, chat_id: str, content, quoted_id: str) -> SendResult:
        self.calls.append(Call(method, chat_id, quoted_id=quoted_id, content=content))
        return self._answer(chat_id, "")

    def send_location(self, chat_id: str, location: dict, *, quoted_id: str = "") -> SendResult:
        return self._send_content("send_location", chat_id, location, quoted_id)

    def send_contacts(self, chat_id: str, contacts: list[dict], *, quoted_id: str = "") -> SendResult:
        return self._send_content("send_contacts", chat_id, contacts, quoted_id)

    def send_poll(self, chat_id: str, poll: dict, *, quoted_id: str = "") -> SendResult:
        return self._send_content("send_poll", chat_id, poll, quoted_id)

    def send_media(self, chat_id: str, media: MediaFile) -> SendResult:
        self.calls.append(
            Call(
                "send_media",
                chat_id,
                media.caption,
                media=media,
                status_at_call=self._status_of(chat_id, media.caption),
            )
        )
        return self._answer(chat_id, media.caption)

    def react(self, wa_id: str, emoji: str) -> SendResult:
        self.calls.append(Call("act_react", text=emoji, wa_id=wa_id))
        return self._action_answer(emoji)

    def delete_message(self, chat_id: str, wa_id: str, *, revoke: bool) -> SendResult:
        self.calls.append(Call("act_revoke" if revoke else "act_delete", chat_id, wa_id=wa_id))
        return self._action_answer(wa_id)

    def edit_message(self, wa_id: str, text: str) -> SendResult:
        self.calls.append(Call("act_edit", text=text, wa_id=wa_id))
        return self._action_answer(text)

    def forward_message(self, chat_id: str, wa_id: str) -> SendResult:
        self.calls.append(Call("send_forward", chat_id, wa_id=wa_id))
        return self._action_answer(wa_id)

    def mark_read(self, chat_id: str) -> SendResult:
        self.calls.append(Call("act_read", chat_id))
        return self._action_answer(chat_id)

    def set_presence(self, chat_id: str, state: str) -> SendResult:
        self.calls.append(Call("act_presence", chat_id, text=state))
        return self._action_answer(state)

    def _action_answer(self, key: str) -> SendResult:
        outcome = self.fail_with.get(key)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome if isinstance(outcome, SendResult) else SendResult(wa_id="", ack=1)

    def check_numbers(self, chat_ids: list[str], *, wait: float) -> list[dict]:
        """Every number is on WhatsApp but those in `absent`."""
        self.calls.append(Call("check_numbers", ",".join(chat_ids)))
        return [
            {"id": chat_id, "exists": chat_id not in self.absent, "chatId": chat_id, "lid": None}
            for chat_id in chat_ids
        ]

    def download_media(self, wa_id: str) -> tuple[bytes, str]:
        self.calls.append(Call("download_media", wa_id=wa_id))
        outcome = self.media.get(wa_id)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is None:
            raise AssertionError(f"unexpected download of {wa_id}")
        return outcome

    @property
    def sent(self) -> list[Call]:
        return [call for call in self.calls if call.method.startswith("send_")]

    # The rest of the interface is not used by messaging's tests.
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def is_alive(self, timeout: float = 5.0) -> bool:
        return True

    def state(self) -> ConnectionState:
        return ConnectionState(is_authenticated=True, stream_mode="MAIN")

    def drain_events(self, wait: float) -> list[PageEvent]:
        return []

    def acknowledge(self, seq: int) -> None: ...

    def recent_messages(self, *, since: float, max_chats: int, per_chat: int) -> list[dict]:
        return []

    def logout(self) -> None: ...
    def pairing_code(self, phone_digits: str) -> str:
        return ""

    def memory_pids(self) -> list[int]:
        return []
