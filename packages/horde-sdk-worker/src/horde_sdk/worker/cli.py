"""The ``horde-worker`` command: run an AI Horde worker from its configuration file, or check that file.

* ``horde-worker run --config bridgeData.yaml``: pop, run and submit jobs until SIGINT or SIGTERM. The first
  signal stops popping, reports the queued jobs ``faulted`` and lets the running ones finish within their ttl;
  a second signal faults what still runs and exits. Logs go to standard error: one line per event, with a
  summary every ``stats_output_frequency`` seconds.
* ``horde-worker check-config --config bridgeData.yaml``: the checks of ``horde-worker-config check`` (the file's
  values, a registered API key, a worker name and a known backend per kind), then the backends are built; it says
  which Python modules the file's factory paths import, says (one line per kind, on standard error) which
  requests the horde will never send this worker because of its bridge agent and what to change, and prints the
  effective configuration (secrets masked). ``run`` logs the same lines when it starts.

Both take the file as ``--config FILE`` or as a plain ``FILE``, and ``--import-path DIR`` (repeatable) for
directories to search first for backend modules; the current directory is searched only when given so. A
configuration file can run code (a factory path imports its module): use only files you trust.

Exit status: 0 after a clean stop or a valid file; 1 when the file is invalid, a backend cannot be built or
started (an engine that cannot be reached) or the horde refused the worker; 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import anyio

from horde_sdk.deploy_config import (
    DEPLOY_CONFIG_ENV_PREFIX,
    KNOWN_WORKER_KINDS,
    BaseWorkerDeployConfig,
    DeployConfigLoadReport,
)
from horde_sdk.deploy_config.cli import (
    add_config_file_arguments,
    config_file_argument,
    load_and_check,
    render_effective_config,
)
from horde_sdk.generic_api.log import redact_value
from horde_sdk.worker.__about__ import __version__
from horde_sdk.worker.backends.base import BackendError
from horde_sdk.worker.backends.loading import BackendConfigError, describe_backend_imports
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime, WorkerRuntimeError

__all__: list[str] = []  # a console script; `main` is its entry point, not part of the package API

_AUTO_KIND = "auto"
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({})))
_RECORD_ATTRIBUTES_ALL = _RECORD_ATTRIBUTES | {"message", "asctime", "taskName"}


class EventLineFormatter(logging.Formatter):
    """Formats a log record as one line: time, level, logger, event, then the event's fields.

    Args:
        as_json: Write each record as one JSON object instead of ``key=value`` text.
    """

    def __init__(self, *, as_json: bool = False) -> None:
        super().__init__()
        self._as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        """Return the line of `record`.

        Args:
            record: The record; fields passed as ``extra`` (structlog events) are shown after the message.

        Returns:
            The formatted line.
        """
        fields = redact_value({key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES_ALL})
        if self._as_json:
            payload: dict[str, Any] = {
                "time": self.formatTime(record),
                "level": record.levelname.lower(),
                "logger": record.name,
                "event": record.getMessage(),
                **fields,
            }
            if record.exc_info:
                payload["exception"] = self.formatException(record.exc_info)
            return json.dumps(payload, default=str)
        text = " ".join(f"{key}={value}" for key, value in fields.items())
        line = f"{self.formatTime(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line}  {text}" if text else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def configure_logging(level: str = "INFO", *, as_json: bool = False, stream: TextIO | None = None) -> None:
    """Send the worker's logs to `stream` (standard error by default): the command does this, the library never.

    httpx's own request lines are kept at WARNING unless `level` is DEBUG (the SDK logs each request itself).

    Args:
        level: The lowest level shown.
        as_json: One JSON object per line.
        stream: Where to write.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(EventLineFormatter(as_json=as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    if level.upper() != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``horde-worker``.

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(prog="horde-worker", description="Run an AI Horde worker.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_config_options(command: argparse.ArgumentParser) -> None:
        add_config_file_arguments(command)
        command.add_argument(
            "--import-path",
            action="append",
            default=[],
            metavar="DIR",
            help="a directory to search first for backend modules (repeatable; '.' for the current directory)",
        )
        command.add_argument(
            "--kind",
            choices=[_AUTO_KIND, *(kind.value for kind in KNOWN_WORKER_KINDS)],
            default=_AUTO_KIND,
            help="the kind of worker the file configures (default: guessed from its keys)",
        )
        command.add_argument(
            "--no-env", action="store_true", help=f"ignore {DEPLOY_CONFIG_ENV_PREFIX}* environment variables"
        )

    run = commands.add_parser("run", help="run the worker until SIGINT or SIGTERM")
    add_config_options(run)
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.add_argument("--json-logs", action="store_true", help="write logs as one JSON object per line")
    run.add_argument(
        "--shutdown-grace",
        type=float,
        default=None,
        metavar="SECONDS",
        help="on a stop, how long running jobs may still run (default: until each job's ttl)",
    )
    run.add_argument("--pop-interval", type=float, default=None, metavar="SECONDS", help="pause after empty pops")

    check = commands.add_parser("check-config", help="validate a configuration file and its backends")
    add_config_options(check)
    return parser


def _load(arguments: argparse.Namespace, err: TextIO) -> DeployConfigLoadReport[BaseWorkerDeployConfig] | None:
    """The checks of ``horde-worker-config check``: the same verdict for the same file."""
    kind = None if arguments.kind == _AUTO_KIND else KNOWN_WORKER_KINDS(arguments.kind)
    return load_and_check(arguments.path, kind, no_env=arguments.no_env, err=err)


def _build_runtime(
    report: DeployConfigLoadReport[BaseWorkerDeployConfig],
    arguments: argparse.Namespace,
    options: RuntimeOptions,
    err: TextIO,
) -> WorkerRuntime | None:
    """Build the worker and its backends, first saying which modules the configuration's factory paths import."""
    for setting, module in describe_backend_imports(report.config):
        err.write(
            f"note: {report.source}: {setting}: imports the Python module '{module}' and runs its code "
            "(a configuration file can run code: use only files you trust)\n"
        )
    try:
        return WorkerRuntime.from_config(report.config, options=options, import_paths=tuple(arguments.import_path))
    except (BackendConfigError, WorkerRuntimeError) as error:
        err.write(f"error: {report.source}: {error}\n")
        return None


def _check(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = _load(arguments, err)
    if report is None:
        return 1
    runtime = _build_runtime(report, arguments, RuntimeOptions(), err)
    if runtime is None:
        return 1
    for line in runtime.bridge_report():
        err.write(f"{'note' if line.startswith('bridge agent:') else 'warning'}: {line}\n")
    out.write(render_effective_config(report))
    return 0


def _run(arguments: argparse.Namespace, err: TextIO) -> int:
    configure_logging(arguments.log_level, as_json=arguments.json_logs, stream=err)
    report = _load(arguments, err)
    if report is None:
        return 1
    changes: dict[str, Any] = {}
    if arguments.shutdown_grace is not None:
        changes["shutdown_grace"] = arguments.shutdown_grace
    if arguments.pop_interval is not None:
        changes["pop_interval"] = arguments.pop_interval
    try:
        options = RuntimeOptions(**changes)
    except ValueError as error:
        err.write(f"error: {error}\n")
        return 2
    runtime = _build_runtime(report, arguments, options, err)
    if runtime is None:
        return 1

    async def work() -> None:
        await runtime.run(handle_signals=True)

    try:
        anyio.run(work)
    except (WorkerRuntimeError, BackendError) as error:  # BackendError: an engine unusable at start
        err.write(f"error: {report.source}: {error}\n")
        return 1
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``horde-worker``.

    Args:
        argv: The arguments (without the program name); None reads `sys.argv`.
        out: Where ``check-config`` writes the effective configuration; None is standard output.
        err: Where errors and (for ``run``) logs go; None is standard error.

    Returns:
        The exit status.
    """
    parser = build_parser()
    arguments = parser.parse_args(argv)
    stdout = sys.stdout if out is None else out
    stderr = sys.stderr if err is None else err
    arguments.path = config_file_argument(arguments, parser)
    if arguments.command == "run":
        return _run(arguments, stderr)
    return _check(arguments, stdout, stderr)


if __name__ == "__main__":
    raise SystemExit(main())
