"""Request examples of `POST /sessions/{id}/messages` beyond plain text (messaging/api/views.py)."""

from drf_spectacular.utils import OpenApiExample

KIND_EXAMPLES = [
    OpenApiExample(
        "Reply to a message",
        value={
            "to": "+33612345678",
            "text": "Yes, tomorrow at 10",
            "replyTo": "9b2f3c1a-5d6e-4f70-8a91-b2c3d4e5f601",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Location",
        value={
            "to": "+33612345678",
            "location": {
                "latitude": 48.8584,
                "longitude": 2.2945,
                "name": "Eiffel Tower",
                "address": "Champ de Mars, Paris",
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "Contact card",
        value={"to": "+33612345678", "contacts": [{"name": "Support", "phone": "+33144556677"}]},
        request_only=True,
    ),
    OpenApiExample(
        "Voice note",
        value={"to": "+33612345678", "type": "voice", "media": {"data": "SUQzAwAAAAAAD..."}},
        request_only=True,
    ),
    OpenApiExample(
        "Poll",
        value={
            "to": "+33612345678",
            "poll": {"question": "Lunch?", "options": ["Pizza", "Sushi"], "multipleAnswers": False},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Mentions in a group",
        value={
            "to": "120363012345678901@g.us",
            "text": "Meeting at 10, @4915112345678 please bring the slides",
            "mentions": ["+4915112345678", "all"],
        },
        request_only=True,
    ),
    OpenApiExample(
        "No link preview",
        value={"to": "+33612345678", "text": "The agenda: https://example.com/agenda", "linkPreview": False},
        request_only=True,
    ),
]
