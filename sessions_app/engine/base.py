"""The engine interface: what a session actor needs from a browser running WhatsApp Web.

`chromium.py` is the one production implementation (Selenium + Debian Chromium). Nothing
outside this package imports Selenium; the rest of the app speaks in these types.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class EngineError(Exception):
    """A browser-side failure. `permanent` ones need the user (logged out, profile broken);
    transient ones (a crashed or hung browser, a timeout) are fixed by a restart."""

    def __init__(self, message: str, *, permanent: bool = False, step: str = ""):
        super().__init__(message)
        self.permanent = permanent
        self.step = step


class EngineCrashed(EngineError):
    """The browser is gone or does not answer; the actor restarts it."""


class PageTimeout(EngineError):
    """The page is alive but WhatsApp did not answer a question in time (no restart needed)."""


@dataclass(frozen=True)
class PageEvent:
    """One wa-js event as the bridge queued it: `name` is the wa-js event name
    (`conn.auth_code_change`, `chat.new_message`, ...), `data` its JSON payload."""

    name: str
    data: Any
    at: float = 0.0  # page time (ms since epoch) when the event fired
    seq: int = 0  # the bridge's sequence number; acknowledged once the event is stored


@dataclass(frozen=True)
class ConnectionState:
    """The page's login state. Logged in and ready = `is_authenticated` and mode `MAIN`
    (wa-js `conn.main_ready` also fires on the QR screen, so it is not used alone)."""

    is_authenticated: bool
    stream_mode: str  # WPP.conn.getStreamData().mode: QR, MAIN, SYNCING, OFFLINE, CONFLICT, ...
    my_id: str = ""  # WPP.conn.getMyUserId()._serialized once logged in
    push_name: str = ""
    qr: str = ""  # fullCode from WPP.conn.getAuthCode() while waiting for a scan

    @property
    def is_ready(self) -> bool:
        return self.is_authenticated and self.stream_mode == "MAIN"


@dataclass(frozen=True)
class SendResult:
    """What `WPP.chat.send*Message` answered: the WhatsApp message id and its ack (0 pending,
    1 sent). `error` holds a `sendMsgResult` other than OK."""

    wa_id: str
    ack: int = 0
    error: str = ""


@dataclass(frozen=True)
class MediaFile:
    data: bytes
    mimetype: str
    filename: str = ""
    caption: str = ""
    kind: str = "document"  # image | video | audio | document | sticker
    extra: dict = field(default_factory=dict)


class Engine(abc.ABC):
    """One browser for one session. Not thread-safe: exactly one actor thread uses it."""

    # The browser profile on disk, whose login state is snapshotted (None: nothing to keep).
    profile_dir: Path | None = None
    # Set by the actor before start(): called, from another thread, when the page has queued
    # events (event_feed.py). An engine that never calls it is polled as before.
    on_push: Callable[[], None] | None = None

    def push_active(self) -> bool:
        """Whether the page rings `on_push` now; False makes the actor poll the page."""
        return False

    @abc.abstractmethod
    def start(self) -> None:
        """Launches the browser and opens the page; returns once the page's WPP is there."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Closes the browser; safe to call twice or after a crash."""

    @abc.abstractmethod
    def is_alive(self, timeout: float = 5.0) -> bool:
        """True when the browser answers a trivial script within `timeout` seconds."""

    @abc.abstractmethod
    def state(self) -> ConnectionState: ...

    @abc.abstractmethod
    def drain_events(self, wait: float) -> list[PageEvent]:
        """Events queued in the page and not yet acknowledged, oldest first; waits up to
        `wait` seconds for the first one. The same events come again until acknowledged."""

    @abc.abstractmethod
    def acknowledge(self, seq: int) -> None:
        """Every event up to `seq` is stored: the page may forget them (on the next drain)."""

    @abc.abstractmethod
    def recent_messages(self, *, since: float, max_chats: int, per_chat: int) -> list[dict]:
        """Messages newer than `since` (unix seconds) in the most recently active chats, in
        chat.new_message's shape, oldest first (WPP.chat.list + WPP.chat.getMessages)."""

    @abc.abstractmethod
    def logout(self) -> None: ...

    @abc.abstractmethod
    def pairing_code(self, phone_digits: str) -> str:
        """WPP.conn.genLinkDeviceCodeForPhoneNumber: links by code instead of QR."""

    @abc.abstractmethod
    def send_text(
        self, chat_id: str, text: str, *, quoted_id: str = "", extra: dict | None = None
    ) -> SendResult:
        """WPP.chat.sendTextMessage; `extra` adds its options (`mentionedList`, `linkPreview`, ...)."""

    @abc.abstractmethod
    def send_media(self, chat_id: str, media: MediaFile) -> SendResult:
        """WPP.chat.sendFileMessage; `media.extra` adds its options (`isPtt`, `quotedMsg`, ...)."""

    @abc.abstractmethod
    def send_location(self, chat_id: str, location: dict, *, quoted_id: str = "") -> SendResult:
        """WPP.chat.sendLocationMessage: `location` has latitude, longitude, name, address."""

    @abc.abstractmethod
    def send_contacts(self, chat_id: str, contacts: list[dict], *, quoted_id: str = "") -> SendResult:
        """WPP.chat.sendVCardContactMessage: cards of `{name, phone}` (E.164)."""

    @abc.abstractmethod
    def send_poll(self, chat_id: str, poll: dict, *, quoted_id: str = "") -> SendResult:
        """WPP.chat.sendCreatePollMessage: `poll` has question, options, multipleAnswers."""

    @abc.abstractmethod
    def react(self, wa_id: str, emoji: str) -> SendResult:
        """WPP.chat.sendReactionToMessage; an empty emoji removes our reaction."""

    @abc.abstractmethod
    def delete_message(self, chat_id: str, wa_id: str, *, revoke: bool) -> SendResult:
        """WPP.chat.deleteMessage: for everyone (`revoke`, our own messages only) or on this
        device. A revoke WhatsApp turned into a local delete is an error, not a success."""

    @abc.abstractmethod
    def edit_message(self, wa_id: str, text: str) -> SendResult:
        """WPP.chat.editMessage: a new text for one of our sent messages, within WhatsApp's
        edit window (its own canEditMsg decides; wa-js answers `edit_message_error` outside it)."""

    @abc.abstractmethod
    def mark_read(self, chat_id: str) -> SendResult:
        """WPP.chat.markIsRead: the chat's messages are read (blue ticks for the contact)."""

    @abc.abstractmethod
    def set_presence(self, chat_id: str, state: str) -> SendResult:
        """WPP.chat.markIsComposing / markIsRecording / markIsPaused for `typing`, `recording`,
        `paused`. WhatsApp shows typing or recording for about 25 s unless renewed or paused."""

    @abc.abstractmethod
    def download_media(self, wa_id: str) -> tuple[bytes, str]:
        """WPP.chat.downloadMedia: the bytes and mimetype of a received message's media."""

    def forward_message(self, chat_id: str, wa_id: str) -> SendResult:
        """WPP.chat.forwardMessages: a copy of message `wa_id` to `chat_id`, marked forwarded.
        The answer has no id: the copy's comes with WhatsApp's echo of it."""
        raise EngineError("This engine cannot forward messages.", step="forward message")

    def check_numbers(self, chat_ids: list[str], *, wait: float) -> list[dict]:
        """WPP.contact.queryWidExists for each `<digits>@c.us`: `{id, exists, chatId, lid}`
        (chatId and lid null when unknown). PageTimeout after `wait` seconds."""
        raise EngineError("This engine cannot check numbers.", step="check numbers")

    def pn_lid_entry(self, contact_id: str, *, wait: float) -> dict:
        """WPP.contact.getPnLidEntry: `{phone, lid}` as chat ids, null where WhatsApp Web does
        not know them. PageTimeout after `wait` seconds."""
        raise EngineError("This engine cannot look up lids.", step="look up lid")

    def group_op(self, function: str, *args, wait: float) -> dict:
        """A page/groups.js function (WPP.group.*, WPP.call.reject): `{value}`, or `{failure:
        {code, message}}` with wa-js's error code. PageTimeout after `wait` seconds."""
        raise EngineError("This engine cannot manage groups.", step="group")

    def ask_page(self, step: str, function: str, *args, wait: float) -> dict:
        """Runs `function` of page/contacts.js, which answers within `wait` seconds (a dict, with
        `timedOut` when WhatsApp was slower): the generic path for the apps' read commands
        (contacts, chats, history). PageTimeout after `wait` seconds."""
        raise EngineError(f"This engine cannot {step}.", step=step)

    def diagnose(self) -> dict:
        """What the page reports about itself (versions, missing contract functions); an
        engine without a page has nothing to say."""
        return {}

    @abc.abstractmethod
    def memory_pids(self) -> list[int]:
        """Process ids of the browser's process tree, for memory figures."""

    def js_heap(self) -> tuple[int, int] | None:
        """The page's JS heap (used, total) in bytes, read from any thread; None when this
        engine cannot tell (no DevTools connection)."""
        return None
