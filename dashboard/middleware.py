"""Security headers for the dashboard's HTML pages."""

from django.http import HttpRequest, HttpResponse

# No inline script, no inline event handlers, no inline styles: every script and stylesheet
# is a static file of ours. Images may be data: URLs (QR codes). Nothing may frame the pages.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class DashboardSecurityHeadersMiddleware:
    """Sends the strict Content-Security-Policy on the dashboard's pages and fragments.

    Only views of the `dashboard` URL namespace get it: Swagger UI and the admin ship their
    own inline scripts and keep Django's defaults.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "dashboard" in match.namespaces:
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            # Pages show message contents; they must not linger in shared caches.
            response.setdefault("Cache-Control", "private, no-store")
        return response
