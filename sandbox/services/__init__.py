"""Writes of the sandbox: what WhatsApp's servers and the contacts' phones would do.

- `page_url`: the page's URL (the engine opens it, see engine_handlers.py) and its token.
- `device`: the linked device: the page's login (QR, pairing code, logout) and the phone's
  link, unlink and offline; the event cursor, taken under a lock on the device row.
- `page`: what the logged-in page asks for: its poll for events, sends, reads, downloads.
- `phone`: the contacts: their messages to the session, and receipts for what it sent.
- `messages`: sandbox messages and their files, as WhatsApp would store them.

Two callers: the sandbox page (views.py, by page token) and the sandbox API (api/views.py,
by API key).
"""
