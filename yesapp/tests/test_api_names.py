"""Generated clients name their functions after operationIds and their models after component
names: renaming one breaks every client generated before. This pins the whole set.

Adding endpoints deliberately: regenerate the list and commit it with them,
    UPDATE_API_NAMES=1 .venv/bin/pytest yesapp/tests/test_api_names.py --no-cov
A name that disappears or changes is a breaking change for integrators: keep the old name
(`operation_id=`, a serializer's `ref_name`, or yesapp.schema's hooks) rather than update it.
"""

import difflib
import os
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

NAMES_FILE = Path(__file__).with_name("api_names.txt")


def _names_in(schema: dict) -> list[str]:
    operations = [
        f"operation {operation['operationId']}"
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    components = [f"component {name}" for name in schema["components"]["schemas"]]
    return sorted(operations) + sorted(components)


def test_operation_ids_and_component_names_are_the_committed_ones():
    names = _names_in(SchemaGenerator().get_schema(request=None, public=True))
    if os.environ.get("UPDATE_API_NAMES") == "1":
        NAMES_FILE.write_text("\n".join(names) + "\n")
    committed = NAMES_FILE.read_text().splitlines()
    if names == committed:
        return
    gone = sorted(set(committed) - set(names))
    new = sorted(set(names) - set(committed))
    diff = "\n".join(difflib.unified_diff(committed, names, str(NAMES_FILE.name), "schema", lineterm="", n=0))
    pytest.fail(
        (f"Gone or renamed (breaks generated clients; restore them): {gone}\n" if gone else "")
        + (f"New (deliberate? UPDATE_API_NAMES=1 rewrites {NAMES_FILE.name}): {new}\n" if new else "")
        + diff,
        pytrace=False,
    )


def test_the_committed_list_is_sorted_without_duplicates():
    committed = NAMES_FILE.read_text().splitlines()
    operations = [line for line in committed if line.startswith("operation ")]
    components = [line for line in committed if line.startswith("component ")]
    assert committed == sorted(set(operations)) + sorted(set(components))
