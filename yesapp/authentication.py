"""DRF authentication by the `X-API-Key` header, the permissions that use it, and the limits
on failed attempts: API keys per client address, staff passwords per address and user name."""

import ipaddress
import logging

import redis
from django.conf import settings
from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions

from yesapp.apikeys import apikey_authenticate
from yesapp.errors import ServiceUnavailable, TooManyRequests
from yesapp.models import ApiKey
from yesapp.outbound_address import embedded_ipv4
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

HEADER = "X-API-Key"
# Names people try when they put a key in the URL; refused with a hint instead of ignored.
_QUERY_NAMES = ("api_key", "apikey", "key", "x-api-key", "x_api_key", "token")
_FAILURES_KEY = "yesapp:authfail:{address}"
_PASSWORD_ADDRESS_KEY = "yesapp:pwfail:address:{address}"
_PASSWORD_USER_KEY = "yesapp:pwfail:user:{username}"


def client_address(request: HttpRequest) -> str:
    """The client's IP. Behind a reverse proxy, the last X-Forwarded-For hop (the one our
    proxy appended) when TRUST_X_FORWARDED_FOR is on; otherwise the socket's peer."""
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or "unknown"


def _client_block(address: str) -> str:
    """Failures count per client: an IPv4 address, or an IPv6 /64 (one host usually owns a
    whole /64 and could otherwise take a fresh address for every try)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        # An IPv4 client seen through NAT64 or a mapped address counts as that IPv4 address.
        carried = embedded_ipv4(ip)
        return str(carried) if carried else str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


def _failures_key(address: str) -> str:
    return _FAILURES_KEY.format(address=_client_block(address))


def auth_failures_retry_after(address: str) -> int | None:
    """Seconds until `address` may try another unknown key, or None when it is under the limit.

    Fails open: when Redis does not answer, nobody is blocked, so the API stays usable (keys
    are 256-bit random, so the limit only keeps guessers from loading the server).
    """
    key = _failures_key(address)
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
    except (redis.RedisError, OSError):
        return None
    if count is None or int(count) < settings.AUTH_FAILURE_LIMIT:
        return None
    return max(int(ttl), 1)


def record_auth_failure(address: str) -> None:
    """Counts one failed attempt in a fixed window of AUTH_FAILURE_WINDOW seconds."""
    key = _failures_key(address)
    try:
        pipe = get_redis().pipeline(transaction=True)
        pipe.set(key, 0, ex=settings.AUTH_FAILURE_WINDOW, nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
    except (redis.RedisError, OSError):
        return
    if count == settings.AUTH_FAILURE_LIMIT:
        logger.warning(
            "Too many failed API key attempts from %s; refusing it for up to %s s",
            address,
            settings.AUTH_FAILURE_WINDOW,
            extra={"client_address": address, "failures": count},
        )


def _password_keys(address: str, username: str) -> list[str]:
    return [
        _PASSWORD_ADDRESS_KEY.format(address=_client_block(address)),
        _PASSWORD_USER_KEY.format(username=(username or "").strip().casefold()[:150]),
    ]


def password_attempt_check(*, address: str, username: str) -> None:
    """Raises TooManyRequests when this address or this user name used up its failed password
    attempts (PASSWORD_FAILURE_LIMIT each per PASSWORD_FAILURE_WINDOW), and ServiceUnavailable
    while Redis does not answer: unlike 256-bit API keys, passwords can be guessed, so without
    the counter nobody may try one."""
    keys = _password_keys(address, username)
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    except (redis.RedisError, OSError) as exc:
        raise ServiceUnavailable(
            "Password sign-in is unavailable while Redis is down (it counts failed attempts); "
            "sign in with an API key, or retry when Redis is back."
        ) from exc
    waits = [
        max(int(ttl), 1)
        for count, ttl in zip(replies[::2], replies[1::2], strict=True)
        if count is not None and int(count) >= settings.PASSWORD_FAILURE_LIMIT
    ]
    if waits:
        wait = max(waits)
        raise TooManyRequests(
            f"Too many failed sign-in attempts from your address or for this user; wait {wait} s and retry.",
            retry_after=wait,
        )


def record_password_failure(*, address: str, username: str) -> None:
    """Counts one wrong password against the address and against the user name."""
    try:
        pipe = get_redis().pipeline(transaction=True)
        for key in _password_keys(address, username):
            pipe.set(key, 0, ex=settings.PASSWORD_FAILURE_WINDOW, nx=True)
            pipe.incr(key)
        pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("Could not count a failed password sign-in from %s: Redis is down", address)
        return
    logger.info(
        "Failed password sign-in for %r from %s", username, address, extra={"client_address": address}
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Reads the key from the `X-API-Key` header only: a key in a URL ends up in logs."""

    def authenticate(self, request):
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            if any(name in request.query_params for name in _QUERY_NAMES):
                raise exceptions.AuthenticationFailed(
                    f"API keys are accepted only in the {HEADER} header, never in the URL."
                )
            return None
        return self.authenticate_raw_key(request, raw_key)

    def authenticate_raw_key(self, request, raw_key: str):
        """Checks a key however it was carried (a facade may read it from another header),
        with the same limit on failed attempts."""
        key = apikey_authenticate(raw_key.strip())
        if key is None:
            # Only failures are limited: a valid key works even from an address that guessed.
            address = client_address(request)
            retry_after = auth_failures_retry_after(address)
            if retry_after is not None:
                raise exceptions.Throttled(
                    wait=retry_after,
                    detail="Too many failed API key attempts from your address; wait and retry.",
                )
            record_auth_failure(address)
            logger.info("Rejected API key from %s", address, extra={"client_address": address})
            raise exceptions.AuthenticationFailed("The API key is wrong or revoked.")
        return key, key

    def authenticate_header(self, request) -> str:
        return HEADER


class HasApiKey(permissions.BasePermission):
    message = f"An API key is required in the {HEADER} header."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class IsAdminKey(HasApiKey):
    """Admin keys only (key management, anything not tied to one session)."""

    message = "This needs an admin API key; this key is limited to some sessions."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.auth.is_admin
