"""docs/API_REFERENCE.md and the OpenAPI schema stay in step, and the schema alone is enough to
make a first call: every operation has a summary, a description, examples and its errors."""

import re

import pytest

from yesapp.tests.fixtures import ROOT

METHODS = ("get", "post", "put", "patch", "delete")
REFERENCE = ROOT / "docs" / "API_REFERENCE.md"
# Documented in the reference but served outside DRF, so not in the schema.
OUTSIDE_SCHEMA = {"GET /metrics"}
# /health only ever answers 200 (a dead server answers nothing): it has no error to document.
NO_ERRORS_BY_DESIGN = {"health"}

# Success responses that still lack an example in Swagger UI, per operation id. This list may
# only shrink: a new operation without examples fails the test. (Binary bodies are exempt.)
KNOWN_MISSING_RESPONSE_EXAMPLES = {
    "stats",
    "sandbox_disconnect",
    "sandbox_inbound",
}


@pytest.fixture(scope="module")
def schema(openapi_schema) -> dict:
    return openapi_schema


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def _reference_sections() -> dict[str, str]:
    """`METHOD /path` -> the text of its section in the reference."""
    text = REFERENCE.read_text()
    parts = re.split(r"^### `([A-Z]+ /\S*)`.*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_endpoint_in_the_schema_is_in_the_api_reference(schema):
    documented = set(_reference_sections())
    missing = sorted(f"{m} {p}" for m, p, _ in _operations(schema) if f"{m} {p}" not in documented)
    assert not missing, f"document these in docs/API_REFERENCE.md (### `METHOD /path` — summary): {missing}"


def test_the_api_reference_names_no_endpoint_that_does_not_exist(schema):
    existing = {f"{m} {p}" for m, p, _ in _operations(schema)} | OUTSIDE_SCHEMA
    stale = sorted(set(_reference_sections()) - existing)
    assert not stale, f"these are in docs/API_REFERENCE.md but not in the API: {stale}"


def test_every_reference_section_has_a_curl_example_and_its_errors():
    for endpoint, section in _reference_sections().items():
        method, path = endpoint.split(" ", 1)
        assert re.search(r"^curl ", section, re.M), f"{endpoint}: add a curl example"
        if method != "GET":
            assert f"-X {method}" in section, f"{endpoint}: the curl example should use -X {method}"
        if endpoint != "GET /health":
            assert "Errors:" in section, f"{endpoint}: list its errors"


def _problems(operation: dict, path: str) -> list[str]:
    problems = []
    if not operation.get("summary"):
        problems.append("summary")
    if not operation.get("description"):
        problems.append("description")
    responses = operation.get("responses", {})
    if operation["operationId"] not in NO_ERRORS_BY_DESIGN:
        if not any(code[0] in "45" for code in responses):
            problems.append("error responses")
        if operation.get("security") not in (None, [], [{}]) and "401" not in responses:
            problems.append("401")
        if "{" in path and "404" not in responses:
            problems.append("404")
    body = operation.get("requestBody")
    if body:
        if "400" not in responses:
            problems.append("400")
        if not any(c.get("examples") or c.get("example") for c in body["content"].values()):
            problems.append("request example")
    return problems


def test_every_operation_has_a_summary_description_errors_and_request_examples(schema):
    gaps = {
        f"{m} {p} ({op['operationId']})": problems
        for m, p, op in _operations(schema)
        if (problems := _problems(op, p))
    }
    assert not gaps, f"complete these in the views' extend_schema: {gaps}"


def _json_success_without_example(operation: dict) -> bool:
    for code, response in operation.get("responses", {}).items():
        if code[0] != "2":
            continue
        for content_type, content in (response.get("content") or {}).items():
            binary = content.get("schema", {}).get("format") == "binary"
            if not binary and not (content.get("examples") or content.get("example")):
                return True
    return False


def test_success_responses_have_examples_except_the_known_gaps(schema):
    missing = {op["operationId"] for _, _, op in _operations(schema) if _json_success_without_example(op)}
    new = sorted(missing - KNOWN_MISSING_RESPONSE_EXAMPLES)
    assert not new, f"add a response example (OpenApiExample) to: {new}"
