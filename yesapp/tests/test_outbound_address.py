"""The outbound address rule and the URL check run when a webhook or media URL is saved."""

import threading

import pytest

from yesapp.errors import InvalidInput
from yesapp.outbound_address import is_public_address, validate_public_url


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fec0::1",  # site-local (deprecated), still private
        "feff:ffff::1",  # the end of fec0::/10
        "::ffff:127.0.0.1",
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:0:127.0.0.1",  # SIIT
        "64:ff9b::7f00:1",  # NAT64 to 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64 to 10.0.0.1
        "64:ff9b:1:7f00:0:100:808:808",  # local-use NAT64 (/48): cannot be judged
        "2002:7f00:1::1",  # 6to4 from 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.0.1",
        "nonsense",
    ],
)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_global_addresses_are_public(address):
    assert is_public_address(address)


def test_public_url_accepts_a_public_ip():
    assert validate_public_url("https://93.184.216.34/hooks/wa?x=1", allow_private=False) == (
        "https://93.184.216.34/hooks/wa?x=1"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/hook",  # a hostname that resolves to 127.0.0.1
        "http://127.0.0.1/hook",
        "http://127.1/hook",
        "http://2130706433/hook",  # 127.0.0.1 as a decimal number
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/hook",
    ],
)
def test_public_url_refuses_hosts_that_resolve_to_private_addresses(url):
    with pytest.raises(InvalidInput) as error:
        validate_public_url(url, allow_private=False)
    assert "private" in error.value.message
    assert "WEBHOOK_ALLOW_PRIVATE" in error.value.details["hint"]


def test_private_hosts_are_allowed_when_the_setting_says_so():
    assert (
        validate_public_url("http://localhost:8000/hook", allow_private=True) == "http://localhost:8000/hook"
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://93.184.216.34/x", "http"),
        ("javascript:alert(1)", "http"),
        ("https:///path", "no host"),
        ("https://user:pw@93.184.216.34/x", "Credentials"),
        ("https://93.184.216.34:99999/x", "not a valid URL"),
        ("https://no-such-host.invalid/x", "does not resolve"),
        ("https://93.184.216.34/" + "a" * 3000, "at most"),
        ("", "http"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url, words):
    with pytest.raises(InvalidInput, match=words):
        validate_public_url(url, allow_private="invalid" not in url)


def test_a_slow_dns_server_cannot_hold_a_webhook_save(monkeypatch, settings):
    """getaddrinfo has no timeout of its own: the check stops waiting at URL_DNS_TIMEOUT and
    refuses the URL, instead of holding the request for the resolver's own timeouts."""
    import socket
    import time

    real_getaddrinfo = socket.getaddrinfo
    release = threading.Event()

    def hanging_dns(host, port, *args, **kwargs):
        if host == "hooks.slow-dns.test":
            release.wait(30)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging_dns)
    settings.URL_DNS_TIMEOUT = 0.5
    started = time.monotonic()
    try:
        with pytest.raises(InvalidInput, match="within 0.5 s"):
            validate_public_url("https://hooks.slow-dns.test/hook", allow_private=False)
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert elapsed < 5  # generous; the lookup itself would have waited 30 s
