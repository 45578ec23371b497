"""The production engine: Selenium driving Debian's Chromium with a persistent profile.

One instance per session, used by exactly one actor thread (WebDriver is not thread-safe).
For a real session the page is WhatsApp Web with the pinned wa-js bundle injected before
the page's own scripts; for a sandbox session it is the app's sandbox page, which provides
`window.WPP` itself. Either way the bridge (bridge.js) queues the wa-js events.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import time

from django.conf import settings
from selenium import webdriver
from selenium.common.exceptions import JavascriptException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service

from sessions_app.engine import wpp_contract
from sessions_app.engine.base import (
    ConnectionState,
    Engine,
    EngineCrashed,
    EngineError,
    MediaFile,
    PageEvent,
    PageTimeout,
    SendResult,
)
from sessions_app.engine.browser_process import (
    chromedriver_service,
    chromium_options,
    clear_stale_profile_lock,
    kill_processes,
    process_tree,
    profile_dir_for,
)
from sessions_app.engine.page_push import PagePush, open_page_push
from sessions_app.engine.page_scripts import injected_scripts, page_script, send_options

logger = logging.getLogger(__name__)

# A drain that takes this much longer than its own wait means the browser hangs.
HANG_GRACE_SECONDS = 5.0


class ChromiumEngine(Engine):
    device_name = "YesApp"  # how the phone lists this browser under Linked devices

    def __init__(self, *, session_id, page_url: str, inject_wajs: bool, lease_file: str | None = None):
        self.session_id = session_id
        self.lease_file = lease_file  # the node's lease on the session, for the browser's fence
        self.page_url = page_url
        self.inject_wajs = inject_wajs
        self.profile_dir = profile_dir_for(session_id)
        self.driver: webdriver.Remote | None = None
        self.service: Service | None = None
        self._broken = False  # set when the browser stopped answering
        # Ack-after-commit: the page load whose events we acknowledge, and the last one stored.
        self._bridge_id: str | None = None
        self._acked_seq = 0
        self.dropped_events = 0  # events the page had to drop (queue full); a catch-up fetches them
        self._push: PagePush | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        if not (
            os.access(settings.CHROMIUM_PATH, os.X_OK) and os.access(settings.CHROMEDRIVER_PATH, os.X_OK)
        ):
            raise EngineError(
                f"Chromium or ChromeDriver is missing ({settings.CHROMIUM_PATH}, "
                f"{settings.CHROMEDRIVER_PATH}); install them with scripts/install-browser.sh.",
                permanent=True,
                step="launch",
            )
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        clear_stale_profile_lock(self.profile_dir)
        self.service = chromedriver_service(self.profile_dir, lease_file=self.lease_file)
        self.start_marks: dict[str, float] = {}  # unix times of the steps (the actor logs them)
        try:
            self.driver = webdriver.Chrome(service=self.service, options=chromium_options(self.profile_dir))
        except WebDriverException as exc:
            self.stop()
            raise EngineError(f"Chromium did not start: {_short(exc)}", step="launch") from exc
        self.start_marks["chromium_started"] = time.time()  # ChromeDriver and Chromium
        # Every WebDriver call is bounded: a hung browser must surface as an error, not a hang.
        self.driver.command_executor.client_config.timeout = settings.ENGINE_COMMAND_TIMEOUT
        self.driver.set_script_timeout(settings.ENGINE_COMMAND_TIMEOUT)
        self.driver.set_page_load_timeout(settings.ENGINE_START_TIMEOUT)
        try:
            self._open_push()
            self._install_scripts()
            self.start_marks["browser_up"] = time.time()
            self.driver.get(self.page_url)
            self.start_marks["page_loaded"] = time.time()
            self._wait_for_wpp()
            self._check_contract()
            self.start_marks["wajs_ready"] = time.time()
        except EngineError:
            self.stop()
            raise
        except WebDriverException as exc:
            self.stop()
            raise EngineCrashed(
                f"Opening {self._page_name()} failed: {_short(exc)}", step="open page"
            ) from exc

    def _open_push(self) -> None:
        """The page's doorbell (page_push.py), before the page loads; without it, polling."""
        if settings.ENGINE_PUSH and self.on_push:
            self._push = open_page_push(self.driver.capabilities, self.on_push, self.session_id)

    def push_active(self) -> bool:
        return self._push is not None and self._push.alive

    def _page_name(self) -> str:
        return "WhatsApp Web" if self.inject_wajs else "the sandbox page"

    def _install_scripts(self) -> None:
        """Registers our scripts to run before the page's own scripts on every navigation.

        WhatsApp Web's CSP blocks inline script tags, so CDP is the only way in; the order of
        registration is the order of execution: config, wa-js, then the bridge.
        """
        scripts = injected_scripts(inject_wajs=self.inject_wajs, device_name=self.device_name)
        for source in scripts:
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def _wait_for_wpp(self) -> None:
        deadline = time.monotonic() + settings.ENGINE_START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self.driver.execute_script(
                    "return !!(window.WPP && window.WPP.isReady && window.__yesapp)"
                ):
                    return
            except JavascriptException:
                pass
            time.sleep(0.2)
        raise EngineCrashed(
            f"WPP.isReady never became true on {self._page_name()} within {settings.ENGINE_START_TIMEOUT}s "
            "(a WhatsApp Web update may have broken wa-js).",
            step="wait for WPP.isReady",
        )

    def _check_contract(self) -> None:
        """Refuses a page that lacks a function we call: one clear, permanent reason
        (WhatsApp Web changed under wa-js) instead of every message failing on its own."""
        missing = self._call_page(
            "check wa-js contract", "diagnostics", "missingFunctions", list(wpp_contract.FUNCTIONS)
        )
        if missing:
            version = self._call(
                "read versions", "return (window.Debug && window.Debug.VERSION) || ''", is_async=False
            )
            raise EngineError(
                wpp_contract.contract_broken_message(str(version or ""), list(missing)),
                permanent=True,
                step="check wa-js contract",
            )

    def diagnose(self) -> dict:
        """Versions and the contract as the page has them right now (diagnostics report)."""
        return self._call_page(
            "diagnostics",
            "diagnostics",
            "diagnose",
            list(wpp_contract.FUNCTIONS),
            list(wpp_contract.EVENTS),
            timeout=settings.ENGINE_DIAGNOSTICS_TIMEOUT,
        )

    def stop(self) -> None:
        driver, service = self.driver, self.service
        self.driver = self.service = None
        push, self._push = self._push, None
        if push is not None:
            push.close()
        browser_pids = self._pids(service) if service else []
        if self._broken:
            kill_processes(browser_pids)  # hung or crashed: it won't answer quit(); don't wait
        if driver is not None and not self._broken:
            try:
                driver.command_executor.client_config.timeout = 5
                driver.quit()
            except Exception as exc:
                logger.info("Quitting Chromium for %s failed: %s", self.session_id, _short(exc))
        if service is not None:
            try:
                service.stop()
            except Exception as exc:  # the kill below is what matters
                logger.debug("Stopping ChromeDriver for %s failed: %s", self.session_id, _short(exc))
        # Whatever survived quit() (a stray renderer) is killed.
        kill_processes(browser_pids)
        self._broken = False

    def _pids(self, service: Service) -> list[int]:
        process = getattr(service, "process", None)
        return process_tree(process.pid) if process else []

    def memory_pids(self) -> list[int]:
        return self._pids(self.service) if self.service else []

    def js_heap(self) -> tuple[int, int] | None:
        push = self._push
        return push.js_heap() if push is not None else None

    def delete_profile(self) -> None:
        shutil.rmtree(self.profile_dir.parent, ignore_errors=True)

    # --- page calls ---------------------------------------------------------------------
    def _call(self, step: str, script: str, *args, is_async: bool = True, timeout: float | None = None):
        """Runs a script in the page; a dead or hung browser becomes EngineCrashed. `timeout` bounds
        the call to ChromeDriver: short for drains and heartbeats, longer for sends and downloads."""
        if self.driver is None:
            raise EngineCrashed("The browser is not running.", step=step)
        self.driver.command_executor.client_config.timeout = timeout or settings.ENGINE_COMMAND_TIMEOUT
        try:
            if is_async:
                return self.driver.execute_async_script(script, *args)
            return self.driver.execute_script(script, *args)
        except JavascriptException as exc:
            raise EngineError(f"{step} failed in the page: {_short(exc)}", step=step) from exc
        except TimeoutException as exc:
            self._broken = True
            raise EngineCrashed(
                f"{step} timed out after {settings.ENGINE_COMMAND_TIMEOUT}s", step=step
            ) from exc
        except WebDriverException as exc:
            self._broken = True
            raise EngineCrashed(f"{step}: the browser stopped answering ({_short(exc)})", step=step) from exc
        except Exception as exc:  # urllib3 read timeouts when the browser hangs
            self._broken = True
            raise EngineCrashed(f"{step}: no answer from the browser ({_short(exc)})", step=step) from exc

    def _call_page(self, step: str, file: str, function: str, *args, timeout: float | None = None):
        """Runs `function` of page/<file>.js with `args` and unwraps its {ok, value|error}."""
        answer = self._call(step, page_script(file, function), *args, timeout=timeout)
        if not isinstance(answer, dict):
            raise EngineError(f"{step}: unexpected answer from the page", step=step)
        if not answer.get("ok"):
            raise EngineError(f"{step} failed: {answer.get('error')}", step=step)
        return answer.get("value")

    def is_alive(self, timeout: float = 5.0) -> bool:
        if self.driver is None:
            return False
        try:
            return self._call("heartbeat", "return 1", is_async=False, timeout=timeout) == 1
        except EngineError:
            return False

    def state(self) -> ConnectionState:
        value = self._call_page("read state", "connection", "readState")
        return ConnectionState(
            is_authenticated=value["authenticated"],
            stream_mode=value["mode"],
            my_id=value["myId"],
            qr=value["qr"],
        )

    def drain_events(self, wait: float) -> list[PageEvent]:
        answer = self._call(
            "drain events",
            "const done = arguments[arguments.length - 1];"
            "if (!window.__yesapp) { done({events: [], dropped: 0, missing: true}); return; }"
            "window.__yesapp.drain(arguments[0], arguments[1], done);",
            {"bridge": self._bridge_id, "seq": self._acked_seq},
            int(wait * 1000),
            timeout=wait + HANG_GRACE_SECONDS,
        )
        if not isinstance(answer, dict) or answer.get("missing"):
            # null when the page was replaced under the script: the bridge is gone either way.
            raise EngineCrashed("The bridge is gone from the page (it navigated away).", step="drain events")
        if answer.get("bridge") != self._bridge_id:
            self._bridge_id, self._acked_seq = answer.get("bridge"), 0  # a new page load
        self.dropped_events += answer.get("dropped") or 0
        if answer.get("dropped"):
            logger.warning("Page dropped %s events for session %s", answer["dropped"], self.session_id)
        return [
            PageEvent(name=e["name"], data=e.get("data"), at=e.get("at", 0), seq=e.get("seq", 0))
            for e in answer["events"]
        ]

    def acknowledge(self, seq: int) -> None:
        self._acked_seq = max(self._acked_seq, seq)

    def recent_messages(self, *, since: float, max_chats: int, per_chat: int) -> list[dict]:
        messages = self._call_page("catch up", "messages", "catchUp", since, max_chats, per_chat)
        if not isinstance(messages, list):
            raise EngineError("catch up: the page returned no list", step="catch up")
        return sorted((m for m in messages if isinstance(m, dict)), key=lambda m: m.get("t") or 0)

    def refresh_qr(self) -> None:
        self._call_page("refresh QR", "connection", "refreshQr")

    def logout(self) -> None:
        self._call_page("logout", "connection", "logout")

    def pairing_code(self, phone_digits: str) -> str:
        return self._call_page("pairing code", "connection", "pairingCode", phone_digits)

    def send_text(
        self, chat_id: str, text: str, *, quoted_id: str = "", extra: dict | None = None
    ) -> SendResult:
        return self._send("send text", "sendText", chat_id, text, send_options(quoted_id) | (extra or {}))

    def send_media(self, chat_id: str, media: MediaFile) -> SendResult:
        data_url = f"data:{media.mimetype};base64,{base64.b64encode(media.data).decode()}"
        options = {
            "type": media.kind,
            "caption": media.caption or None,
            "filename": media.filename or None,
            "mimetype": media.mimetype,
            "waitForAck": True,
            **media.extra,
        }
        return self._send("send media", "sendMedia", chat_id, data_url, options)

    def react(self, wa_id: str, emoji: str) -> SendResult:
        return self._send("react", "react", wa_id, emoji)

    def delete_message(self, chat_id: str, wa_id: str, *, revoke: bool) -> SendResult:
        return self._send("delete message", "deleteMessage", chat_id, wa_id, revoke)

    def edit_message(self, wa_id: str, text: str) -> SendResult:
        return self._send("edit message", "editMessage", wa_id, text)

    def forward_message(self, chat_id: str, wa_id: str) -> SendResult:
        return self._send("forward message", "forwardMessage", chat_id, wa_id)

    def mark_read(self, chat_id: str) -> SendResult:
        return self._send("mark read", "markRead", chat_id)

    def set_presence(self, chat_id: str, state: str) -> SendResult:
        return self._send("set presence", "setPresence", chat_id, state)

    def send_location(self, chat_id: str, location: dict, *, quoted_id: str = "") -> SendResult:
        options = {
            "lat": location["latitude"],
            "lng": location["longitude"],
            "name": location.get("name") or None,
            "address": location.get("address") or None,
            **send_options(quoted_id),
        }
        return self._send("send location", "sendLocation", chat_id, options)

    def send_contacts(self, chat_id: str, contacts: list[dict], *, quoted_id: str = "") -> SendResult:
        cards = [{"id": f"{c['phone'].lstrip('+')}@c.us", "name": c["name"]} for c in contacts]
        return self._send("send contacts", "sendContacts", chat_id, cards, send_options(quoted_id))

    def send_poll(self, chat_id: str, poll: dict, *, quoted_id: str = "") -> SendResult:
        # wa-js selectableCount: 0 lets a voter pick any number of options, 1 just one.
        options = {"selectableCount": 0 if poll["multipleAnswers"] else 1, **send_options(quoted_id)}
        return self._send("send poll", "sendPoll", chat_id, poll["question"], poll["options"], options)

    def _send(self, step: str, function: str, *args) -> SendResult:
        value = self._call_page(step, "messages", function, *args)
        result = value.get("result", "")
        error = "" if result in ("", "OK") else result
        return SendResult(wa_id=value.get("id") or "", ack=value.get("ack", 0), error=error)

    def download_media(self, wa_id: str) -> tuple[bytes, str]:
        data_url = self._call_page("download media", "messages", "downloadMedia", wa_id)
        header, _, payload = (data_url or "").partition(",")
        if not header.startswith("data:") or ";base64" not in header:
            raise EngineError("download media: the page returned no data URL", step="download media")
        mimetype = header[5:].split(";")[0] or "application/octet-stream"
        return base64.b64decode(payload), mimetype

    def check_numbers(self, chat_ids: list[str], *, wait: float) -> list[dict]:
        answer = self._page_query("check numbers", "checkNumbers", list(chat_ids), wait=wait)
        return answer["results"]

    def pn_lid_entry(self, contact_id: str, *, wait: float) -> dict:
        answer = self._page_query("look up lid", "pnLidEntry", contact_id, wait=wait)
        return {"phone": answer["phone"], "lid": answer["lid"]}

    def group_op(self, function: str, *args, wait: float) -> dict:
        return self._page_query(f"group {function}", function, *args, wait=wait, file="groups")

    def _page_query(self, step: str, function: str, *args, wait: float, file: str = "contacts") -> dict:
        """A page/contacts.js question that the page itself bounds to `wait` seconds; the
        WebDriver call gets a margin so a slow answer is PageTimeout, not a hung browser."""
        answer = self._call_page(
            step, file, function, *args, int(wait * 1000), timeout=wait + HANG_GRACE_SECONDS
        )
        if not isinstance(answer, dict) or answer.get("timedOut"):
            raise PageTimeout(f"WhatsApp did not answer {step} within {wait:.0f}s.", step=step)
        return answer

    ask_page = _page_query  # Engine.ask_page: a page/contacts.js read


def _short(exc: BaseException) -> str:
    text = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0][:300]
