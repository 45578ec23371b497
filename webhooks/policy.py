"""What happens after an attempt: success, retry later, or give up. Pure, so it is tested alone.

The rule: a 2xx is success; 408 and 429 and every 5xx are transient; other 4xx and 3xx
(redirects are not followed) are permanent; network errors and timeouts are transient;
a target refused as private is permanent, because retrying a second later would not help.
"""

from dataclasses import dataclass

# The receiver asks us to come back later (Request Timeout, Too Many Requests).
RETRYABLE_4XX = frozenset({408, 429})


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt gave, whether or not a response came back."""

    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""
    response_excerpt: str = ""
    # Set when the failure cannot be fixed by trying again (e.g. a refused private address).
    permanent_error: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def is_retryable(result: AttemptResult) -> bool:
    if result.succeeded or result.permanent_error:
        return False
    if result.status_code is None:  # timeout, refused connection, reset, DNS failure
        return True
    return result.status_code >= 500 or result.status_code in RETRYABLE_4XX


def next_delay(*, attempts_made: int, delays: list[float]) -> float | None:
    """Seconds to wait before the next attempt of a schedule, or None when it is used up.

    `delays[i]` is the wait before attempt i+1: with `0,1,2` the first attempt goes at once,
    the second 1 s after the first failed, the third 2 s after the second failed.
    """
    if attempts_made < len(delays):
        return max(0.0, float(delays[attempts_made]))
    return None


def parse_delays(value: str | list | tuple) -> list[float]:
    """`"0,1,2"` (or a list) → `[0.0, 1.0, 2.0]`; at least one attempt, no negative waits."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    try:
        delays = [float(part) for part in parts if str(part).strip()]
    except ValueError:
        delays = []
    if not delays or any(delay < 0 for delay in delays):
        raise ValueError(f"WEBHOOK_RETRY_DELAYS must list one or more non-negative seconds, not {value!r}")
    return delays
