"""The ``horde-worker-config`` command: check a worker configuration file and show what it amounts to.

``horde-worker-config check --config FILE`` (or ``check FILE``) validates FILE (with the ``HORDE_WORKER_*``
environment overrides and ``${VAR}`` references applied), checks that it can run a worker (`get_readiness_problems`:
a registered API key, and for each kind a worker name and a known backend) and prints the effective configuration
as YAML, secrets masked. Warnings (unknown keys) go to standard error. Exit status: 0 when the file is valid, 1 when
it is not (one ``error: FILE: key: rule`` line per problem on standard error), 2 for a wrong command line.
``horde-worker check-config`` runs the same checks and then builds the backends.
"""

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

import yaml

from horde_sdk.deploy_config.__about__ import __version__
from horde_sdk.deploy_config.consts import DEPLOY_CONFIG_ENV_PREFIX, KNOWN_WORKER_KINDS
from horde_sdk.deploy_config.exceptions import DeployConfigError
from horde_sdk.deploy_config.loading import (
    DeployConfigLoadReport,
    get_readiness_problems,
    load_deploy_config_with_report,
)
from horde_sdk.deploy_config.object_models import BaseWorkerDeployConfig, ImageWorkerDeployConfig

__all__ = ["add_config_file_arguments", "config_file_argument", "load_and_check", "main", "render_effective_config"]

_AUTO_KIND = "auto"


def add_config_file_arguments(command: argparse.ArgumentParser) -> None:
    """Let a command take its configuration file as ``--config FILE`` or, equally, as a plain ``FILE``.

    Every command of ``horde-worker-config`` and ``horde-worker`` takes the file the same way; read it back with
    `config_file_argument`.

    Args:
        command: The command's parser.
    """
    command.add_argument("file", nargs="?", metavar="FILE", help="the configuration file (same as --config)")
    command.add_argument(
        "--config", dest="config_option", metavar="FILE", help="the configuration file (.yaml/.yml, or .toml)"
    )


def config_file_argument(arguments: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    """Return the configuration file given to a command (see `add_config_file_arguments`).

    Args:
        arguments: The parsed arguments.
        parser: The program's parser: when the file is missing, or given twice differently, its ``error`` shows
            the usage and exits with status 2.

    Returns:
        The file.
    """
    given = [value for value in (arguments.config_option, arguments.file) if value]
    if not given:
        parser.error(f"{arguments.command}: give the configuration file: --config FILE")
    if len(set(given)) > 1:
        parser.error(f"{arguments.command}: give the configuration file once: --config FILE (or FILE alone)")
    return str(given[0])


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``horde-worker-config``."""
    parser = argparse.ArgumentParser(
        prog="horde-worker-config",
        description="Check AI Horde worker configuration files (bridgeData.yaml or .toml).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="validate a file and print the effective configuration (secrets masked)",
        description=(
            "Validate FILE, check that it can run a worker (a registered API key, a worker name and a known backend "
            "for each kind) and print the effective configuration as YAML with secrets masked. "
            f"Environment variables {DEPLOY_CONFIG_ENV_PREFIX}<KEY> override the file and ${{VAR}} references "
            "are replaced, unless --no-env is given."
        ),
    )
    add_config_file_arguments(check)
    check.add_argument(
        "--kind",
        choices=[_AUTO_KIND, *(kind.value for kind in KNOWN_WORKER_KINDS)],
        default=_AUTO_KIND,
        help="the kind of worker the file configures (default: guessed from its keys)",
    )
    check.add_argument(
        "--no-env",
        action="store_true",
        help=f"ignore {DEPLOY_CONFIG_ENV_PREFIX}* variables (and treat every ${{VAR}} as unset)",
    )
    return parser


def render_effective_config(report: DeployConfigLoadReport[BaseWorkerDeployConfig]) -> str:
    """Return the effective configuration of `report` as commented YAML, secrets masked.

    Args:
        report: A successful load.

    Returns:
        The YAML text: comments naming the source, the keys the environment set and derived values, then every
        setting under its configuration key.
    """
    config = report.config
    lines = [f"# Effective {config.worker_kind} configuration of {report.source} (secrets masked)."]
    lines += [f"# Set by the environment: {key} ({variable})" for key, variable in report.environment_overrides]
    if isinstance(config, ImageWorkerDeployConfig):
        lines.append(f"# Derived: max_pixels = {config.max_pixels}")
    body: str = yaml.safe_dump(
        config.effective_config(), sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return "\n".join(lines) + "\n" + body


def load_and_check(
    path: str, kind: KNOWN_WORKER_KINDS | None, *, no_env: bool, err: TextIO
) -> DeployConfigLoadReport[BaseWorkerDeployConfig] | None:
    """Load a configuration file and check that it can run a worker, writing warnings and errors to `err`.

    What ``horde-worker-config check``, ``horde-worker check-config`` and ``horde-worker run`` all do first.

    Args:
        path: The file.
        kind: The worker kind, or None to infer it from the keys.
        no_env: Ignore ``HORDE_WORKER_*`` variables and treat every ``${VAR}`` as unset.
        err: Where ``warning:`` and ``error: FILE: key: rule`` lines go.

    Returns:
        The report, or None when there was an error.
    """
    try:
        report = load_deploy_config_with_report(path, kind, environ={} if no_env else None)
    except DeployConfigError as error:
        for problem in error.problems:
            err.write(f"error: {problem}\n")
        return None
    for warning in report.warnings:
        err.write(f"warning: {warning}\n")
    problems = get_readiness_problems(report.config, source=report.source)
    for problem in problems:
        err.write(f"error: {problem}\n")
    return None if problems else report


def _check(arguments: argparse.Namespace, path: str, out: TextIO, err: TextIO) -> int:
    kind = None if arguments.kind == _AUTO_KIND else KNOWN_WORKER_KINDS(arguments.kind)
    report = load_and_check(path, kind, no_env=arguments.no_env, err=err)
    if report is None:
        return 1
    out.write(render_effective_config(report))
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``horde-worker-config``.

    Args:
        argv: The arguments (without the program name); None reads `sys.argv`.
        out: Where the effective configuration is written; None is standard output.
        err: Where warnings and errors are written; None is standard error.

    Returns:
        The exit status: 0 for a valid file, 1 for an invalid one, 2 for a wrong command line.
    """
    parser = build_parser()
    arguments = parser.parse_args(argv)
    stdout = sys.stdout if out is None else out
    stderr = sys.stderr if err is None else err
    if arguments.command == "check":
        return _check(arguments, config_file_argument(arguments, parser), stdout, stderr)
    return 2  # pragma: no cover (argparse requires a known command)
