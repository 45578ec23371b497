"""The house rules of docs/ARCHITECTURE.md that a reader should not have to police by hand:
modules under 400 lines and functions under 50, outside migrations and tests (generated, or
long by being lists of cases). The import layers are lint-imports' job (`make lint`)."""

import ast
from pathlib import Path

from django.conf import settings

MODULE_MAX_LINES = 400
FUNCTION_MAX_LINES = 50
SKIPPED_PARTS = {".venv", "node_modules", "migrations", "tests", "data", "htmlcov"}


def _source_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [
        path
        for path in sorted(base.rglob("*.py"))
        if not SKIPPED_PARTS & set(path.relative_to(base).parts) and path.name != "conftest.py"
    ]


def test_the_scan_sees_the_code():
    names = {path.name for path in _source_files()}
    assert {"settings.py", "actor.py", "services.py"} <= names


def test_no_module_over_400_lines():
    too_long = {
        str(path.relative_to(settings.BASE_DIR)): lines
        for path in _source_files()
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
