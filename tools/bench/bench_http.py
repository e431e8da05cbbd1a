"""Per-request cost of the SDK's clients next to raw httpx and raw aiohttp on a loopback server; asserts nothing.

Every figure is µs per request against the keep-alive loopback server of ``_loopback_server.py`` (another
process), in rounds: each round runs every client once, so the ratios printed (median, min and max over the
rounds) compare clients measured under the same machine load.

- async, one request at a time and 50 in flight: the SDK's async manual client
  (``AIHordeAPIAsyncManualClient.submit_request`` of a heartbeat) with its default transport (aiohttp when
  the ``aiohttp`` extra is installed), with an injected ``httpx.AsyncClient`` (the httpx path), and with
  ``httpx.AsyncClient`` over ``httpx_aiohttp.AiohttpTransport`` (when that package is installed), against raw
  ``aiohttp`` (targets: <= 1.3x) and raw ``httpx.AsyncClient``;
- sync, one request at a time: ``AIHordeAPIManualClient`` against raw ``httpx.Client`` (target: <= 1.15x).

``--upstream`` also measures the SDK that people use today (``horde-sdk==0.33.3``, aiohttp underneath for
async and requests for sync): it is installed once into its own Python 3.12 venv under ``tools/.cache``
(``pyenv`` gives the interpreter) and measured in a child process in every round.

Figures (this machine, 2 shared cores, 2026-12-07, five runs of ``--requests 1000 --rounds 7``, CPU per
request, median ratio of each run): async one at a time 1.17 / 1.18 / 1.20 / 1.22 / 1.29x raw aiohttp
(target met); async 50 in flight 1.19 / 1.42 / 1.44 / 1.46 / 1.52x (target not met: raw aiohttp's own
figure moves between 76 and 114 µs from run to run, the SDK's between 110 and 120 µs); sync 0.98 / 1.03 /
1.04 / 1.08 / 1.09x raw httpx (target met). The old SDK (``--upstream``): 2.1x raw aiohttp one at a time,
3.4x with 50 in flight, 2.8x raw httpx for sync (wall). What the SDK adds to an aiohttp exchange, measured
by switching parts off in one process: about 10 µs to build the request and validate the answer into its
model (pydantic-core), about 9 µs for the request flow (rate limiter, deadline, retries, typed errors), and
a few µs for the deadline watchdog and body cap.

Usage: ``hatch run python tools/bench/bench_http.py [--requests N] [--rounds N] [--upstream]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, child_figures, loopback_server, ratio_line, summary

IN_FLIGHT = 50
UPSTREAM_VERSION = "0.33.3"
UPSTREAM_VENV = REPO / "tools" / ".cache" / f"upstream-horde-sdk-{UPSTREAM_VERSION}"
HEADERS = {"Accept": "application/json", "Client-Agent": "bench:1:none", "apikey": "0000000000"}

AsyncCall = Callable[[], Awaitable[object]]


async def _per_request_us(call: AsyncCall, requests: int, in_flight: int) -> tuple[float, float]:
    """Wall and CPU µs per request for ``requests`` calls, ``in_flight`` at a time."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    if in_flight == 1:
        for _ in range(requests):
            await call()
    else:
        remaining = requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await call()

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return (time.perf_counter() - started) / requests * 1e6, (time.process_time() - cpu_started) / requests * 1e6


class AsyncClients:
    """The async clients of one round, opened once and reused across rounds (as a program would)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.calls: dict[str, AsyncCall] = {}
        self._closers: list[Callable[[], Awaitable[object]]] = []

    async def open(self) -> None:
        """Create every client that is installed here."""
        import aiohttp
        import httpx

        from horde_sdk.ai_horde_api import AIHordeAPIAsyncManualClient
        from horde_sdk.ai_horde_api.apimodels import HordeHeartbeatRequest, HordeHeartbeatResponse

        url = f"{self.base_url}/api/v2/status/heartbeat"
        session = aiohttp.ClientSession()
        self._closers.append(session.close)

        async def raw_aiohttp() -> object:
            async with session.get(url, headers=HEADERS) as response:
                return json.loads(await response.read())

        raw_httpx_client = httpx.AsyncClient()
        self._closers.append(raw_httpx_client.aclose)

        async def raw_httpx() -> object:
            return json.loads((await raw_httpx_client.get(url, headers=HEADERS)).content)

        self.calls["raw aiohttp"] = raw_aiohttp
        self.calls["raw httpx"] = raw_httpx

        def sdk_call(client: AIHordeAPIAsyncManualClient) -> AsyncCall:
            request = HordeHeartbeatRequest()

            async def call() -> object:
                return await client.submit_request(request, HordeHeartbeatResponse)

            return call

        options: dict[str, Any] = {"base_url": f"{self.base_url}/api", "enforce_rate_limits": False}
        sdk = AIHordeAPIAsyncManualClient(**options)
        await sdk.__aenter__()
        self._closers.append(lambda: sdk.__aexit__(None, None, None))
        self.calls[f"SDK ({sdk.transport.backend}, its default)"] = sdk_call(sdk)
        injected = httpx.AsyncClient()
        self._closers.append(injected.aclose)
        sdk_httpx = AIHordeAPIAsyncManualClient(http_client=injected, **options)
        await sdk_httpx.__aenter__()
        self._closers.append(lambda: sdk_httpx.__aexit__(None, None, None))
        self.calls["SDK (httpx, injected client)"] = sdk_call(sdk_httpx)
        if importlib.util.find_spec("httpx_aiohttp") is not None:
            from httpx_aiohttp import AiohttpTransport

            bridged = httpx.AsyncClient(transport=AiohttpTransport())
            self._closers.append(bridged.aclose)
            sdk_bridged = AIHordeAPIAsyncManualClient(http_client=bridged, **options)
            await sdk_bridged.__aenter__()
            self._closers.append(lambda: sdk_bridged.__aexit__(None, None, None))
            self.calls["SDK (httpx over httpx-aiohttp)"] = sdk_call(sdk_bridged)

    async def close(self) -> None:
        """Close every client."""
        for closer in reversed(self._closers):
            await closer()


def _sync_calls(base_url: str) -> tuple[dict[str, Callable[[], object]], Callable[[], None]]:
    import httpx

    from horde_sdk.ai_horde_api import AIHordeAPIManualClient
    from horde_sdk.ai_horde_api.apimodels import HordeHeartbeatRequest, HordeHeartbeatResponse

    url = f"{base_url}/api/v2/status/heartbeat"
    raw = httpx.Client()
    sdk = AIHordeAPIManualClient(base_url=f"{base_url}/api", enforce_rate_limits=False)
    request = HordeHeartbeatRequest()

    def close() -> None:
        raw.close()
        sdk.close()

    calls: dict[str, Callable[[], object]] = {
        "raw httpx": lambda: json.loads(raw.get(url, headers=HEADERS).content),
        "SDK": lambda: sdk.submit_request(request, HordeHeartbeatResponse),
    }
    return calls, close


def _sync_us(call: Callable[[], object], requests: int) -> tuple[float, float]:
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(requests):
        call()
    return (time.perf_counter() - started) / requests * 1e6, (time.process_time() - cpu_started) / requests * 1e6


# ------------------------------------------------------------------------------------ upstream SDK
UPSTREAM_CHILD = """
import asyncio, json, os, sys, time
import aiohttp
from horde_sdk.ai_horde_api.ai_horde_clients import AIHordeAPIAsyncManualClient, AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import AIHordeHeartbeatRequest

requests, in_flight = int(sys.argv[1]), int(sys.argv[2])
figures = {}
sync = AIHordeAPIManualClient()
for _ in range(20):  # warm-up
    sync.submit_request(AIHordeHeartbeatRequest(), AIHordeHeartbeatRequest.get_default_success_response_type())
started = time.perf_counter()
for _ in range(requests):
    sync.submit_request(AIHordeHeartbeatRequest(), AIHordeHeartbeatRequest.get_default_success_response_type())
figures["sync"] = (time.perf_counter() - started) / requests * 1e6

async def main():
    async with aiohttp.ClientSession() as session:
        client = AIHordeAPIAsyncManualClient(aiohttp_session=session)
        kind = AIHordeHeartbeatRequest.get_default_success_response_type()
        for _ in range(20):  # warm-up
            await client.submit_request(AIHordeHeartbeatRequest(), kind)
        for label, width in (("async sequential", 1), ("async in flight", in_flight)):
            remaining = requests
            async def worker():
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    await client.submit_request(AIHordeHeartbeatRequest(), kind)
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(width)))
            figures[label] = (time.perf_counter() - started) / requests * 1e6

asyncio.run(main())
print(json.dumps(figures))
"""


def upstream_python() -> str | None:
    """The Python of the venv holding the old SDK (created on first use), or None when it cannot be made."""
    python = UPSTREAM_VENV / "bin" / "python"
    if python.exists():
        return str(python)
    pyenv = shutil.which("pyenv")
    interpreter = None
    if pyenv:
        latest = subprocess.run([pyenv, "latest", "3.12"], capture_output=True, text=True, check=False)
        prefix = subprocess.run(
            [pyenv, "prefix", latest.stdout.strip()], capture_output=True, text=True, check=False
        ).stdout.strip()
        if latest.returncode == 0 and prefix and (Path(prefix) / "bin" / "python3.12").exists():
            interpreter = str(Path(prefix) / "bin" / "python3.12")
    if interpreter is None:
        print("  --upstream: no Python 3.12 (pyenv install 3.12) — skipped")
        return None
    print(f"  --upstream: installing horde-sdk=={UPSTREAM_VERSION} into {UPSTREAM_VENV} ...", flush=True)
    UPSTREAM_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([interpreter, "-m", "venv", str(UPSTREAM_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"horde-sdk=={UPSTREAM_VERSION}"], check=True)
    return str(python)


def upstream_round(python: str, base_url: str, requests: int) -> dict[str, float]:
    """One measurement of the old SDK in its own interpreter (its base URL comes from ``AI_HORDE_URL``)."""
    environment = dict(os.environ, AI_HORDE_URL=f"{base_url}/api/", LOGFIRE_IGNORE_NO_CONFIG="1")
    return child_figures([python, "-c", UPSTREAM_CHILD, str(requests), str(IN_FLIGHT)], environment)


# ------------------------------------------------------------------------------------------- main
async def _async_rounds(
    base_url: str, requests: int, rounds: int, upstream: str | None
) -> dict[str, dict[str, list[float]]]:
    clients = AsyncClients(base_url)
    await clients.open()
    series: dict[str, dict[str, list[float]]] = {
        "sequential": {},
        "in flight": {},
        "sequential CPU": {},
        "in flight CPU": {},
    }
    try:
        for call in clients.calls.values():  # warm-up: connections, validators
            await _per_request_us(call, 50, 1)
        for _ in range(rounds):
            for mode, width in (("sequential", 1), ("in flight", IN_FLIGHT)):
                for label, call in clients.calls.items():
                    wall, cpu = await _per_request_us(call, requests, width)
                    series[mode].setdefault(label, []).append(wall)
                    series[f"{mode} CPU"].setdefault(label, []).append(cpu)
            if upstream is not None:
                figures = await asyncio.to_thread(upstream_round, upstream, base_url, requests)
                series["sequential"].setdefault("old SDK 0.33.3", []).append(figures["async sequential"])
                series["in flight"].setdefault("old SDK 0.33.3", []).append(figures["async in flight"])
                series.setdefault("sync", {}).setdefault("old SDK 0.33.3", []).append(figures["sync"])
    finally:
        await clients.close()
    return series


def main() -> None:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000, help="requests per client per round and mode")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 5 for the spread)")
    parser.add_argument("--upstream", action="store_true", help="also measure horde-sdk 0.33.3 (own venv)")
    args = parser.parse_args()
    upstream = upstream_python() if args.upstream else None
    with loopback_server() as base_url:
        series = asyncio.run(_async_rounds(base_url, args.requests, args.rounds, upstream))
        sync_calls, close = _sync_calls(base_url)
        try:
            for call in sync_calls.values():
                _sync_us(call, 50)
            sync_series: dict[str, list[float]] = {label: [] for label in sync_calls}
            sync_cpu: dict[str, list[float]] = {label: [] for label in sync_calls}
            for _ in range(args.rounds):
                for label, call in sync_calls.items():
                    wall, cpu = _sync_us(call, args.requests)
                    sync_series[label].append(wall)
                    sync_cpu[label].append(cpu)
        finally:
            close()
    print(f"µs per request, {args.requests} requests per client per round, {args.rounds} interleaved rounds")
    print("(wall: what a caller waits, moves with the machine's load; CPU: this process's own work per request)")
    for mode, target in (("sequential", "one at a time"), ("in flight", f"{IN_FLIGHT} in flight")):
        print(f"async, {target} (target: SDK <= 1.3x raw aiohttp):")
        _print_series(series[mode], series[f"{mode} CPU"], ("raw aiohttp", "raw httpx"))
    print("sync, one at a time (target: SDK <= 1.15x raw httpx):")
    _print_series(sync_series, sync_cpu, ("raw httpx",))
    if "sync" in series:
        print(
            f"  old SDK 0.33.3 (wall only, measured in its own process) {summary(series['sync']['old SDK 0.33.3'])} µs"
        )
        print(
            ratio_line("old SDK 0.33.3 / raw httpx (wall)", series["sync"]["old SDK 0.33.3"], sync_series["raw httpx"])
        )


def _print_series(wall: dict[str, list[float]], cpu: dict[str, list[float]], references: tuple[str, ...]) -> None:
    for label, values in wall.items():
        extra = f"   CPU {summary(cpu[label])} µs" if label in cpu else "   (CPU: another process)"
        print(f"  {label:<34} wall {summary(values)} µs{extra}")
    for label, values in wall.items():
        if label in references:
            continue
        for reference in references:
            print(ratio_line(f"{label} / {reference} (wall)", values, wall[reference]))
            if label in cpu:
                print(ratio_line(f"{label} / {reference} (CPU)", cpu[label], cpu[reference]))


if __name__ == "__main__":
    main()
