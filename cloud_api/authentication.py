"""`Authorization: Bearer <YesApp API key>`: where Cloud API clients put their access token.

The key is checked by YesApp's own authentication (same keys, same scopes, same limit on
failed attempts); only the header it travels in differs.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions

from yesapp.authentication import ApiKeyAuthentication

_SCHEME = "bearer "


class BearerKeyAuthentication(ApiKeyAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization")
        if header is None:
            return None
        if not header.lower().startswith(_SCHEME) or not header[len(_SCHEME) :].strip():
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be `Bearer <YesApp API key>`."
            )
        return self.authenticate_raw_key(request, header[len(_SCHEME) :])

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="YesApp"'


class BearerKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "cloud_api.authentication.BearerKeyAuthentication"
    name = "CloudBearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A YesApp API key as the Cloud API access token: `Authorization: Bearer <key>`.",
        }
