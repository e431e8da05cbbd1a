"""Benchmarks of horde_sdk.generic_api. Prints figures; asserts nothing.

- cold import time of ``horde_sdk.generic_api`` (lazy: nothing heavy) and of the manual clients;
- per-request overhead of both manual clients next to raw httpx, against a keep-alive loopback server
  in another process (target: the SDK adds at most 20% per request);
- the cost of httpcore's per-request ``import sniffio`` attempt on async requests.

Usage: ``hatch run python tools/bench/bench_generic_api.py [--requests N]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.abc
import importlib.util
import json
import subprocess
import sys
import time
from http import HTTPMethod
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import clean_venv, cold_import_ms, loopback_server

ROUNDS = 5


class _BlockSniffio(importlib.abc.MetaPathFinder):
    """Make ``import sniffio`` fail, as on an install where nothing pulled sniffio in."""

    def find_spec(self, fullname: str, _path: object, _target: object = None) -> None:
        if fullname == "sniffio":
            raise ModuleNotFoundError("sniffio blocked for the benchmark")


def _heartbeat_classes() -> tuple[type, type]:
    from horde_sdk.generic_api.apimodels import HordeRequest, HordeResponse, HordeResponseBaseModel

    class BenchHeartbeatResponse(HordeResponseBaseModel):
        message: str
        version: str

        @classmethod
        def get_api_model_name(cls) -> str | None:
            return "HordeHeartbeat"

    class BenchHeartbeatRequest(HordeRequest):
        @classmethod
        def get_api_model_name(cls) -> str | None:
            return None

        @classmethod
        def get_http_method(cls) -> HTTPMethod:
            return HTTPMethod.GET

        @classmethod
        def get_api_endpoint_subpath(cls) -> str:  # type: ignore[override]
            return "/v2/status/heartbeat"

        @classmethod
        def get_default_success_response_type(cls) -> type[HordeResponse]:
            return BenchHeartbeatResponse

    return BenchHeartbeatRequest, BenchHeartbeatResponse


def measure_sync(base_url: str, requests: int) -> tuple[float, float]:
    """Return (raw httpx, SDK) microseconds per request for the blocking clients."""
    import httpx

    from horde_sdk.generic_api.generic_clients import GenericHordeAPIManualClient

    request_type, _ = _heartbeat_classes()
    url = f"{base_url}/api/v2/status/heartbeat"
    headers = {"Accept": "application/json", "Client-Agent": "bench:1:none", "apikey": "0000000000"}

    with (
        httpx.Client() as raw,
        GenericHordeAPIManualClient(base_url=f"{base_url}/api", api_key="0000000000") as client,
    ):
        request = request_type()

        def raw_round() -> float:
            started = time.perf_counter()
            for _ in range(requests):
                json.loads(raw.get(url, headers=headers).content)
            return time.perf_counter() - started

        def sdk_round() -> float:
            started = time.perf_counter()
            for _ in range(requests):
                client.submit_request(request)
            return time.perf_counter() - started

        raw_round()
        sdk_round()
        # Interleaved rounds, so that drift in machine load affects both alike; the best round of each counts.
        raw_times, sdk_times = [], []
        for _ in range(ROUNDS):
            raw_times.append(raw_round())
            sdk_times.append(sdk_round())
        raw_us = min(raw_times) / requests * 1e6
        sdk_us = min(sdk_times) / requests * 1e6
    return raw_us, sdk_us


async def _measure_async(base_url: str, requests: int) -> tuple[float, float]:
    import httpx

    from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPIManualClient

    request_type, _ = _heartbeat_classes()
    url = f"{base_url}/api/v2/status/heartbeat"
    headers = {"Accept": "application/json", "Client-Agent": "bench:1:none", "apikey": "0000000000"}

    async with (
        httpx.AsyncClient() as raw,
        GenericAsyncHordeAPIManualClient(base_url=f"{base_url}/api", api_key="0000000000") as client,
    ):
        request = request_type()

        async def raw_round() -> float:
            started = time.perf_counter()
            for _ in range(requests):
                json.loads((await raw.get(url, headers=headers)).content)
            return time.perf_counter() - started

        async def sdk_round() -> float:
            started = time.perf_counter()
            for _ in range(requests):
                await client.submit_request(request)
            return time.perf_counter() - started

        await raw_round()
        await sdk_round()
        raw_times, sdk_times = [], []
        for _ in range(ROUNDS):
            raw_times.append(await raw_round())
            sdk_times.append(await sdk_round())
        raw_us = min(raw_times) / requests * 1e6
        sdk_us = min(sdk_times) / requests * 1e6
    return raw_us, sdk_us


def measure_async(base_url: str, requests: int) -> tuple[float, float]:
    """Return (raw httpx, SDK) microseconds per request for the async clients."""
    return asyncio.run(_measure_async(base_url, requests))


def _async_child(base_url: str, requests: int, *, block_sniffio: bool) -> tuple[float, float]:
    """Measure the async clients in a fresh interpreter (optionally without sniffio)."""
    code = (
        "import sys, json; sys.path.insert(0, {here!r}); import bench_generic_api as b; "
        "{block}print(json.dumps(b.measure_async({url!r}, {n})))"
    ).format(
        here=str(Path(__file__).resolve().parent),
        block="sys.meta_path.insert(0, b._BlockSniffio()); " if block_sniffio else "",
        url=base_url,
        n=requests,
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    raw_us, sdk_us = json.loads(output.strip().splitlines()[-1])
    return float(raw_us), float(sdk_us)


def _row(label: str, raw_us: float, sdk_us: float) -> str:
    overhead = (sdk_us - raw_us) / raw_us * 100
    return (
        f"  {label:<38} raw httpx {raw_us:7.1f} µs   SDK {sdk_us:7.1f} µs   "
        f"added {sdk_us - raw_us:+6.1f} µs = {overhead:+5.1f}% (target <= +20%)"
    )


def main() -> None:
    """Run every generic_api benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measured round")
    args = parser.parse_args()

    print("horde_sdk.generic_api benchmarks")
    print("cold import in a clean venv with only horde-sdk-generic-api (median of 7, minus an empty interpreter):")
    with clean_venv("horde-sdk-generic-api") as python:
        for label, statement in [
            ("import horde_sdk.generic_api", "import horde_sdk.generic_api"),
            ("import the manual clients", "from horde_sdk.generic_api import GenericHordeAPIManualClient"),
            ("import httpx (reference)", "import httpx"),
            ("import pydantic (reference)", "import pydantic"),
        ]:
            print(f"  {label:<44} {cold_import_ms(statement, python=python):7.1f} ms")

    sniffio_present = importlib.util.find_spec("sniffio") is not None
    print(f"per-request cost, {args.requests} sequential GETs per round, best of {ROUNDS} rounds:")
    with loopback_server() as base_url:
        print(_row("sync manual client", *measure_sync(base_url, args.requests)))
        print(
            _row(
                f"async manual client ({'with' if sniffio_present else 'without'} sniffio)",
                *measure_async(base_url, args.requests),
            )
        )
        if sniffio_present:
            blocked = _async_child(base_url, args.requests, block_sniffio=True)
            print(_row("async manual client (sniffio blocked)", *blocked))
    print(f"sniffio importable: {sniffio_present} (httpcore tries `import sniffio` on every async request)")


if __name__ == "__main__":
    main()
