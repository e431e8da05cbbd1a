"""A module object whose code runs on first attribute access (import time stays off the client's path)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """Return module ``name``, imported already or set up to execute when one of its attributes is first read.

    Args:
        name: The absolute name of a module of this package.

    Returns:
        The module (in ``sys.modules``), executed now if it was imported before, otherwise on first use.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
