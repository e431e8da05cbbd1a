"""A stand-in for a module that is imported when one of its attributes is first read.

The simple clients and the job flows use it for the machinery they need only once a job runs (sessions,
transports, the request core, the flows, the result types), so that importing a client class costs little.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any, cast


class LazyModule:
    """Imports module ``name`` on the first attribute read, then reads every attribute from the module.

    The import goes through ``importlib.import_module``, so it holds the import system's per-module lock:
    threads reading their first attribute at once get one fully executed module (unlike
    ``importlib.util.LazyLoader`` on Python 3.11, which executes the module inside the first attribute read
    without a lock). Attributes are not copied: each read goes to the module, so replacing a module
    attribute (a test's ``monkeypatch``) is seen through the stand-in too.
    """

    __slots__ = ("_lazy_module", "_lazy_name")  # names no module of the SDK uses

    def __init__(self, name: str) -> None:
        """Remember the module to import.

        Args:
            name: The absolute name of the module.
        """
        self._lazy_name = name
        self._lazy_module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:  # noqa: ANN401 - any attribute of the module
        if attribute.startswith("__"):  # copy/pickle/introspection probes must not import the module
            raise AttributeError(attribute)
        module = self._lazy_module
        if module is None:
            module = self._lazy_module = importlib.import_module(self._lazy_name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


def lazy_module(name: str) -> ModuleType:
    """Return a stand-in for module ``name`` that imports it when one of its attributes is first read.

    Type checkers see the module itself (callers import it under ``TYPE_CHECKING``); at run time the
    stand-in answers every public attribute read with the module's value.

    Args:
        name: The absolute name of a module.

    Returns:
        The module itself when it is imported already, otherwise the stand-in.
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    return cast("ModuleType", LazyModule(name))
