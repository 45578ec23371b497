"""tsc judges the page scripts and the sandbox's WPP by wa-js's own declarations (make lint).

These tests prove the check can fail: a deliberate wrong call or an impossible sandbox answer,
put into a copy of the checked files, must be rejected at the line it is on."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from sessions_app.engine import wpp_contract

ROOT = Path(settings.BASE_DIR)
TSC = ROOT / "node_modules" / ".bin" / "tsc"
PAGE = Path("sessions_app/engine/page")
SANDBOX = Path("static/sandbox")  # tsconfig.json and the parts of its WPP, wpp/*.js
BRIDGE = Path("sessions_app/engine/bridge.js")


def test_the_generated_declarations_match_the_contract_json():
    assert wpp_contract.DECLARATIONS_PATH.read_text() == wpp_contract.declarations(), (
        "sessions_app/engine/wpp_contract.json changed: run scripts/gen_wpp_types.py"
    )
    for name in wpp_contract.FUNCTIONS:
        assert f'"{name.rpartition(".")[2]}"' in wpp_contract.declarations() or name == "on"
    for name in wpp_contract.EVENTS:
        assert f'"{name}"' in wpp_contract.declarations()


def tsc(project: Path) -> subprocess.CompletedProcess:
    if not TSC.exists():
        pytest.fail(f"TypeScript is missing at {TSC}: run `npm ci` (it is pinned in package.json).")
    return subprocess.run(
        [str(TSC), "-p", str(project), "--pretty", "false"], capture_output=True, text=True, timeout=300
    )


def copy_checked_tree(tmp_path: Path) -> Path:
    for name in ("tsconfig.json", BRIDGE):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / PAGE, tmp_path / PAGE)
    shutil.copytree(ROOT / SANDBOX, tmp_path / SANDBOX)
    (tmp_path / "node_modules").symlink_to((ROOT / "node_modules").resolve())
    return tmp_path


def mutate(path: Path, old: str, new: str) -> int:
    """Replaces the one `old` in `path`; returns its line number."""
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def line_of(path: Path, text: str) -> int:
    source = path.read_text()
    assert source.count(text) == 1, text
    return source[: source.index(text)].count("\n") + 1


def rejected_lines(result: subprocess.CompletedProcess, name: str) -> set[int]:
    return {int(n) for n in re.findall(re.escape(name) + r"\((\d+),\d+\): error", result.stdout)}


@pytest.mark.slow
def test_tsc_accepts_the_page_scripts_and_the_sandbox_as_they_are():
    for project in (ROOT / "tsconfig.json", ROOT / "static/sandbox/tsconfig.json"):
        result = tsc(project)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_tsc_rejects_wrong_arguments_to_wa_js_in_a_page_script_or_the_bridge(tmp_path):
    tree = copy_checked_tree(tmp_path)
    connection, messages, bridge = tree / PAGE / "connection.js", tree / PAGE / "messages.js", tree / BRIDGE
    wrong = {
        # the arguments swapped
        (connection, mutate(connection, "(phoneDigits, true)", "(true, phoneDigits)")),
        # an option wa-js does not know
        (messages, mutate(messages, "list({ count: maxChats })", "list({ limit: maxChats })")),
        # a function outside the contract, though real wa-js has it
        (messages, mutate(messages, "WPP.chat.downloadMedia(msgId)", "WPP.chat.getMessageById(msgId)")),
        # the bridge listening to an event name wa-js does not have
        (bridge, mutate(bridge, "push('bridge.ready', null);", "wpp.on('chat.new_mesage', push);")),
    }
    result = tsc(tree / "tsconfig.json")
    assert result.returncode != 0
    found = {
        (path, line) for path in (connection, messages, bridge) for line in rejected_lines(result, path.name)
    }
    assert wrong <= found, result.stdout


@pytest.mark.slow
def test_tsc_rejects_an_answer_or_event_real_wa_js_would_never_give_in_the_sandbox(tmp_path):
    tree = copy_checked_tree(tmp_path)
    parts = tree / SANDBOX / "wpp"
    send, conn, chat, wpp = (parts / name for name in ("send.js", "conn.js", "chat.js", "wpp.js"))
    wrong = {
        # a send verdict outside WhatsApp's SendMsgResult
        (send, mutate(send, "sendVerdict('OK', msg.t)", "sendVerdict('SENT', msg.t)")),
        # a receipt whose ack is not a number
        (
            send,
            mutate(send, "emit('chat.msg_ack_change', { ack: 1,", "emit('chat.msg_ack_change', { ack: '1',"),
        ),
        # an event wa-js does not have
        (
            conn,
            mutate(conn, "emit('conn.authenticated', undefined);", "emit('conn.authenticate', undefined);"),
        ),
    }
    # A wrong answer is reported where the function takes its place in WPP (its type is checked
    # there), even when the function is defined in another part.
    mutate(chat, "return { wid: wid(to), unreadCount: data.unreadCount };", "return { unreadCount: 1 };")
    wrong.add((wpp, line_of(wpp, "markIsRead: SandboxChat.markIsRead,")))
    mutate(wpp, "return data.code;", "return 12345678;")
    wrong.add((wpp, line_of(wpp, "genLinkDeviceCodeForPhoneNumber: function")))
    result = tsc(tree / SANDBOX / "tsconfig.json")
    assert result.returncode != 0
    found = {
        (path, line)
        for path in (send, conn, chat, wpp)
        for line in rejected_lines(result, f"wpp/{path.name}")
    }
    assert wrong <= found, result.stdout
