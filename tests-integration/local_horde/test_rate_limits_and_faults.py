"""Rate limits as the real server has them (and switchable off), and deterministic fault injection."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from horde_local import FaultConfig, LocalHorde, ManualClock, create_app
from horde_local.faults import FaultInjector
from horde_local.testing import KEYS, HordeEnv, test_config

from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, ImageGenerateAsyncResponse
from horde_sdk.ai_horde_api.exceptions import HordeConnectionError, HordeServerError
from horde_sdk.generic_api.settings import RetryPolicy

ALICE = {"apikey": KEYS["alice"].key}


# -------------------------------------------------------------------------------------------- rate limits
def test_async_submit_is_limited_to_two_a_second_with_headers(horde: HordeEnv) -> None:
    clock = ManualClock(1_700_000_000.25)
    horde.reset(test_config(rate_limits=True), clock)
    url = f"{horde.base_url}/v2/generate/async"
    answers = [httpx.post(url, json={"prompt": f"p{i}"}, headers=ALICE) for i in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    first, _, limited = answers
    assert first.headers["X-Ratelimit-Limit"] == "2"
    assert first.headers["X-Ratelimit-Remaining"] == "1"
    assert int(first.headers["X-Ratelimit-Reset"]) == 1_700_000_001
    # In the window's last second the server says Retry-After: 0 while X-Ratelimit-Reset is still ahead.
    assert limited.headers["Retry-After"] == "0"
    assert int(limited.headers["X-Ratelimit-Reset"]) == 1_700_000_001 > clock.now()
    assert limited.headers["X-Ratelimit-Remaining"] == "0"
    body = limited.json()
    assert body["message"]
    assert "rc" not in body
    clock.advance(1)
    assert httpx.post(url, json={"prompt": "later"}, headers=ALICE).status_code == 202


def test_retry_after_counts_the_whole_seconds_left_in_the_window(horde: HordeEnv) -> None:
    clock = ManualClock(1_700_000_080.5)  # 19.5 s before the end of a one-minute window
    horde.reset(test_config(rate_limits=True), clock)
    with httpx.Client(base_url=horde.base_url) as http:
        answers = [http.get("/v2/status/news") for _ in range(91)]
        assert answers[-1].status_code == 429
        assert answers[-1].headers["Retry-After"] == "19"
        clock.advance(19)
        late = http.get("/v2/status/news")
    assert late.status_code == 429
    assert late.headers["Retry-After"] == "0"
    assert int(late.headers["X-Ratelimit-Reset"]) == 1_700_000_100


def test_status_is_limited_per_id_and_get_and_delete_count_apart(horde: HordeEnv) -> None:
    horde.reset(test_config(rate_limits=True), ManualClock())
    request_id = httpx.post(f"{horde.base_url}/v2/generate/async", json={"prompt": "x"}, headers=ALICE).json()["id"]
    status_url = f"{horde.base_url}/v2/generate/status/{request_id}"
    with httpx.Client() as http:
        codes = [http.get(status_url).status_code for _ in range(11)]
        assert codes == [200] * 10 + [429]
        assert http.delete(status_url).status_code == 200  # DELETE has its own window
        check_url = f"{horde.base_url}/v2/generate/check/{request_id}"
        assert [http.get(check_url).status_code for _ in range(11)][-2:] == [200, 429]


def test_heartbeat_is_exempt_and_limits_switch_off(horde: HordeEnv) -> None:
    horde.reset(test_config(rate_limits=True), ManualClock())
    with httpx.Client(base_url=horde.base_url) as http:
        beats = [http.get("/v2/status/heartbeat") for _ in range(100)]
        assert all(b.status_code == 200 and "X-Ratelimit-Limit" not in b.headers for b in beats)
        news = [http.get("/v2/status/news").status_code for _ in range(91)]
        assert news[-1] == 429
        assert news[-2] == 200
        horde.horde.configure(rate_limits=False)
        assert http.get("/v2/status/news").status_code == 200


# ------------------------------------------------------------------------------------------------- faults
async def _fault_sequence(seed: int) -> list[tuple[int, str]]:
    """Send the same 60 requests in process to a fresh horde; return (status, fault) per request."""
    faults = FaultConfig(seed=seed, error_5xx=0.2, burst_429=0.05, latency_jitter=0.001)
    horde = LocalHorde(test_config(faults=faults))
    transport = httpx.ASGITransport(app=create_app(horde))
    seen = []
    async with httpx.AsyncClient(transport=transport, base_url="http://local-horde") as client:
        for index in range(60):
            answer = await client.post("/api/v2/generate/async", json={"prompt": f"p{index}"}, headers=ALICE)
            seen.append(answer.status_code)
    return [(status, repr(decision)) for status, (_, _, decision) in zip(seen, horde.faults.log, strict=True)]


def test_faults_are_deterministic_under_a_seed() -> None:
    first = asyncio.run(_fault_sequence(7))
    assert first == asyncio.run(_fault_sequence(7))
    assert first != asyncio.run(_fault_sequence(8))
    statuses = {status for status, _ in first}
    assert 429 in statuses
    assert statuses & {500, 502, 503, 504}
    assert 202 in statuses


def test_injected_5xx_acts_not_and_is_typed(horde: HordeEnv) -> None:
    horde.reset(test_config(faults=FaultConfig(error_5xx=1.0, error_statuses=(500,))))
    with pytest.raises(HordeServerError):
        horde.client().submit_request(ImageGenerateAsyncRequest(prompt="refused"))
    assert not horde.horde.state.requests


def test_dropped_connection_before_and_after_acting(horde: HordeEnv) -> None:
    client = horde.client(retry=RetryPolicy.disabled())
    horde.reset(test_config(faults=FaultConfig(drop_before=1.0)))
    with pytest.raises(HordeConnectionError) as before:
        client.submit_request(ImageGenerateAsyncRequest(prompt="dropped before"))
    assert before.value.may_have_reached_server
    assert not horde.horde.state.requests
    horde.reset(test_config(faults=FaultConfig(drop_after=1.0)))
    with pytest.raises(HordeConnectionError):
        client.submit_request(ImageGenerateAsyncRequest(prompt="dropped after"))
    assert [r.marker for r in horde.horde.state.requests.values()] == ["dropped after"]


def _burst_then_calm(seed: int) -> FaultConfig | None:
    config = FaultConfig(seed=seed, burst_429=0.3, burst_length=2, burst_retry_after=0)
    injector = FaultInjector(config)
    first, second, third = (injector.decide("POST", "/api/v2/generate/async") for _ in range(3))
    return config if first.status_429 and second.status_429 and not third.any else None


def test_429_bursts_are_retried_by_the_sdk(horde: HordeEnv) -> None:
    config = next(c for c in map(_burst_then_calm, range(200)) if c is not None)
    horde.reset(test_config(faults=config))
    client = horde.client(retry=RetryPolicy(max_attempts=3, backoff_base=0.01))
    accepted = client.submit_request(ImageGenerateAsyncRequest(prompt="patient"), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    assert accepted.id_
    assert [d.status_429 for _, _, d in horde.horde.faults.log] == [True, True, False]
    assert len(horde.horde.state.requests) == 1


def test_added_latency(horde: HordeEnv) -> None:
    horde.reset(test_config(faults=FaultConfig(latency=0.3)))
    answer = httpx.get(f"{horde.base_url}/v2/status/heartbeat")
    assert answer.status_code == 200
    assert answer.elapsed.total_seconds() >= 0.3
