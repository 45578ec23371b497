"""A small webhook receiver app of its own: a real HTTP server whose requests pywa handles
itself, the way pywa documents for a custom server (`webhook_challenge_handler`,
`webhook_update_validator`, `webhook_update_handler`)."""

import http.server
import threading
from urllib.parse import parse_qs, urlsplit

from pywa import WhatsApp, handlers, utils


class PywaReceiver:
    def __init__(
        self, *, phone_id: str, secret: str, verify_token: str | None = None, token="unused", session=None
    ):
        # `token` and `session` let the handlers call back (download media) through YesApp.
        self.wa = WhatsApp(
            phone_id=phone_id,
            token=token,
            session=session,
            app_secret=secret,
            verify_token=verify_token or secret,
        )
        self.messages: list = []
        self.statuses: list = []
        self.rejected: list[int] = []
        self.wa.add_handlers(
            handlers.MessageHandler(lambda _, msg: self.messages.append(msg)),
            handlers.MessageStatusHandler(lambda _, status: self.statuses.append(status)),
        )
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/whatsapp"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                token, challenge = (query.get(name, [None])[0] for name in (utils.HUB_VT, utils.HUB_CH))
                content, status = receiver.wa.webhook_challenge_handler(vt=token, ch=challenge)
                self._answer(status, content or "")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                error = receiver.wa.webhook_update_validator(body, self.headers.get(utils.HUB_SIG))
                if error:
                    receiver.rejected.append(error[1])
                    self._answer(error[1], error[0])
                    return
                content, status = receiver.wa.webhook_update_handler(body)
                self._answer(status, content)

            def _answer(self, status: int, text: str):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
