"""The house rules of docs/ARCHITECTURE.md that a reader should not have to police by hand:
modules under 400 lines and functions under 50, outside migrations and tests (generated, or
long by being lists of cases). The 400 lines hold for our own JavaScript too (the page
scripts, the bridge, the dashboard's and the sandbox's), not for a vendored bundle such as
wa-js's. The import layers are lint-imports' job (`make lint`)."""

import ast
from pathlib import Path

from django.conf import settings

MODULE_MAX_LINES = 400
FUNCTION_MAX_LINES = 50
SKIPPED_PARTS = {".venv", "node_modules", "migrations", "tests", "data", "htmlcov"}
# Where the project's own JavaScript lives: what the engine runs in the page, and /static/.
JS_ROOTS = ("sessions_app/engine", "static")


def _source_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [
        path
        for path in sorted(base.rglob("*.py"))
        if not SKIPPED_PARTS & set(path.relative_to(base).parts) and path.name != "conftest.py"
    ]


def _javascript_files() -> list[Path]:
    """Our own scripts; a vendored bundle (minified, or wa-js's wherever it is configured) is not ours."""
    base = Path(settings.BASE_DIR)
    vendored = Path(settings.WAJS_BUNDLE_PATH).resolve()
    return [
        path
        for root in JS_ROOTS
        for path in sorted((base / root).rglob("*.js"))
        if not SKIPPED_PARTS & set(path.relative_to(base).parts)
        and not path.name.endswith(".min.js")
        and path.resolve() != vendored
    ]


def test_the_scan_sees_the_code():
    names = {path.name for path in _source_files()}
    assert {"settings.py", "actor.py", "services.py"} <= names


def test_the_scan_sees_our_javascript():
    paths = {str(path.relative_to(settings.BASE_DIR)) for path in _javascript_files()}
    assert {
        "sessions_app/engine/bridge.js",
        "sessions_app/engine/page/messages.js",
        "static/dashboard/app.js",
        "static/sandbox/wpp/wpp.js",
    } <= paths


def test_no_module_over_400_lines():
    too_long = {
        str(path.relative_to(settings.BASE_DIR)): lines
        for path in [*_source_files(), *_javascript_files()]
        if (lines := len(path.read_text().splitlines())) > MODULE_MAX_LINES
    }
    assert too_long == {}, "split these along their seams"


def test_no_function_over_50_lines():
    too_long = {}
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > FUNCTION_MAX_LINES:
                    too_long[f"{path.relative_to(settings.BASE_DIR)}:{node.name}"] = lines
    assert too_long == {}, "give the parts names of their own"
