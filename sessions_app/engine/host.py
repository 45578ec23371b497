"""The session host: lives in each engine worker process and runs its sessions' actors.

Every second (lease.lease_renew_interval) it announces the node and renews the leases of the
sessions it runs (a thread of its own, so renewals never wait behind the database or a scan).
Every ENGINE_SCAN_INTERVAL seconds, and as soon as another node's lease on a wanted session
expires, it drops the sessions it lost or that were stopped, and claims those whose desired
state is running and whose lease is free. So a restart of everything brings every session
back by itself, a dead node's sessions move within a TTL and a browser start, and a second
node shares the load.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import close_old_connections, connection
from redis.exceptions import RedisError

from sessions_app.engine import registry
from sessions_app.engine.actor import SessionActor
from sessions_app.engine.base import Engine
from sessions_app.engine.lease import (
    lease_acquire,
    lease_file_for,
    lease_release,
    lease_renew,
    lease_renew_interval,
    leases_expire_in,
    publish_lease_until,
)
from sessions_app.engine.memory import browser_memory_report, memory_cap_bytes, pss_bytes
from sessions_app.engine.nodes import node_gone, node_heartbeat
from sessions_app.models import DesiredState, Session, SessionStatus

logger = logging.getLogger(__name__)

# Seconds between measures of the browsers' memory (reading /proc costs a few ms a session).
MEMORY_REPORT_INTERVAL = 30.0
# A standby wakes this long after another node's lease is due to expire (Redis expires keys
# on access or within ~100 ms, so the claim finds it free).
EXPIRY_GRACE = 0.05

_current: SessionHost | None = None


def current_host() -> SessionHost | None:
    """The host of this process, when it is an engine worker."""
    return _current


def engine_for(session: Session) -> Engine:
    """The browser for a session: the page an app registered for it (the sandbox's), or
    WhatsApp Web with wa-js injected."""
    from sessions_app.engine.chromium import ChromiumEngine

    target = registry.page_target(session, default_url=settings.WHATSAPP_WEB_URL)
    host = current_host()
    return ChromiumEngine(
        session_id=session.id,
        page_url=target.url,
        inject_wajs=target.inject_wajs,
        lease_file=str(lease_file_for(session.id, host.node)) if host else None,
    )


class SessionHost:
    def __init__(self, node: str, *, engine_factory=engine_for, max_sessions: int | None = None):
        self.node = node
        self.engine_factory = engine_factory
        self.max_sessions = max_sessions or settings.ENGINE_MAX_SESSIONS
        self.actors: dict[str, SessionActor] = {}
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.wakeup = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="session-host", daemon=True)
        self.lease_thread = threading.Thread(target=self._lease_loop, name="session-leases", daemon=True)
        self._memory_reported_at = 0.0
        self._memory_measured: set[str] = set()
        # When each running session's lease was last renewed (time.monotonic() just before the
        # renewal went out, so never later than Redis's own start of the new TTL).
        self._renewed_at: dict[str, float] = {}
        self._redis_lost = False  # the last heartbeat failed: the outage was logged
        self._next_expiry: float | None = None  # seconds until a lease we wait for expires

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        global _current
        _current = self
        self.lease_thread.start()
        self.thread.start()
        logger.info("Engine node %s started", self.node)

    def stop(self, timeout: float = 30.0) -> None:
        """Closes every browser and releases the leases, so another node takes over at once."""
        global _current
        self.stopping.set()
        self.wakeup.set()
        # Renewals end here, as they did before the keeper had a thread: a lease must not
        # outlive `node_gone` and the releases below.
        if self.lease_thread.is_alive():
            self.lease_thread.join(5)
        with self.lock:
            actors = list(self.actors.values())
        for actor in actors:
            actor.request_stop("shutdown")
        for actor in actors:
            actor.thread.join(timeout)
        for actor in actors:
            self._release(actor)
        try:
            node_gone(self.node)
        except Exception as exc:
            logger.warning("Could not unregister engine node %s: %s", self.node, exc)
        self.thread.join(5)
        if _current is self:
            _current = None
        logger.info("Engine node %s stopped", self.node)

    # --- the loops ----------------------------------------------------------------------
    def _lease_loop(self) -> None:
        """Heartbeat and renewals on their own: a scan waiting on a locked database (SQLite's
        busy timeout is 20 s) or a slow claim must not let the leases of running sessions
        expire under them, which would close their browsers for nothing."""
        while not self.stopping.is_set():
            with self.lock:
                actors = list(self.actors.items())
            try:
                self._keep_leases(actors)
            except Exception as exc:  # never let the keeper die: leases would expire unseen
                logger.warning("Engine node %s could not keep its leases: %s", self.node, exc)
            self.stopping.wait(lease_renew_interval())

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.scan()
            except Exception as exc:  # Redis or the database away: keep running, try again
                logger.warning("Engine node %s scan failed: %s", self.node, exc)
            finally:
                close_old_connections()
            self.wakeup.wait(self._scan_wait())
            self.wakeup.clear()
        connection.close()

    def scan(self) -> None:
        self._next_expiry = None  # a scan that fails (Redis away) must not leave a short wait
        with self.lock:
            actors = list(self.actors.items())
        wanted_ids = self._wanted_session_ids()
        for session_id, actor in actors:
            if session_id not in wanted_ids and actor.is_alive():
                actor.request_stop("stop")
        for session_id in sorted(wanted_ids):
            self.claim(session_id)
        self._watch_expiries(wanted_ids)
        now = time.monotonic()
        if now - self._memory_reported_at >= MEMORY_REPORT_INTERVAL or self._new_browser():
            self._memory_reported_at = now
            self.report_memory()

    def _watch_expiries(self, wanted_ids: set[str]) -> None:
        """When the wanted sessions held by other nodes' leases expire: a dead node's sessions
        are claimed the moment its leases run out, not up to a scan interval later."""
        with self.lock:
            if len(self.actors) >= self.max_sessions:
                return
            waiting = wanted_ids - set(self.actors)
        expiries = leases_expire_in(waiting)
        if expiries:
            self._next_expiry = min(expiries.values())

    def _scan_wait(self) -> float:
        if self._next_expiry is None:
            return settings.ENGINE_SCAN_INTERVAL
        return min(settings.ENGINE_SCAN_INTERVAL, self._next_expiry + EXPIRY_GRACE)

    def _wanted_session_ids(self) -> set[str]:
        wanted = Session.objects.filter(desired_state=DesiredState.RUNNING).exclude(
            status=SessionStatus.FAILED
        )
        return {str(pk) for pk in wanted.values_list("pk", flat=True)}

    def _keep_leases(self, actors: list[tuple[str, SessionActor]]) -> None:
        """Heartbeat, then renew the lease of every session running here. When Redis cannot be
        reached the leases run out unseen, and another node may take the sessions once they
        have: so a session whose lease went unrenewed for half its TTL has its browser closed
        now, before it expires (never two browsers on one number). Taken back when Redis is."""
        reachable = self._heartbeat()
        now = time.monotonic()
        for session_id, actor in actors:
            if not actor.is_alive():
                self._forget(actor)
                continue
            if reachable:
                try:
                    asked_at, asked_wall = time.monotonic(), time.time()
                    if lease_renew(session_id=session_id, node=self.node):
                        self._renewed_at[session_id] = asked_at
                        publish_lease_until(session_id, self.node, asked_wall + settings.ENGINE_LEASE_TTL)
                        actor.lease_renewed(asked_at + settings.ENGINE_LEASE_TTL)
                        continue
                    logger.error(
                        "Engine node %s lost the lease of session %s; closing its browser",
                        self.node,
                        session_id,
                        extra={"session_id": session_id},
                    )
                    actor.request_stop("abandon")
                    continue
                except RedisError as exc:
                    logger.warning("Engine node %s could not renew a lease: %s", self.node, exc)
                    reachable = False  # one timeout is enough: don't wait on it for every session
            unrenewed = now - self._renewed_at.get(session_id, now)
            if unrenewed >= settings.ENGINE_LEASE_TTL / 2:
                self._close_unrenewed(session_id, actor, unrenewed)

    def _heartbeat(self) -> bool:
        """Announces the node; False when Redis cannot be reached. An outage is logged once, at
        its start, and again at its end, not at every renewal."""
        try:
            node_heartbeat(self.node)
        except RedisError as exc:
            if not self._redis_lost:
                logger.warning("Engine node %s cannot reach Redis: %s", self.node, exc)
            self._redis_lost = True
            return False
        if self._redis_lost:
            logger.warning("Engine node %s reaches Redis again", self.node)
        self._redis_lost = False
        return True

    def _close_unrenewed(self, session_id: str, actor: SessionActor, unrenewed: float) -> None:
        reason = (
            f"Redis unreachable: the lease of this session went unrenewed for {unrenewed:.0f}s, "
            "so its browser was closed before another node could take it over; it starts "
            "again once Redis answers"
        )
        if actor.stop_reason != "abandon":  # logged once, not at every tick until it ends
            logger.error("Engine node %s: %s", self.node, reason, extra={"session_id": session_id})
        actor.abandon(reason)
        if unrenewed >= settings.ENGINE_LEASE_TTL * 3 / 4 and not actor.browser_killed:
            # Its thread did not close the browser (stuck on the database?): the lease is about
            # to expire, so the browser goes now, whatever the thread is doing.
            logger.error("Engine node %s: killing the browser of %s", self.node, session_id)
            actor.kill_browser()

    def claim(self, session_id: str) -> SessionActor | None:
        """Starts the session here when this node has room and the lease is free."""
        with self.lock:
            if self.stopping.is_set():
                return None
            if session_id in self.actors:
                return self.actors[session_id]
            if len(self.actors) >= self.max_sessions:
                return None
            asked_at, asked_wall = time.monotonic(), time.time()
            if not lease_acquire(session_id=session_id, node=self.node):
                return None
            self._renewed_at[session_id] = asked_at
            # Before the browser starts: its fence (engine/bin/fence.py) kills it once this
            # time has passed without a renewal, even if this whole process is frozen.
            publish_lease_until(session_id, self.node, asked_wall + settings.ENGINE_LEASE_TTL)
            actor = SessionActor(
                session_id=session_id,
                node=self.node,
                engine_factory=self.engine_factory,
                on_exit=self._forget,
            )
            actor.lease_renewed(asked_at + settings.ENGINE_LEASE_TTL)
            actor.marks["claimed"] = time.time()
            self.actors[session_id] = actor
            # Started under the lock: a scan that saw it in `actors` before its thread ran would
            # take it for dead, release the lease and let a second actor claim the session.
            actor.start()
        logger.info(
            "Engine node %s takes session %s", self.node, session_id, extra={"session_id": session_id}
        )
        return actor

    def _forget(self, actor: SessionActor) -> None:
        with self.lock:
            registered = self.actors.get(str(actor.session_id)) is actor
            if registered:
                del self.actors[str(actor.session_id)]
                self._renewed_at.pop(str(actor.session_id), None)
        # Only the registered actor's lease is released: the lease keeper may come upon an actor
        # that ended from an older look at `actors`, when the session already runs on a new one
        # here, under a lease of the same node name that a release would take from it.
        if registered and not self.stopping.is_set():
            self._release(actor)

    def _release(self, actor: SessionActor) -> None:
        try:
            lease_release(session_id=actor.session_id, node=self.node)
        except Exception as exc:
            logger.warning(
                "Could not release the lease of %s: %s",
                actor.session_id,
                exc,
                extra={"session_id": str(actor.session_id)},
            )

    # --- commands -----------------------------------------------------------------------
    def handle_command(self, session_id: str, command: str, args: dict) -> dict:
        """Hands a command to the session's actor and waits for its answer (bounded)."""
        with self.lock:
            actor = self.actors.get(session_id)
        if actor is None and command in ("wake", "restart"):
            actor = self.claim(session_id)
            if actor is not None:
                return {"ok": True}
            self.wakeup.set()
        if actor is None or not actor.is_alive():
            return {"error": "This session is not running on any engine node.", "code": "not_running"}
        if command == "wake":
            actor.wake()
            return {"ok": True}
        future = actor.submit(command, args)
        try:
            return future.result(timeout=settings.ENGINE_COMMAND_TIMEOUT)
        except FutureTimeout:
            return {
                "error": f"The session did not finish {command} within {settings.ENGINE_COMMAND_TIMEOUT}s.",
                "code": "engine_timeout",
            }

    def report_memory(self) -> None:
        """Measures each running session's browser and page (sessions_app/engine/memory.py);
        a browser above ENGINE_SESSION_MEMORY_MAX is recycled (engine/recycle.py)."""
        with self.lock:
            actors = list(self.actors.items())
        figures = {session_id: pss_bytes(actor.memory_pids()) for session_id, actor in actors}
        figures = {session_id: size for session_id, size in figures.items() if size}
        heaps = {session_id: actor.js_heap() for session_id, actor in actors if session_id in figures}
        self._memory_measured = set(figures)
        browser_memory_report(figures, {sid: heap[0] for sid, heap in heaps.items() if heap})
        cap = memory_cap_bytes()
        for session_id, actor in actors:
            size = figures.get(session_id, 0)
            if cap and size > cap:
                reason = f"{size >> 20} MB above ENGINE_SESSION_MEMORY_MAX ({cap >> 20} MB)"
                if actor.request_recycle(reason):
                    logger.info("Session %s: recycle asked, %s", session_id, reason)

    def _new_browser(self) -> bool:
        """A session whose browser runs but was not measured yet (it just started)."""
        with self.lock:
            actors = list(self.actors.items())
        return any(
            session_id not in self._memory_measured and actor.memory_pids() for session_id, actor in actors
        )
