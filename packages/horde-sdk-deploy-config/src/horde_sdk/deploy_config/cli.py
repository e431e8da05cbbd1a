"""The ``horde-worker-config`` command: check a worker configuration file and show what it amounts to.

``horde-worker-config check FILE`` validates FILE (with the ``HORDE_WORKER_*`` environment overrides and
``${VAR}`` references applied) and prints the effective configuration as YAML, secrets masked. Warnings (unknown
keys) go to standard error. Exit status: 0 when the file is valid, 1 when it is not (one line per problem on
standard error), 2 for a wrong command line.
"""

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

import yaml

from horde_sdk.deploy_config.__about__ import __version__
from horde_sdk.deploy_config.consts import DEPLOY_CONFIG_ENV_PREFIX, KNOWN_WORKER_KINDS
from horde_sdk.deploy_config.exceptions import DeployConfigError
from horde_sdk.deploy_config.loading import DeployConfigLoadReport, load_deploy_config_with_report
from horde_sdk.deploy_config.object_models import BaseWorkerDeployConfig, ImageWorkerDeployConfig

_AUTO_KIND = "auto"


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
            "Validate FILE and print the effective configuration as YAML with secrets masked. "
            f"Environment variables {DEPLOY_CONFIG_ENV_PREFIX}<KEY> override the file and ${{VAR}} references "
            "are replaced, unless --no-env is given."
        ),
    )
    check.add_argument("file", metavar="FILE", help="the configuration file (.yaml/.yml, or .toml)")
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


def _check(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kind = None if arguments.kind == _AUTO_KIND else KNOWN_WORKER_KINDS(arguments.kind)
    try:
        report = load_deploy_config_with_report(arguments.file, kind, environ={} if arguments.no_env else None)
    except DeployConfigError as error:
        for problem in error.problems:
            err.write(f"error: {problem}\n")
        return 1
    for warning in report.warnings:
        err.write(f"warning: {warning}\n")
    out.write(render_effective_config(report))
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``horde-worker-config``.

    Args:
        argv: The arguments (without the program name); None reads `sys.argv`.
        out: Where the effective configuration is written; None is standard output.
        err: Where warnings and errors are written; None is standard error.

    Returns:
        The exit status: 0 for a valid file, 1 for an invalid one.
    """
    arguments = build_parser().parse_args(argv)
    stdout = sys.stdout if out is None else out
    stderr = sys.stderr if err is None else err
    if arguments.command == "check":
        return _check(arguments, stdout, stderr)
    return 2  # pragma: no cover (argparse requires a known command)
