"""The package surface: lazy exports, cheap import, version, and httpx confined to one module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from horde_sdk import generic_api

SRC = Path(generic_api.__file__).parent


def test_every_export_resolves_and_is_listed():
    for name in generic_api.__all__:
        assert getattr(generic_api, name) is not None
    assert set(generic_api.__all__) == {"__version__", *generic_api._EXPORTS}
    assert generic_api.__version__ == "0.1.0"


def test_importing_the_package_is_cheap():
    code = "import sys, horde_sdk.generic_api; print(sorted(m for m in ('httpx', 'pydantic', 'structlog') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_httpx_is_imported_in_the_transport_module_only():
    importers = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "httpx" or name.startswith("httpx.") for name in names):
                importers.append(path.name)
    assert importers == ["transport.py"]


def test_py_typed_ships():
    assert (SRC / "py.typed").is_file()
