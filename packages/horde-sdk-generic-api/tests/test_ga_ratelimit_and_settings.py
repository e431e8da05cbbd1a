"""Client-side rate limiting, timeouts and Retry-After parsing."""

from __future__ import annotations

import email.utils
import threading

import httpx
import pytest

from horde_sdk.generic_api.generic_clients import GenericHordeAPIManualClient
from horde_sdk.generic_api.ratelimit import ClientRateLimiter, RateLimitRule
from horde_sdk.generic_api.settings import HordeClientSettings, HordeTimeouts, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_spaces_requests_to_stay_under_the_limit():
    clock = FakeClock()
    limiter = ClientRateLimiter([RateLimitRule("/v2/x", limit=2, period=1.0)], clock=clock)
    waits = [limiter.reserve("GET", "/v2/x", "/v2/x") for _ in range(5)]
    assert waits == [0.0, 0.0, 1.0, 1.0, 2.0]
    clock.now += 10
    assert limiter.reserve("GET", "/v2/x", "/v2/x") == 0.0


def test_per_concrete_path_rules_count_each_path_apart():
    clock = FakeClock()
    rule = RateLimitRule("/v2/status/{id}", limit=1, period=6.0, method="GET", per_concrete_path=True)
    limiter = ClientRateLimiter([rule], clock=clock)
    assert limiter.reserve("GET", "/v2/status/{id}", "/v2/status/a") == 0.0
    assert limiter.reserve("GET", "/v2/status/{id}", "/v2/status/b") == 0.0
    assert limiter.reserve("GET", "/v2/status/{id}", "/v2/status/a") == 6.0
    assert limiter.reserve("DELETE", "/v2/status/{id}", "/v2/status/a") == 0.0  # other method, no rule


def test_the_strictest_of_several_rules_wins():
    clock = FakeClock()
    limiter = ClientRateLimiter(
        [RateLimitRule("/p", limit=2, period=1.0), RateLimitRule("/p", limit=3, period=60.0)], clock=clock
    )
    waits = [limiter.reserve("POST", "/p", "/p") for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 1.0]
    assert waits[3] == 60.0


def test_idle_counters_are_pruned():
    clock = FakeClock()
    limiter = ClientRateLimiter([RateLimitRule("/s/{id}", limit=1, period=1.0, per_concrete_path=True)], clock=clock)
    for index in range(600):
        clock.now += 0.01
        limiter.reserve("GET", "/s/{id}", f"/s/{index}")
    assert limiter.tracked_keys() < 300


def test_limiter_is_thread_safe():
    limiter = ClientRateLimiter([RateLimitRule("/p", limit=5, period=100.0)], clock=FakeClock())
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(20):
            wait = limiter.reserve("GET", "/p", "/p")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits).count(0.0) == 5
    assert max(waits) == 1900.0  # 100 requests, 5 per 100 s


def test_client_uses_the_limiter(api, client_kwargs):
    calls: list[float] = []
    import time

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        return httpx.Response(200, json={"message": "ok"})

    limiter = ClientRateLimiter([RateLimitRule("/v2/status/heartbeat", limit=1, period=0.15)])
    with GenericHordeAPIManualClient(
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), rate_limiter=limiter, **client_kwargs
    ) as client:
        for _ in range(3):
            client.submit_request(api.HeartbeatRequest())
    assert calls[2] - calls[0] >= 0.29


@pytest.mark.parametrize("bad", [0, -1, float("inf"), None, True])
def test_timeouts_must_be_positive_finite_numbers(bad):
    with pytest.raises(ValueError, match="positive finite"):
        HordeTimeouts(read=bad)


def test_default_timeouts_exist():
    timeouts = HordeClientSettings().timeouts
    assert all(value > 0 for value in (timeouts.connect, timeouts.read, timeouts.write, timeouts.pool))
    assert HordeTimeouts.uniform(3).pool == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"api_key": "abc\r\nX: 1"}, "api_key"),
        ({"api_key": "  "}, "api_key"),
        ({"client_agent": ""}, "client_agent"),
    ],
)
def test_bad_settings_fail_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HordeClientSettings(**kwargs)


def test_retry_after_parsing():
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": "12"}, now=now) == 12
    assert parse_retry_after({"retry-after": email.utils.formatdate(now + 30, usegmt=True)}, now=now) == pytest.approx(
        30
    )
    assert parse_retry_after({"X-Ratelimit-Reset": str(now + 5)}, now=now) == pytest.approx(5)
    assert parse_retry_after({"X-Ratelimit-Reset": "2"}, now=now) == 2
    assert parse_retry_after({"X-Ratelimit-Reset": "soon"}, now=now) is None
    assert parse_retry_after({}, now=now) is None


def test_a_429_waits_the_later_of_retry_after_and_the_reset():
    # BEHAVIOUR.md "Rate limits": near the end of a fixed window, Retry-After: 0 while the reset is ahead.
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": "0", "X-Ratelimit-Reset": str(now + 4)}, now=now) == pytest.approx(4)
    assert parse_retry_after({"Retry-After": "9", "X-Ratelimit-Reset": str(now + 4)}, now=now) == 9
    assert parse_retry_after({"Retry-After": "0", "X-Ratelimit-Reset": str(now - 4)}, now=now) == 0
    assert parse_retry_after({"Retry-After": "nan", "X-Ratelimit-Reset": "inf"}, now=now) is None


def test_the_total_deadline_has_a_default_and_is_validated():
    assert HordeTimeouts().total == 120.0
    assert HordeTimeouts.uniform(3, total=9).total == 9
    with pytest.raises(ValueError, match="total"):
        HordeTimeouts(total=0)
    with pytest.raises(ValueError, match="max_response_bytes"):
        HordeClientSettings(max_response_bytes=0)


def test_injected_http_client_is_not_closed_but_owned_one_is(api, client_kwargs):
    injected = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"message": "x"})))
    with GenericHordeAPIManualClient(http_client=injected, **client_kwargs) as client:
        client.submit_request(api.HeartbeatRequest())
    assert not injected.is_closed
    injected.close()
    owned = GenericHordeAPIManualClient(**client_kwargs)
    owned.close()
    assert owned.transport._client.is_closed
