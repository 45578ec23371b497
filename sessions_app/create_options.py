"""Fields of the session create body (`POST /sessions`) that another app owns.

The webhooks app adds `webhook` from its AppConfig.ready(), so a session can be created with
its webhook in one call while sessions know nothing of webhooks. The create serializer takes
each option's input field; `session_create` applies each option given, inside its transaction
(a value the option refuses rolls the session back), and the answer carries what the option
returns (a generated webhook secret, shown once).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from rest_framework import serializers

from sessions_app.models import Session


@dataclass(frozen=True)
class SessionCreateOption:
    name: str
    # The body field, built afresh for each serializer.
    input_field: Callable[[], serializers.Field]
    # apply(session=..., value=...) -> fields added to the 201 answer ({} for none).
    apply: Callable[..., dict]
    # The answer's fields that `apply` may add, for the schema.
    answer_fields: Callable[[], dict[str, serializers.Field]] = field(default=dict)


_options: dict[str, SessionCreateOption] = {}


def register_session_create_option(option: SessionCreateOption) -> None:
    _options[option.name] = option


def session_create_options() -> list[SessionCreateOption]:
    return list(_options.values())


def session_create_options_apply(*, session: Session, values: dict) -> dict:
    """Applies the options given in `values` (by name) to the new session; returns what they
    add to the answer. Call it inside the create's transaction."""
    if unknown := set(values) - set(_options):
        raise TypeError(f"Unknown session create options: {', '.join(sorted(unknown))}")
    answer: dict = {}
    for name, value in values.items():
        if value is not None:
            answer.update(_options[name].apply(session=session, value=value))
    return answer
