"""The one shape of every `/api/v1/` list: `{"items": [...], "total", "limit", "offset"}`.

Views build the answer with `list_envelope` and document it with `list_envelope_serializer`.
Lists that used to answer in another shape keep their old fields beside the envelope for one
release (`deprecated=`; docs/API_REFERENCE.md, "Lists"), so clients can move at their pace.
"""

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from yesapp.validators import OffsetField

DEPRECATED_HELP = "Deprecated: the same as `{same}`; removed in the next release."


class PageQuerySerializer(serializers.Serializer):
    """`limit` and `offset` of a list with no page parameters of its own."""

    limit = serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=500,
        help_text="Page size, 1 to 500 (default 100).",
    )
    offset = OffsetField(help_text="Items to skip (default 0).")


def list_envelope(
    *, items: Sequence, total: int, limit: int, offset: int, deprecated: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The answer of a list: this page's `items` (already serialized), how many match in
    `total`, and the `limit` and `offset` that made the page; then any deprecated old fields."""
    return {"items": items, "total": total, "limit": limit, "offset": offset, **(deprecated or {})}


def list_envelope_serializer(
    item: serializers.Serializer, *, name: str, total_help: str = "", deprecated: dict[str, Any] | None = None
) -> serializers.Serializer:
    """The envelope for the schema: `item` is an instance with many=True, e.g.
    `list_envelope_serializer(MessageOutputSerializer(many=True), name="MessageList")`."""
    fields = {
        "items": item,
        "total": serializers.IntegerField(help_text=total_help or "How many items match, in all pages."),
        "limit": serializers.IntegerField(help_text="The page size used."),
        "offset": serializers.IntegerField(help_text="How many matching items were skipped."),
    }
    return inline_serializer(name=name, fields={**fields, **(deprecated or {})})


def deprecated_alias(field: serializers.Field, *, same: str) -> serializers.Field:
    """A deprecated old field of a list, documented as such."""
    field.help_text = DEPRECATED_HELP.format(same=same)
    return field
