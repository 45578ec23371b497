"""An httpx transport that sends what a Cloud API client addresses to graph.facebook.com to a
YesApp server instead. pywa fixes its base URL to Meta's host and takes an `httpx.Client` of
the caller's: giving it one with this transport is configuration, and pywa stays unmodified."""

import httpx


class ToYesApp(httpx.BaseTransport):
    def __init__(self, base_url: str):
        self.base = httpx.URL(base_url)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self.base.scheme, host=self.base.host, port=self.base.port)
        request.headers["Host"] = self.base.netloc.decode()
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def graph_client(base_url: str) -> httpx.Client:
    return httpx.Client(transport=ToYesApp(base_url), timeout=30)
