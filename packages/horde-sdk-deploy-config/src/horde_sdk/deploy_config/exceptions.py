"""Errors and warnings of loading a worker deployment configuration.

Neither ever holds a configuration value of a secret: they name the source, the key and the rule only.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DeployConfigProblem:
    """One reason a configuration was rejected."""

    source: str
    """Where the value came from: the file, ``environment variable HORDE_WORKER_...`` or ``<mapping>``."""
    key: str
    """The key as written (with ``entry N`` for list entries), or empty for a problem of the whole source."""
    rule: str
    """The rule the value breaks."""

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.rule}" if self.key else f"{self.source}: {self.rule}"


@dataclass(frozen=True)
class DeployConfigWarning:
    """Something the loader ignored without failing, such as an unknown key."""

    source: str
    """Where the ignored item came from: the file, or ``environment`` for an environment variable."""
    key: str
    """The ignored key or environment variable."""
    message: str
    """What was ignored and, when a close known key exists, a "did you mean" hint."""

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.message}"


class DeployConfigError(ValueError):
    """A configuration could not be loaded; `problems` lists every reason, one ``source: key: rule`` per line."""

    def __init__(self, problems: Sequence[DeployConfigProblem]) -> None:
        self.problems: tuple[DeployConfigProblem, ...] = tuple(problems)
        """Every problem found, in the order of the keys."""
        count = len(self.problems)
        heading = (
            "the worker configuration is invalid" if count == 1 else f"{count} problems in the worker configuration"
        )
        super().__init__(heading + ":\n" + "\n".join(f"  {problem}" for problem in self.problems))
