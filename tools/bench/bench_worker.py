"""Benchmarks of the worker runtime against a local horde. Prints figures; asserts nothing.

The worker uses INSTANT backends (defined here: a fixed 64x64 WebP, a fixed text), so the figures measure the
runtime (pop, build the job, call the backend, upload, submit, bookkeeping), not a model:

- image jobs per second and pop-to-submit time (mean, p50, p95, max) with ``max_threads`` 1 and 4;
- text jobs per second and pop-to-submit time;
- the worker's CPU per job.

How: a local horde (``horde_local``, tools/local-horde) is served by uvicorn from a thread of this process; all
N requests are created at once on the horde side (in-process, under its lock, no HTTP) before the worker starts.
The worker runs in its own process (this script with ``--child``), built by ``WorkerRuntime.from_config`` from a
deploy configuration naming the instant backends by factory path (``bench_worker:instant_image``), so it shares
neither the GIL nor the CPU figures with the horde. The child times the run from the worker being registered
(``wait_ready``) until its N-th accepted submit: wall time, and its own process CPU (``time.process_time``) over
that span (pops, pipeline, HTTP client, logging off). Pop-to-submit times are the runtime's own (the clock read
at the pop to the accepted submit, queue wait included). The parent also reports the child's whole-process CPU
(``RUSAGE_CHILDREN``: interpreter start, imports and registration included) and checks the horde's own count.

Usage: ``hatch run python tools/bench/bench_worker.py [--jobs N] [--text-jobs N]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from horde_sdk.worker.backends.demo import DemoImageBackend, DemoTextBackend

HERE = Path(__file__).resolve().parent

IMAGE_MODEL = "Deliberate"
TEXT_MODEL = "bench/instant-text"
USER_KEY = "bench-user-key-1"
WORKER_KEY = "bench-worker-key"


# ------------------------------------------------------------------------------------------------------
# Instant backends (imported by the child through their factory paths)
# ------------------------------------------------------------------------------------------------------


def _tiny_webp() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 80, 120)).save(buffer, format="WEBP", quality=50)
    return buffer.getvalue()


class InstantImageBackend(DemoImageBackend):
    """Returns the same tiny WebP for every seed at once; runs no safety check (the demo backend's no-op context)."""

    name = "instant"
    runs_safety_check = False

    def __init__(self) -> None:
        super().__init__()
        self._image = _tiny_webp()

    async def generate_images(self, job: Any) -> Any:  # noqa: ANN401 - ImageJobInput -> ImageBackendResult
        """Return one fixed image per seed."""
        from horde_sdk.worker.backends.base import ImageBackendResult

        return ImageBackendResult(images=tuple(self._image for _ in job.seeds))


class InstantTextBackend(DemoTextBackend):
    """Returns a fixed text per batch entry at once (the demo backend's no-op context)."""

    name = "instant"

    async def generate_texts(self, job: Any) -> tuple[str, ...]:  # noqa: ANN401 - TextJobInput
        """Return one fixed text per batch entry."""
        return tuple("an instant continuation" for _ in range(job.parameters.batch_size or 1))


def instant_image(_config: object) -> InstantImageBackend:
    """Factory of the instant image backend (``image_backend: bench_worker:instant_image``)."""
    return InstantImageBackend()


def instant_text(_config: object) -> InstantTextBackend:
    """Factory of the instant text backend (``text_backend: bench_worker:instant_text``)."""
    return InstantTextBackend()


# ------------------------------------------------------------------------------------------------------
# Child: one worker, timed from registration to the N-th accepted submit
# ------------------------------------------------------------------------------------------------------


def _child(kind: str, url: str, jobs: int, threads: int, limits: bool) -> None:
    import anyio

    from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient
    from horde_sdk.deploy_config import ImageWorkerDeployConfig, TextWorkerDeployConfig
    from horde_sdk.worker.dispatch.ai_horde import get_bridge_agent
    from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime, WorkerStats

    latencies: list[float] = []

    class RecordingStats(WorkerStats):
        """Keeps every pop-to-submit time and sets `done` at the last job (no polling in the timed span)."""

        def __init__(self) -> None:
            super().__init__()
            self.done = anyio.Event()

        def record_submitted(self, popped_at: float, kudos: float) -> None:
            super().record_submitted(popped_at, kudos)
            latencies.append(time.monotonic() - popped_at)
            self._check()

        def record_faulted(self, reason: str) -> None:
            super().record_faulted(reason)
            self._check()

        def _check(self) -> None:
            if self.submitted + self.faulted >= jobs:
                self.done.set()

    common: dict[str, Any] = {"api_key": WORKER_KEY, "horde_url": url, "max_threads": threads, "queue_size": 1}
    config: ImageWorkerDeployConfig | TextWorkerDeployConfig
    if kind == "image":
        config = ImageWorkerDeployConfig.model_validate(
            {
                **common,
                "dreamer_name": f"bench-image-{threads}",
                "models_to_load": [IMAGE_MODEL],
                "image_backend": "bench_worker:instant_image",
            }
        )
    else:
        config = TextWorkerDeployConfig(
            **common,
            scribe_name=f"bench-text-{threads}",
            model_name=TEXT_MODEL,
            text_backend="bench_worker:instant_text",
            max_length=512,
            max_context_length=4096,
        )
    figures: dict[str, Any] = {}

    async def main() -> None:
        # The runtime's own client keeps to the AI Horde's client-side limits (pops and submits 60/s each); the
        # same client without them shows what the runtime itself can do.
        client = AIHordeAPIAsyncManualClient(
            base_url=url, api_key=WORKER_KEY, client_agent=get_bridge_agent(), enforce_rate_limits=limits
        )
        options = RuntimeOptions(pop_interval=0.05, summary_interval=0)
        runtime = WorkerRuntime.from_config(config, options=options, client=client)
        stats = RecordingStats()
        runtime.stats = stats  # before run(): the pipeline takes the runtime's stats when it starts
        async with client, anyio.create_task_group() as group:
            group.start_soon(runtime.run)
            await runtime.wait_ready()
            cpu, wall = time.process_time(), time.perf_counter()
            await stats.done.wait()
            figures["cpu"] = time.process_time() - cpu
            figures["wall"] = time.perf_counter() - wall
            runtime.request_stop()
        summary = runtime.summary()
        figures.update(submitted=summary.submitted, faulted=summary.faulted, latencies=latencies)

    anyio.run(main)
    print(json.dumps(figures))


# ------------------------------------------------------------------------------------------------------
# Parent
# ------------------------------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _create_requests(horde: Any, kind: str, jobs: int) -> None:  # noqa: ANN401 - a LocalHorde
    from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, TextGenerateAsyncRequest

    with horde.lock:
        user = horde.state.user_for_key(USER_KEY)
        for index in range(jobs):
            if kind == "image":
                image = ImageGenerateAsyncRequest.model_validate(
                    {
                        "prompt": f"a lighthouse {index}",
                        "models": [IMAGE_MODEL],
                        "params": {"width": 512, "height": 512, "steps": 20, "n": 1},
                    }
                )
                horde.state.create_image_request(user, image)
            else:
                text = TextGenerateAsyncRequest.model_validate(
                    {"prompt": f"once upon a time {index}", "models": [TEXT_MODEL], "params": {"max_length": 80}}
                )
                horde.state.create_text_request(user, text)


def _run_case(kind: str, jobs: int, threads: int, *, limits: bool) -> None:
    from horde_local import ApiKey, HordeConfig, LocalHorde, LocalHordeServer, Role

    keys = (ApiKey("bench-worker", WORKER_KEY, Role.trusted, 0.0), ApiKey("bench-user", USER_KEY, kudos=1e9))
    horde = LocalHorde(HordeConfig(api_keys=keys, rate_limits=False, check_cache_seconds=0.0))
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), environment.get("PYTHONPATH")]))
    with LocalHordeServer(horde) as server:
        _create_requests(horde, kind, jobs)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        horde_cpu = time.process_time()
        result = subprocess.run(
            [
                sys.executable,
                str(Path(__file__)),
                "--child",
                kind,
                server.base_url,
                str(jobs),
                str(threads),
                str(int(limits)),
            ],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        horde_cpu = time.process_time() - horde_cpu
        name = f"bench-{kind}-{threads}"
        counts = horde.worker_counts(name) if result.returncode == 0 else None
    label = f"{kind:<5} x{jobs}, max_threads {threads}, client limits {'on ' if limits else 'off'}"
    if result.returncode != 0:
        print(f"  {label}: worker failed (exit {result.returncode})\n{result.stderr[-2000:]}")
        return
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    first, *latencies = [value * 1000 for value in figures["latencies"]]
    whole_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    done = figures["submitted"]
    print(
        f"  {label}: {done / figures['wall']:7.1f} jobs/s"
        f" | pop-to-submit ms: first {first:5.0f}, then mean {statistics.fmean(latencies):6.2f}"
        f" p50 {_percentile(latencies, 0.5):6.2f}"
        f" p95 {_percentile(latencies, 0.95):6.2f} max {max(latencies):6.2f}"
        f" | worker CPU/job {figures['cpu'] / max(done, 1) * 1000:5.2f} ms"
        f" (whole process {whole_cpu:.2f} s)"
        f" | horde CPU/job {horde_cpu / max(done, 1) * 1000:5.2f} ms"
        f" | horde counted {counts.submitted if counts else '?'} submitted, {figures['faulted']} faulted"
    )


def main() -> None:
    """Run the benchmarks (or, with ``--child``, one timed worker)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, url, jobs, threads = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        _child(kind, url, jobs, threads, sys.argv[6] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=200, help="image jobs per case")
    parser.add_argument("--text-jobs", type=int, default=200, help="text jobs per case")
    args = parser.parse_args()
    try:
        import horde_local  # noqa: F401
    except ImportError:
        print("needs the local horde (tools/local-horde, package horde_local): run it in the hatch environment")
        return
    print(
        "worker runtime with instant backends against a local horde. The horde is served from a thread of this"
        " process; all requests are created in bulk on the horde side (no HTTP) before the worker starts. The"
        " worker runs in its own process (queue_size 1), timed from registration to its last accepted submit."
        " 'client limits on' is the runtime's default client, which keeps to the AI Horde's client-side limits"
        " (pop and submit 60/s each: that caps jobs/s); 'off' is the same client without them (the runtime's own"
        " pace). Pop-to-submit: the runtime's clock from pop to accepted submit, queue wait included; the first job"
        " (first upload connection, lazy imports) apart. 'worker CPU/job': the worker process's CPU over the timed"
        " span / jobs; 'whole process' adds interpreter start, imports and registration. 'horde CPU/job': this"
        " process's CPU meanwhile (the local horde serving the worker)."
    )
    for kind, jobs in (("image", args.jobs), ("text", args.text_jobs)):
        for threads, limits in ((1, False), (4, False), (4, True)):
            _run_case(kind, jobs, threads, limits=limits)


if __name__ == "__main__":
    main()
