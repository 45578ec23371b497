"""The JavaScript the engine runs in the page, loaded by name from page/*.js.

Each file holds `async function`s with JSDoc types from @wppconnect/wa-js's declarations, which
tsc checks in `make lint` (tsconfig.json); Python never carries JavaScript in strings."""

import json
import re
from functools import cache
from pathlib import Path

from sessions_app.engine import wpp_contract
from sessions_app.engine.base import EngineError

PAGE_DIR = Path(__file__).parent / "page"
BRIDGE_JS = (Path(__file__).parent / "bridge.js").read_text()

# Runs after the file's functions are declared: calls one with the Python arguments and answers
# {ok, value} or {ok: false, error} through execute_async_script's callback.
_CALL = (
    "\n;(function (done, args) {{"
    " {function}.apply(null, args).then("
    " function (v) {{ done({{ok: true, value: v === undefined ? null : v}}); }},"
    " function (e) {{ done({{ok: false, error: String((e && (e.message || e.code)) || e)}}); }});"
    " }})(arguments[arguments.length - 1], Array.prototype.slice.call(arguments, 0, -1));"
)


class PageScriptMissing(LookupError):
    pass


@cache
def page_script(file: str, function: str) -> str:
    """The script that runs `function` of page/<file>.js (raises PageScriptMissing if absent)."""
    path = PAGE_DIR / f"{file}.js"
    try:
        source = path.read_text()
    except OSError as exc:
        raise PageScriptMissing(f"No page script {path}") from exc
    # `// @page-requires other`: that file's functions are declared first (shared helpers).
    for required in re.findall(r"^// @page-requires (\w+)$", source, re.MULTILINE):
        source = (PAGE_DIR / f"{required}.js").read_text() + "\n" + source
    if not re.search(rf"^async function {re.escape(function)}\(", source, re.MULTILINE):
        raise PageScriptMissing(f"{path} has no `async function {function}(`")
    return source + _CALL.format(function=function)


def injected_scripts(*, inject_wajs: bool, device_name: str) -> list[str]:
    """What runs before the page's own scripts, in order: the contract's event names, for
    WhatsApp Web the wa-js config and bundle, then the bridge."""
    scripts = [f"window.__yesappEvents = {json.dumps(list(wpp_contract.EVENTS))};"]
    if inject_wajs:
        config = {"deviceName": device_name, "poweredBy": "YesApp", "disableGoogleAnalytics": True}
        scripts.append(f"window.WPPConfig = {json.dumps(config)};")
        try:
            scripts.append(wpp_contract.wajs_bundle_path().read_text())
        except OSError as exc:
            raise EngineError(
                f"The wa-js bundle is missing at {wpp_contract.wajs_bundle_path()}; run `make install`.",
                permanent=True,
                step="inject wa-js",
            ) from exc
    scripts.append(BRIDGE_JS)
    return scripts


def send_options(quoted_id: str) -> dict:
    """wa-js SendMessageOptions every send uses: wait for WhatsApp's verdict, quote a message."""
    return {"waitForAck": True, "quotedMsg": quoted_id} if quoted_id else {"waitForAck": True}
