"""A session actor: the one thread that owns a session's browser.

It loops: drain page events (when the page rings, event_feed.py; or polling the page, resolving
as soon as there are any), run queued commands, send what is due, and re-read the page's login
state every few seconds. A crashed or hung
browser is restarted with backoff; a permanent failure marks the session `failed`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from sessions_app.engine import registry
from sessions_app.engine.base import Engine, EngineCrashed, EngineError, PageEvent
from sessions_app.engine.browser_process import kill_processes
from sessions_app.engine.event_feed import EventFeed
from sessions_app.engine.lease import lease_renew_interval
from sessions_app.engine.login_state import ActorLoginState
from sessions_app.engine.page_events import ActorPageEvents
from sessions_app.engine.recovery import ActorRecovery
from sessions_app.engine.recycle import ActorRecycle, RecycleBrowser
from sessions_app.engine.snapshots import ActorProfileSnapshots
from sessions_app.fencing import StaleOwner, session_fence_take
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.services import InvalidTransition, session_set_status
from yesapp.logging import session_id_var

logger = logging.getLogger(__name__)

# When the page cannot push (ENGINE_PUSH=false, no DevTools connection), the actor polls it:
DRAIN_WAIT = 0.25  # seconds the page may hold a drain call open waiting for events
# A nudge to send cannot cut a drain short, so a short wait keeps sends prompt; after
# IDLE_AFTER seconds with nothing to do the wait grows, which saves most of an idle session's
# CPU (each drain is a WebDriver round trip) for at most that much delay on the next send.
# Inbound messages end a drain at once whatever its wait.
DRAIN_WAIT_IDLE = 1.0
IDLE_AFTER = 10.0
STATE_INTERVAL = 3.0  # seconds between login-state reads when no event asked for one
SEND_INTERVAL = 2.0  # seconds between looks at the outbound queue without a nudge
# A turn has work before its send step (events, commands): the actor wakes this much before a
# send step's wait ends, and the step waits out the rest (messaging.paced_send.BRIEF_WAIT).
SEND_EARLY = 0.03
MAX_BACKOFF = 30.0


class StopActor(Exception):
    pass


class RestartBrowser(Exception):
    pass


@dataclass
class Command:
    name: str
    args: dict = field(default_factory=dict)
    future: Future = field(default_factory=Future)


class SessionActor(ActorPageEvents, ActorLoginState, ActorRecovery, ActorProfileSnapshots, ActorRecycle):
    """Runs one session on this node. `engine_factory(session)` makes its browser."""

    def __init__(
        self,
        *,
        session_id,
        node: str,
        engine_factory: Callable[[Session], Engine],
        on_exit: Callable[[SessionActor], None] | None = None,
    ):
        self.session_id = session_id
        self.node = node
        self.engine_factory = engine_factory
        self.on_exit = on_exit
        self.commands: queue.Queue[Command] = queue.Queue()
        self.stop_event = threading.Event()
        self.stop_reason = ""
        self.browser_killed = False
        self.engine: Engine | None = None
        self.status = ""
        self.restarts = 0
        self._wake = True
        self._state_due = True
        self._last_state = 0.0
        self._last_send = 0.0
        self._send_at: float | None = None  # monotonic time a send step's wait ends
        self._last_busy = 0.0
        self._disconnected_since: float | None = None
        self._qr = ""
        self._stop_message = ""
        self._catch_up_due = False
        self._dropped_seen = 0
        self._last_failed_check = 0.0
        self.last_event: tuple[str, float] | None = None  # (name, unix time): for diagnostics
        self.lease_token: int | None = None  # this node's fencing token (fencing.py)
        # When this node's lease may have expired (time.monotonic()), as the host last renewed it;
        # None for an actor run without a host (tests): no limit.
        self.lease_expires_at: float | None = None
        self.marks: dict[str, float] = {}  # unix times of the start's steps (logged, for the bench)
        self.fenced = False
        self.feed = EventFeed()  # the actor's bell: page pushes, nudges, commands, stops
        self.thread = threading.Thread(target=self._run, name=f"session-{session_id}", daemon=True)

    # --- called from other threads --------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def request_stop(self, reason: str) -> None:
        """`stop` (the user's), `shutdown` (the node's), `abandon` (lease lost), `delete`."""
        if not self.stop_reason:
            self.stop_reason = reason
        self.stop_event.set()
        self.feed.ring()

    def abandon(self, reason: str) -> None:
        """Closes the browser because this node may no longer own the session (its lease could
        not be renewed); `reason` becomes the session's last error."""
        if not self.stop_reason:
            self._stop_message = reason
        self.request_stop("abandon")

    def submit(self, name: str, args: dict | None = None) -> Future:
        command = Command(name=name, args=args or {})
        if name in ("stop", "delete"):
            # Answered once the browser is closed, by _run's finally.
            self.request_stop(name)
        self.commands.put(command)
        self.feed.ring()
        return command.future

    def wake(self) -> None:
        self._wake = True
        self.feed.ring()

    def lease_renewed(self, expires_at: float) -> None:
        """The host renewed (or took) this session's lease; sends held back for it go now."""
        was_held = self.lease_held()
        self.lease_expires_at = expires_at
        if not was_held:
            self.wake()

    def lease_held(self) -> bool:
        """Whether this node may still send for the session: its lease has at least one renewal
        interval left. A node frozen past that (SIGSTOP, starved of CPU) sends nothing on waking
        until its lease keeper renewed, or learnt that another node took the session."""
        if self.lease_expires_at is None:
            return True
        return time.monotonic() < self.lease_expires_at - lease_renew_interval()

    def kill_browser(self) -> None:
        """SIGKILLs the browser from outside the actor's thread. A node cut off from the network
        can have that thread stuck in a database call (a dead TCP link answers nothing), so it
        never gets to close the browser itself before the lease runs out."""
        self.browser_killed = True
        kill_processes(self.memory_pids())

    # --- the actor thread -----------------------------------------------------------------
    def _run(self) -> None:
        session_id_var.set(str(self.session_id))  # this thread's log lines name the session
        backoff = 1.0
        recovered = False
        try:
            while not self.stop_event.is_set():
                try:
                    if not recovered:
                        self._mark("actor_started")
                        self.lease_token = session_fence_take(session_id=self.session_id)
                        registry.run_start_steps(self.session_id)
                        self._mark("start_steps_done")
                        recovered = True
                    session = Session.objects.filter(pk=self.session_id).first()
                    if session is None or session.desired_state != DesiredState.RUNNING:
                        self.request_stop("stop" if session else "delete")
                        break
                    self.status = session.status
                    self._run_browser(session)
                    backoff = 1.0
                except (RestartBrowser, RecycleBrowser):
                    backoff = 1.0
                except StaleOwner as exc:
                    self._lost_to_newer_owner(exc)
                except EngineError as exc:
                    if exc.permanent and not isinstance(exc, EngineCrashed):
                        self._fail(exc)
                        break
                    self._crashed(exc, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                except Exception as exc:
                    # The database away for longer than the browser loop waits, or a bug: neither
                    # needs the user, so `failed` (which nothing restarts) would be wrong.
                    self._troubled(exc, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
        finally:
            self._finish()

    def _run_browser(self, session: Session) -> None:
        engine = self.engine_factory(session)
        engine.on_push = self.feed.push
        self.feed.restart()
        self.engine = engine
        try:
            recycling, self._recycling = self._recycling, False
            if not recycling:  # a recycle keeps the session connected (recycle.py)
                self._set(SessionStatus.STARTING, "browser starting", engine_node=self.node)
            self._restore_profile(engine)
            self._mark("profile_restored")
            engine.start()
            self.marks.update(getattr(engine, "start_marks", {}))
            self._state_due = self._wake = True
            if recycling:
                self._recycled(engine)
            self._serve_through_db_blips(engine)
        finally:
            self.engine = None
            was_connected = self.status == SessionStatus.CONNECTED
            engine.stop()
            if self.stop_reason in ("stop", "shutdown"):
                self._snapshot_after_clean_stop(engine, was_connected)
            if self.stop_reason == "delete":
                delete_profile = getattr(engine, "delete_profile", None)
                if delete_profile:
                    delete_profile()

    def _serve(self, engine: Engine) -> None:
        self._last_busy = time.monotonic()
        while not self.stop_event.is_set():
            events = self._next_events(engine)
            now = time.monotonic()
            # A nudge only matters to a connected session (the others send nothing).
            nudged = self._wake and self.status == SessionStatus.CONNECTED
            if events or nudged or not self.commands.empty():
                self._last_busy = now
            self._handle_events(engine, events)
            self._run_commands(engine)
            if self._state_due or now - self._last_state > self._state_interval(engine):
                self._sync_state(engine)
                self._check_timeouts()
                close_old_connections()
            if self.status == SessionStatus.CONNECTED:
                self._recover_missed(engine, nudged)
                self._snapshot_if_due(engine)
            send_due = self._send_at is not None and now >= self._send_at - SEND_EARLY
            if (
                self.status == SessionStatus.CONNECTED
                and (self._wake or send_due or now - self._last_send > SEND_INTERVAL)
                and self.lease_held()
            ):
                self._wake = False
                self._last_send = now
                if registry.run_send_steps(self.session_id, engine):
                    self._wake = True  # more may be due; look again next turn
                    self._mark("first_send", log=True)
                wait = registry.next_send_in(self.session_id)
                self._send_at = None if wait is None else time.monotonic() + wait
            self._recycle_if_quiet(engine, busy=bool(events) or nudged)

    def _drain_wait(self, wait: float) -> float:
        """The drain's wait, cut short when a send waits for its time (rate limit, jitter, typing):
        each turn late would make every later send of the rolling minute late with it."""
        if self._send_at is None:
            return wait
        return min(wait, max(0.0, self._send_at - SEND_EARLY - time.monotonic()))

    def _next_events(self, engine: Engine) -> list[PageEvent]:
        """Waits for the page's push (sleeping until the next duty is due), or polls it."""
        if engine.push_active():
            now = time.monotonic()
            due = min(
                self._last_send + SEND_INTERVAL if self.status == SessionStatus.CONNECTED else now + 60,
                self._last_state + self._state_interval(engine),
            )
            return self.feed.next_events(engine, max_wait=self._drain_wait(max(0.0, due - now)))
        idle = time.monotonic() - self._last_busy > IDLE_AFTER
        return engine.drain_events(self._drain_wait(DRAIN_WAIT_IDLE if idle else DRAIN_WAIT))

    @staticmethod
    def _state_interval(engine: Engine) -> float:
        # A pushing page reports login changes as events (conn.*, which set _state_due), and a
        # dead browser closes the push connection: the periodic read is only a safety net then.
        return max(STATE_INTERVAL, settings.ENGINE_PUSH_POLL) if engine.push_active() else STATE_INTERVAL

    def _run_commands(self, engine: Engine) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            if command.name in ("stop", "delete"):
                self.commands.put(command)  # answered in _finish, after the browser closed
                return
            try:
                command.future.set_result(self._run_command(engine, command))
            except (RestartBrowser, EngineCrashed) as exc:
                command.future.set_result({"ok": True})
                raise exc
            except EngineError as exc:
                command.future.set_result({"error": str(exc), "code": "engine_error"})

    def _run_command(self, engine: Engine, command: Command) -> dict:
        if command.name == "wake":
            self._wake = True
            return {"ok": True}
        if command.name == "restart":
            raise RestartBrowser()
        if command.name == "logout":
            engine.logout()
            self._state_due = True
            return {"ok": True}
        if command.name == "pairing_code":
            return {"code": engine.pairing_code(command.args["phone"])}
        if command.name == "diagnostics":
            name, at = self.last_event or ("", 0.0)
            return {
                "page": engine.diagnose(),
                "lastEvent": {"name": name, "at": at},
                "restarts": self.restarts,
            }
        if handler := registry.command_handler(command.name):
            return handler(self.session_id, engine, command.args)
        return {"error": f"unknown command {command.name}", "code": "unknown_command"}

    def _lost_to_newer_owner(self, exc: StaleOwner) -> None:
        """Another node took the session over while this one still had its browser open."""
        logger.error("Session %s: %s; closing this node's browser", self.session_id, exc)
        self.fenced = True
        self.request_stop("abandon")

    def _finish(self) -> None:
        reason = self.stop_reason
        try:
            if self.fenced:
                pass  # the session's status is the new owner's to write
            elif reason == "stop":
                self._set(SessionStatus.STOPPED, self._stop_message or "stopped")
            elif reason == "shutdown" or (reason == "abandon" and self._stop_message):
                self._set(
                    SessionStatus.DISCONNECTED if self.status == SessionStatus.CONNECTED else self.status,
                    self._stop_message or "engine node shut down; the session will be taken over",
                    **({"last_error": self._stop_message} if reason == "abandon" else {}),
                )
        except Exception:
            logger.exception("Could not record the final status of session %s", self.session_id)
        while True:
            try:
                self.commands.get_nowait().future.set_result({"ok": True})
            except queue.Empty:
                break
        with contextlib.suppress(DatabaseError):
            connection.close()
        if self.on_exit:
            self.on_exit(self)

    def _set(self, status: str, reason: str, **fields) -> None:
        if not status:
            return
        try:
            session = session_set_status(
                session_id=self.session_id,
                status=status,
                reason=reason,
                lease_token=self.lease_token,
                **fields,
            )
        except InvalidTransition as exc:
            logger.info("Session %s: ignored %s", self.session_id, exc.message)
            return
        if session is None:
            self.request_stop("delete")
            return
        if session.status == SessionStatus.CONNECTED and self.status != SessionStatus.CONNECTED:
            self._catch_up_due = True  # anything that arrived while we were away is fetched
            self._mark("connected", log=True)
        self.status = session.status
        self._status_changed_for_snapshots(session.status)

    def _mark(self, step: str, *, log: bool = False) -> None:
        """Notes when a step of the session's start first happened; `log` writes them all in one
        line (`start marks`), which bench/failover_bench.py reads to say where a takeover's
        seconds go."""
        if step in self.marks:
            return
        self.marks[step] = time.time()
        if log:
            logger.info("Session %s start marks %s", self.session_id, json.dumps(self.marks))
