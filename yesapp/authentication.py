"""DRF authentication by the `X-API-Key` header, and the permission that requires it."""

from rest_framework import authentication, exceptions, permissions

from yesapp.apikeys import apikey_authenticate
from yesapp.models import ApiKey

HEADER = "X-API-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Reads the key from the `X-API-Key` header only: a key in a URL ends up in logs."""

    def authenticate(self, request):
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return None
        key = apikey_authenticate(raw_key.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is wrong or revoked.")
        return key, key

    def authenticate_header(self, request) -> str:
        return HEADER


class HasApiKey(permissions.BasePermission):
    message = f"An API key is required in the {HEADER} header."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class IsAdminKey(HasApiKey):
    message = "This needs an admin API key."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.auth.is_admin
