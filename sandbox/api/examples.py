"""Examples of the sandbox API's schema (sandbox/api/views.py): what the outbox shows and what a
contact can send."""

from drf_spectacular.utils import OpenApiExample

from yesapp.api.envelope import list_envelope

_OUTBOX_MESSAGE = {
    "id": "true_33612345678@c.us_3EB0A1B2C3D4E5F6A7B8",
    "to": "+33612345678",
    "chatId": "33612345678@c.us",
    "type": "text",
    "text": "Hello from YesApp",
    "ack": 3,
    "status": "read",
    "sentAt": "2026-11-27T10:00:01Z",
    "deliveredAt": "2026-11-27T10:00:01.300Z",
    "readAt": "2026-11-27T10:00:01.800Z",
    "media": None,
    "quotedMsgId": "",
    "isPtt": False,
    "location": None,
    "contacts": None,
    "poll": None,
    "mentions": [],
    "linkPreview": None,
    "isForwarded": False,
    "waveform": None,
}
OUTBOX_EXAMPLE = list_envelope(
    items=[_OUTBOX_MESSAGE], total=1, limit=50, offset=0, deprecated={"messages": [_OUTBOX_MESSAGE]}
)


_CONTACT = "+4915112345678"
INBOUND_KIND_EXAMPLES = [
    OpenApiExample(
        "Voice note",
        value={"from": _CONTACT, "media": {"data": "SUQzAwAAAAAAD...", "type": "ptt"}},
        request_only=True,
    ),
    OpenApiExample(
        "Location, quoting a message the session sent",
        value={
            "from": _CONTACT,
            "location": {"latitude": 48.8584, "longitude": 2.2945, "name": "Eiffel Tower"},
            "replyTo": "true_4915112345678@c.us_3EB0A1B2C3D4E5F6A7B8",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Contact cards",
        value={"from": _CONTACT, "contacts": [{"name": "Bob", "phone": "+33611111111"}]},
        request_only=True,
    ),
    OpenApiExample(
        "Poll",
        value={
            "from": _CONTACT,
            "poll": {"question": "Dinner?", "options": ["Yes", "No"], "multipleAnswers": True},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Forwarded, mentioning someone",
        value={
            "from": _CONTACT,
            "text": "@33611111111 see this",
            "mentions": ["+33611111111"],
            "forwarded": True,
        },
        request_only=True,
    ),
]
