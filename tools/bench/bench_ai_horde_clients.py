"""Benchmarks of the AI Horde simple clients. Prints figures; asserts nothing.

- requests sent per completed image job, against an in-process scripted horde (``httpx.MockTransport``) whose
  jobs take a set time and report an honest ``wait_time``, on a fake clock; compared with the old SDK's real
  policy (horde-sdk 0.33.3: ``check`` at once and every 4 s, ``status`` once when done: 5/8/18/48 requests for
  5/20/60/180 s jobs);
- client-side CPU per image job (submit, polls, one status, two 1 KiB downloads), the fake server's own CPU
  subtracted;
- wall time of 50 concurrent image jobs against a local horde with instant workers: by default a local horde
  (``horde_local``, tools/local-horde) started in this process with four scripted workers; or a running one
  with ``--local-horde-url http://127.0.0.1:7001/api``.

Usage: ``hatch run python tools/bench/bench_ai_horde_clients.py [--jobs N] [--local-horde-url URL]``
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import time
from typing import Any

import anyio
import httpx

from horde_sdk.ai_horde_api import AIHordeAPIAsyncSimpleClient, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

R2 = "r2.bench.invalid"


class ScriptedHorde:
    """Image jobs that take ``duration`` seconds of the given clock, with an honest ``wait_time``."""

    def __init__(self, clock: Any, duration: float, n: int = 1) -> None:  # noqa: ANN401 - a clock callable
        self.clock = clock
        self.duration = duration
        self.n = n
        self.created: dict[str, float] = {}
        self.api_requests = 0
        self.cpu = 0.0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Serve one request, counting the CPU it takes."""
        started = time.process_time()
        try:
            return self._serve(request)
        finally:
            self.cpu += time.process_time() - started

    def _serve(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == R2:
            return httpx.Response(200, content=b"w" * 1024)
        self.api_requests += 1
        path = request.url.path
        if path.endswith("/generate/async"):
            job_id = f"00000000-0000-4000-8000-{len(self.created):012d}"
            self.created[job_id] = self.clock()
            return httpx.Response(202, json={"id": job_id, "kudos": 10.0})
        job_id = path.rsplit("/", 1)[-1]
        remaining = self.created[job_id] + self.duration - self.clock()
        done = remaining <= 0
        body: dict[str, Any] = {
            "finished": self.n if done else 0,
            "processing": 0 if done else 1,
            "restarted": 0,
            "waiting": 0,
            "done": done,
            "faulted": False,
            "wait_time": 0 if done else math.ceil(remaining),
            "queue_position": 0,
            "kudos": 10.0,
            "is_possible": True,
        }
        if "/generate/status/" in path:
            body["generations"] = [
                {
                    "img": f"https://{R2}/{job_id}/{i}.webp?sig=x",
                    "seed": "1",
                    "id": f"00000000-0000-4000-9000-{i:012d}",
                    "worker_id": "00000000-0000-4000-8000-00000000beef",
                    "worker_name": "bench",
                    "model": "m",
                    "state": "ok",
                    "censored": False,
                }
                for i in range(self.n)
            ]
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


class FakeClock:
    """Moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Move the fake time on."""
        self.now += seconds


def _request(n: int = 1) -> ImageGenerateAsyncRequest:
    return ImageGenerateAsyncRequest.model_validate({"prompt": "a lighthouse at dusk", "params": {"n": n}})


def old_sdk_requests(duration: float, interval: float = 4.0) -> int:
    """Requests the old SDK (horde-sdk 0.33.3) sends for a job of ``duration`` seconds.

    Its simple client submits, then calls ``check`` at once and every ``interval`` seconds until the job is
    done, then ``status`` once: 5, 8, 18 and 48 requests for jobs of 5, 20, 60 and 180 s.
    """
    checks = 0
    now = 0.0
    while True:
        checks += 1
        if now >= duration:
            break
        now += interval
    return 1 + checks + 1


def requests_per_job() -> None:
    """Print requests per completed image job for several job durations, next to the old SDK's policy."""
    print("requests per completed image job (submit + checks + status; downloads not counted):")
    for duration in (5.0, 20.0, 60.0, 180.0):
        clock = FakeClock()
        horde = ScriptedHorde(clock, duration)
        with AIHordeAPISimpleClient(
            http_client=httpx.Client(transport=httpx.MockTransport(horde)),
            clock=clock,
            sleep=clock.sleep,
            enforce_rate_limits=False,
        ) as client:
            client.image_generate_request(_request())
        old = old_sdk_requests(duration)
        print(
            f"  job of {duration:>5.0f} s: {horde.api_requests:>3} requests; the old SDK (check every 4 s, "
            f"status once): {old:>3}; ratio {horde.api_requests / old:.2f}"
        )


def cpu_per_job(jobs: int) -> None:
    """Print client-side CPU per image job (sync batch on a fake clock; server CPU subtracted)."""
    clock = FakeClock()
    horde = ScriptedHorde(clock, duration=20.0, n=2)
    with AIHordeAPISimpleClient(
        http_client=httpx.Client(transport=httpx.MockTransport(horde)),
        clock=clock,
        sleep=clock.sleep,
        enforce_rate_limits=False,
    ) as client:
        client.image_generate_request(_request(2))  # warm-up: validators, connection pool
        horde.cpu = 0.0
        started = time.process_time()
        client.image_generate_requests([_request(2) for _ in range(jobs)])
        total = time.process_time() - started
    per_job = (total - horde.cpu) / jobs * 1000
    print(f"client CPU per image job (2 images, 20 s job, {jobs} jobs in one batch): {per_job:.2f} ms")


async def _jobs_against(url: str, api_key: str, jobs: int, *, enforce_rate_limits: bool) -> float:
    async with AIHordeAPIAsyncSimpleClient(
        base_url=url, api_key=api_key, enforce_rate_limits=enforce_rate_limits
    ) as client:
        started = time.perf_counter()
        await client.image_generate_requests([_request() for _ in range(jobs)], timeout=600, on_impossible="wait")
        return time.perf_counter() - started


async def _with_instant_workers(url: str, worker_key: str, user_key: str, jobs: int, *, limits: bool) -> float:
    """Run ``jobs`` concurrent image jobs while four scripted workers pop and deliver as fast as they can."""
    from horde_local import AsyncScriptedWorker

    from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient

    elapsed = 0.0
    async with anyio.create_task_group() as group:

        async def work(index: int) -> None:
            async with AIHordeAPIAsyncManualClient(
                base_url=url, api_key=worker_key, enforce_rate_limits=False
            ) as worker_client:
                worker = AsyncScriptedWorker(worker_client, name=f"bench-worker-{index}")
                while True:
                    if await worker.work_image() == 0:
                        await anyio.sleep(0.05)

        for index in range(4):
            group.start_soon(work, index)
        elapsed = await _jobs_against(url, user_key, jobs, enforce_rate_limits=limits)
        group.cancel_scope.cancel()
    return elapsed


def local_horde_wall_time(url: str | None, jobs: int = 50) -> None:
    """Print the wall time of ``jobs`` concurrent image jobs against a local horde with instant workers.

    With ``url`` the jobs go to that running horde (which must have workers). Without it, when the
    ``horde_local`` test tool is installed (the repository's hatch environment), a local horde is started in
    this process with four scripted workers, once with the real server's rate limits (the client keeps to
    them: async submissions are limited to 2/s per key, which dominates) and once without.
    """
    if url is not None:
        try:
            seconds = anyio.run(functools.partial(_jobs_against, url, "0000000000", jobs, enforce_rate_limits=True))
        except Exception as error:
            print(f"wall time of {jobs} concurrent image jobs against {url}: failed ({type(error).__name__}: {error})")
            return
        print(f"wall time of {jobs} concurrent image jobs against {url}: {seconds:.2f} s")
        return
    try:
        from horde_local import ApiKey, HordeConfig, LocalHorde, LocalHordeServer, Role
    except ImportError:
        print(
            f"wall time of {jobs} concurrent image jobs: needs the local horde (tools/local-horde, package "
            "horde_local) or --local-horde-url"
        )
        return
    keys = (
        ApiKey("bench-worker", "bench-worker-key", Role.trusted),
        ApiKey("bench-user", "bench-user-key", kudos=1e7),
    )
    for limits in (True, False):
        horde = LocalHorde(HordeConfig(api_keys=keys, rate_limits=limits))
        with LocalHordeServer(horde) as server:
            seconds = anyio.run(
                functools.partial(
                    _with_instant_workers, server.base_url, "bench-worker-key", "bench-user-key", jobs, limits=limits
                )
            )
        label = "server rate limits on" if limits else "server rate limits off"
        print(f"wall time of {jobs} concurrent image jobs, local horde, 4 instant workers, {label}: {seconds:.2f} s")


def main() -> None:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=200, help="jobs for the CPU figure")
    parser.add_argument("--local-horde-url", default=None, help="API root of a running local horde")
    args = parser.parse_args()
    requests_per_job()
    cpu_per_job(args.jobs)
    local_horde_wall_time(args.local_horde_url)


if __name__ == "__main__":
    main()
