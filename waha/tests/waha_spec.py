"""Checks an answer against the parts of WAHA's own OpenAPI description kept in
fixtures/waha_openapi_checked.json (where the WAHA client library does not check them)."""

import json
from pathlib import Path

from openapi_schema_validator import OAS30Validator, validate

_SPEC = json.loads((Path(__file__).parent / "fixtures" / "waha_openapi_checked.json").read_text())


def assert_waha(schema_name: str, value) -> None:
    components = _SPEC["components"]
    validate(value, {**components["schemas"][schema_name], "components": components}, cls=OAS30Validator)
