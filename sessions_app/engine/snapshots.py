"""When a session actor snapshots and restores its browser's login (profile_snapshots.py).

A mixin of `SessionActor`: restore before a browser starts on a profile without login state;
snapshot PROFILE_SNAPSHOT_FIRST_AFTER seconds after a link, then every
PROFILE_SNAPSHOT_INTERVAL while connected, in a thread of its own so the page is not kept
waiting, and once more after a clean stop, when the closed browser has flushed its profile.
Entering the QR state deletes the snapshots: that link is gone.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from sessions_app import profile_snapshots
from sessions_app.engine.base import Engine
from sessions_app.models import SessionStatus

logger = logging.getLogger(__name__)


def _profile_dir_of(engine: Engine) -> Path | None:
    """The engine's profile directory; engines without one (test doubles) have nothing to keep."""
    profile_dir = getattr(engine, "profile_dir", None)
    return Path(profile_dir) if isinstance(profile_dir, str | Path) else None


class ActorProfileSnapshots:
    _connected_since: float | None = None
    _last_snapshot: float | None = None
    _snapshot_thread: threading.Thread | None = None

    def _restore_profile(self, engine: Engine) -> None:
        profile_dir = _profile_dir_of(engine)
        if settings.PROFILE_SNAPSHOTS and profile_dir is not None:
            profile_snapshots.snapshot_restore(session_id=self.session_id, profile_dir=profile_dir)

    def _status_changed_for_snapshots(self, status: str) -> None:
        if status == SessionStatus.CONNECTED:
            self._connected_since = self._connected_since or time.monotonic()
            return
        self._connected_since = None
        if status == SessionStatus.QR and settings.PROFILE_SNAPSHOTS:
            self._last_snapshot = None
            profile_snapshots.snapshots_forget(session_id=self.session_id)

    def _snapshot_if_due(self, engine: Engine) -> None:
        profile_dir = _profile_dir_of(engine)
        if not settings.PROFILE_SNAPSHOTS or profile_dir is None or self._connected_since is None:
            return
        now = time.monotonic()
        if self._last_snapshot is None:
            due = now - self._connected_since >= settings.PROFILE_SNAPSHOT_FIRST_AFTER
        else:
            due = now - self._last_snapshot >= settings.PROFILE_SNAPSHOT_INTERVAL
        if not due or (self._snapshot_thread and self._snapshot_thread.is_alive()):
            return
        self._last_snapshot = now
        self._snapshot_thread = threading.Thread(
            target=self._take_snapshot,
            args=(profile_dir,),
            name=f"snapshot-{self.session_id}",
            daemon=True,
        )
        self._snapshot_thread.start()

    def _snapshot_after_clean_stop(self, engine: Engine, was_connected: bool) -> None:
        """The browser closed politely: its profile is complete on disk, the best snapshot."""
        profile_dir = _profile_dir_of(engine)
        if settings.PROFILE_SNAPSHOTS and profile_dir is not None and was_connected:
            if self._snapshot_thread:
                self._snapshot_thread.join(timeout=30)
            self._take_snapshot(profile_dir, close_connection=False)

    def _take_snapshot(self, profile_dir: Path, close_connection: bool = True) -> None:
        try:
            profile_snapshots.snapshot_take(
                session_id=self.session_id,
                profile_dir=profile_dir,
                node=self.node,
                lease_token=self.lease_token,
            )
        except Exception:
            logger.exception("Profile snapshot of %s failed", self.session_id)
        finally:
            if close_connection:
                connection.close()  # this thread's own connection, which ends with it
