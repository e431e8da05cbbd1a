"""``local-horde``: serve a local AI Horde on 127.0.0.1 (``hatch run local-horde --port 7001``)."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from horde_local.config import ApiKey, FaultConfig, HordeConfig, parse_api_key
from horde_local.horde import LocalHorde
from horde_local.server import LocalHordeServer

__all__ = ["build_config", "main", "parse_args"]


def _api_key(text: str) -> ApiKey:
    try:
        return parse_api_key(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="local-horde",
        description="A local AI Horde on 127.0.0.1 for testing clients and workers. Nothing leaves this machine.",
    )
    parser.add_argument("--port", type=int, default=7001, help="port to listen on (0: any free port; default 7001)")
    parser.add_argument("--seed", type=int, default=0, help="seed of random seeds and of the fault injection")
    parser.add_argument("--no-rate-limits", action="store_true", help="do not enforce the server's rate limits")
    parser.add_argument(
        "--api-key",
        action="append",
        type=_api_key,
        default=[],
        metavar="NAME:KEY:ROLE[:KUDOS]",
        help="add a user; ROLE is anonymous, registered, trusted or moderator (repeatable)",
    )
    parser.add_argument("--job-ttl", type=float, default=150.0, help="seconds a worker has for a popped job")
    parser.add_argument(
        "--abort-grace", type=float, default=30.0, help="seconds after the ttl before a job is taken back"
    )
    parser.add_argument(
        "--request-lifetime", type=float, default=1200.0, help="seconds a request lives without activity"
    )
    parser.add_argument("--fault-5xx", type=float, default=0.0, help="share of API requests answered with a 5xx")
    parser.add_argument(
        "--fault-drop-before", type=float, default=0.0, help="share of connections dropped before acting"
    )
    parser.add_argument(
        "--fault-drop-after", type=float, default=0.0, help="share of connections dropped after acting"
    )
    parser.add_argument("--fault-latency", type=float, default=0.0, help="seconds added to every API request")
    parser.add_argument("--fault-latency-jitter", type=float, default=0.0, help="up to this many more seconds, drawn")
    parser.add_argument(
        "--fault-429", type=float, default=0.0, help="share of API requests that start a burst of 429s"
    )
    parser.add_argument("--fault-429-burst", type=int, default=3, help="length of a 429 burst")
    return parser


def build_config(args: argparse.Namespace) -> HordeConfig:
    """Turn parsed command-line arguments into a configuration."""
    faults = FaultConfig(
        seed=args.seed,
        error_5xx=args.fault_5xx,
        drop_before=args.fault_drop_before,
        drop_after=args.fault_drop_after,
        latency=args.fault_latency,
        latency_jitter=args.fault_latency_jitter,
        burst_429=args.fault_429,
        burst_length=args.fault_429_burst,
    )
    return HordeConfig(
        api_keys=tuple(args.api_key),
        rate_limits=not args.no_rate_limits,
        job_ttl=args.job_ttl,
        abort_grace=args.abort_grace,
        request_lifetime=args.request_lifetime,
        faults=faults,
        seed=args.seed,
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (exits with a usage message on bad arguments)."""
    return _parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted; return the exit status."""
    args = parse_args(argv)
    try:
        server = LocalHordeServer(LocalHorde(build_config(args)), port=args.port)
    except OSError as error:
        print(f"local-horde: cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    users = ", ".join(f"{key.name} ({key.role})" for key in args.api_key) or "only the anonymous key 0000000000"
    # SIGTERM stops it like Ctrl-C (uvicorn restores this handler and re-raises the signal it caught). It is
    # installed before the line below, which is what a supervisor (or a test) waits for before signalling.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        print(f"local-horde: serving {server.base_url} (users: {users}); Ctrl-C stops it", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("local-horde: stopped", flush=True)
    return 0
