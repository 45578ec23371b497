"""The page's doorbell: the bridge rings it over the DevTools protocol when it queues events.

Polling the page costs a WebDriver round trip (and a wake-up of the browser) several times a
second per idle session. Instead we open a DevTools connection of our own to the page's target
(ChromeDriver starts Chromium with a debugging port and tells us its address as
`goog:chromeOptions.debuggerAddress`) and install `Runtime.addBinding`: a function
`window.__yesappPush` that the page calls and that arrives here as `Runtime.bindingCalled`.
A reader thread blocks on that socket, so an idle session costs no CPU at all.

The doorbell carries no events: the engine still drains them with execute_async_script and
acknowledges them after the database commit, so delivery stays at-least-once whatever happens
here. A lost ring only delays events until the next fallback drain (ENGINE_PUSH_POLL seconds).

The same connection answers the node's memory readings (`js_heap`: `Performance.getMetrics`),
from the host's thread while the actor's thread drives the page over WebDriver.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable

import websocket

logger = logging.getLogger(__name__)

# The name the bridge calls (bridge.js); a binding lives on every page load of the target.
BINDING = "__yesappPush"
CONNECT_TIMEOUT = 5.0
# Seconds a reading waits for its answer (a busy page answers late; no figure then).
CALL_TIMEOUT = 5.0


class PushUnavailable(Exception):
    """The DevTools connection could not be made: the engine polls as before."""


class PagePush:
    """One DevTools connection to the page; `ring` is called (in the reader thread) on every
    push. `alive` turns False when the connection closes; the engine then polls again."""

    def __init__(self, debugger_address: str, ring: Callable[[], None]):
        self.debugger_address = debugger_address
        self.ring = ring
        self.alive = False
        self.pushes = 0
        self._socket: websocket.WebSocket | None = None
        self._thread: threading.Thread | None = None
        self._next_id = 0
        self._lock = threading.Lock()
        # Answers the reader thread hands over: {command id: [event, answer]}, one per call in flight.
        self._waiting: dict[int, list] = {}

    def open(self) -> None:
        """Connects to the page's target and installs the binding (before the page loads, so
        the first events already ring)."""
        try:
            url = _page_socket_url(self.debugger_address)
            # No Origin header: Chromium refuses DevTools sockets from other origins.
            self._socket = websocket.create_connection(url, timeout=CONNECT_TIMEOUT, suppress_origin=True)
            # Without Runtime.enable the binding is gone after the first navigation.
            self._command("Runtime.enable", {})
            self._command("Runtime.addBinding", {"name": BINDING})
            self._command("Performance.enable", {})  # for js_heap's Performance.getMetrics
        except (OSError, ValueError, websocket.WebSocketException) as exc:
            self.close()
            raise PushUnavailable(f"DevTools connection to the page failed: {exc}") from exc
        self._socket.settimeout(None)  # the reader waits for as long as the page is quiet
        self.alive = True
        self._thread = threading.Thread(target=self._read, name="page-push", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.alive = False
        sock, self._socket = self._socket, None
        if sock is not None:
            # No closing handshake: a hung browser never answers it, and websocket-client's
            # close(timeout) then waits on the reader's blocking socket for ever. abort() wakes
            # the reader thread (its recv fails), shutdown() closes the socket outright.
            try:
                sock.abort()
                sock.shutdown()
            except (OSError, websocket.WebSocketException):
                pass

    def js_heap(self) -> tuple[int, int] | None:
        """The page's JS heap (used, total) in bytes, or None when it cannot be read now."""
        answer = self.call("Performance.getMetrics", {})
        if not answer:
            return None
        metrics = {m.get("name"): m.get("value") for m in answer.get("metrics") or []}
        used, total = metrics.get("JSHeapUsedSize"), metrics.get("JSHeapTotalSize")
        return (int(used), int(total)) if used is not None and total is not None else None

    def call(self, method: str, params: dict, timeout: float = CALL_TIMEOUT) -> dict | None:
        """A DevTools command once the reader runs: its result, or None (closed, error, late)."""
        sock = self._socket
        if sock is None or not self.alive:
            return None
        waiter: list = [threading.Event(), None]
        with self._lock:
            self._next_id += 1
            command_id = self._next_id
            self._waiting[command_id] = waiter
        try:
            sock.send(json.dumps({"id": command_id, "method": method, "params": params}))
            waiter[0].wait(timeout)
        except (OSError, websocket.WebSocketException):
            return None
        finally:
            with self._lock:
                self._waiting.pop(command_id, None)
        answer = waiter[1]
        return answer.get("result") if isinstance(answer, dict) and "error" not in answer else None

    def _answered(self, message: dict) -> None:
        with self._lock:
            waiter = self._waiting.get(message["id"])
        if waiter is not None:
            waiter[1] = message
            waiter[0].set()

    def _command(self, method: str, params: dict) -> None:
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:  # the answer, before the reader thread starts
            answer = json.loads(self._socket.recv())
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ValueError(f"{method}: {answer['error']}")
                return

    def _read(self) -> None:
        sock = self._socket
        try:
            while sock is not None and self.alive:
                message = json.loads(sock.recv() or "{}")
                if "id" in message:
                    self._answered(message)
                    continue
                params = message.get("params") or {}
                if message.get("method") == "Runtime.bindingCalled" and params.get("name") == BINDING:
                    self.pushes += 1
                    self.ring()
        except (OSError, ValueError, websocket.WebSocketException) as exc:
            if self.alive:
                logger.info("Page push connection closed (%s); polling the page instead", exc)
        finally:
            self.alive = False
            with self._lock:  # readings in flight get no answer now: they need not wait it out
                waiting = list(self._waiting.values())
            for waiter in waiting:
                waiter[0].set()
            self.ring()  # the actor notices at once and goes back to polling


def open_page_push(capabilities: dict, ring: Callable[[], None], session_id) -> PagePush | None:
    """The doorbell of the browser ChromeDriver started (its `capabilities`), or None (logged)
    when it cannot be had: the engine then polls the page as it did before pushes."""
    address = (capabilities.get("goog:chromeOptions") or {}).get("debuggerAddress")
    try:
        if not address:
            raise PushUnavailable("ChromeDriver gave no debuggerAddress")
        push = PagePush(address, ring)
        push.open()
    except PushUnavailable as exc:
        logger.warning("Session %s: %s; polling the page instead", session_id, exc)
        return None
    return push


def _page_socket_url(debugger_address: str) -> str:
    """The DevTools socket of the browser's one page (a session's browser has one tab)."""
    with urllib.request.urlopen(f"http://{debugger_address}/json/list", timeout=CONNECT_TIMEOUT) as reply:
        targets = json.loads(reply.read())
    for target in targets:
        if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
            return target["webSocketDebuggerUrl"]
    raise ValueError(f"no page target at {debugger_address}")
