"""100 concurrent generations under injected faults: each completes or fails with a typed error, and the
local horde is left with no orphan request and no request created twice.

Faults (seeded): 10% 5xx answers, 5% dropped connections (half before, half after the server acted), 429
bursts. Every generation runs in its own async client session; four scripted workers serve them over the
same faulty server. A job whose pop answer was lost comes back after its (short) ttl.
"""

from __future__ import annotations

from collections import Counter

import anyio
import pytest
from horde_local import FaultConfig
from horde_local.testing import KEYS, HordeEnv, test_config

from horde_sdk.ai_horde_api.apimodels import (
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateStatusRequest,
    ImageGenerateStatusResponse,
)
from horde_sdk.generic_api.core import RawResponse
from horde_sdk.generic_api.exceptions import HordeError
from horde_sdk.generic_api.settings import RetryPolicy

GENERATIONS = 100
FAULTS = FaultConfig(
    seed=20240501,
    error_5xx=0.10,
    drop_before=0.025,
    drop_after=0.025,
    burst_429=0.01,
    burst_length=4,
    burst_retry_after=0,
)
RETRY = RetryPolicy(max_attempts=5, backoff_base=0.05, backoff_max=0.4, max_retry_after=5.0)


class Run:
    """What the generations and workers of one run saw."""

    def __init__(self, horde: HordeEnv) -> None:
        self.horde = horde
        self.outcomes: dict[str, object] = {}
        self.known_ids: dict[str, str] = {}
        self.stop_workers = anyio.Event()

    async def generate(self, index: int) -> None:
        """One generation in its own session: submit, poll ``check``, fetch the status once, download."""
        prompt = f"concurrent generation {index}"
        try:
            async with self.horde.async_session(retry=RETRY) as session:
                accepted = await session.submit_request(
                    ImageGenerateAsyncRequest(prompt=prompt), ImageGenerateAsyncResponse
                )
                assert accepted.id_ is not None
                self.known_ids[prompt] = accepted.id_
                with anyio.fail_after(45):
                    while True:
                        check = await session.submit_request(
                            ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse
                        )
                        if check.done or check.faulted:
                            break
                        # Each poll may draw an injected 500, which a GET does not retry: poll at a fixed pace
                        # (the server caches check for 1 s anyway) so a slow machine does not draw more faults.
                        await anyio.sleep(0.25)
                status = await session.submit_request(
                    ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse
                )
                assert status.generations
                assert status.generations[0].img
                image = await session.transport.send_raw("GET", status.generations[0].img)
                assert isinstance(image, RawResponse)
                assert image.content.startswith(b"RIFF")
            self.outcomes[prompt] = "ok"
        except HordeError as error:
            self.outcomes[prompt] = error

    async def work(self, name: str) -> None:
        """A scripted worker popping (two at a time) and submitting until told to stop."""
        async with self.horde.async_client("worker", retry=RETRY) as client:
            worker = self.horde.async_worker(client, name, amount=2)
            while not self.stop_workers.is_set():
                try:
                    handled = await worker.work_image()
                except HordeError:
                    handled = 0
                if not handled:
                    await anyio.sleep(0.02)


@pytest.mark.anyio
async def test_hundred_concurrent_generations_under_faults(horde: HordeEnv) -> None:
    horde.reset(test_config(faults=FAULTS, job_ttl=2, abort_grace=0.0))
    run = Run(horde)
    async with anyio.create_task_group() as workers:
        for number in range(4):
            workers.start_soon(run.work, f"faulty-worker-{number}")
        async with anyio.create_task_group() as clients:
            for index in range(GENERATIONS):
                clients.start_soon(run.generate, index)
        injected = list(horde.horde.faults.log)
        # Let the workers drain what clients left behind (e.g. jobs created by a request whose answer was lost).
        horde.horde.configure(faults=FaultConfig())
        with anyio.move_on_after(30):
            while horde.horde.open_requests():  # noqa: ASYNC110 - polls the horde's state, no event to wait for
                await anyio.sleep(0.05)
        run.stop_workers.set()
        left = [
            (r.id[:8], r.waiting, r.restarted, r.cancelled, [g.state for g in r.generations])
            for r in horde.horde.open_requests()
        ]
        assert not left, f"requests still open 30 s after the faults stopped: {left}"

    # Every generation ended: a result or a typed error, nothing else (no timeout, no bare exception).
    outcomes = run.outcomes
    assert len(outcomes) == GENERATIONS
    assert all(outcome == "ok" or isinstance(outcome, HordeError) for outcome in outcomes.values())
    succeeded = sum(1 for outcome in outcomes.values() if outcome == "ok")
    assert succeeded >= GENERATIONS // 2, Counter(type(o).__name__ for o in outcomes.values())

    # Faults were really injected.
    kinds = Counter(
        "5xx" if d.status_5xx else "429" if d.status_429 else "drop" if d.drop_before or d.drop_after else "none"
        for _, _, d in injected
    )
    assert kinds["5xx"]
    assert kinds["429"]
    assert kinds["drop"]

    state = horde.horde.state
    # No request was created twice: the SDK never re-sends a POST that may have reached the server.
    assert state.duplicate_creations() == {}
    # No orphan: nothing is left waiting, and every request no client heard of is explained by an
    # answer to POST /v2/generate/async that the fault injection dropped after the server acted.
    assert horde.horde.open_requests() == []
    alice = KEYS["alice"].key
    created = {marker for (key, kind, marker) in state.creations if key == alice and kind == "image"}
    unknown_to_clients = created - set(run.known_ids)
    lost_answers = sum(1 for _, path, d in injected if d.drop_after and path.endswith("/v2/generate/async"))
    assert len(unknown_to_clients) <= lost_answers
