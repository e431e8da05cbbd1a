"""The horde-sdk-deploy-config distribution: version, typing marker and namespace portion."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import horde_sdk.deploy_config as package


def test_version_matches_the_installed_distribution():
    assert package.__version__ == importlib.metadata.version("horde-sdk-deploy-config")


def test_ships_py_typed():
    assert (Path(package.__file__).parent / "py.typed").is_file()


def test_is_a_portion_of_the_horde_sdk_namespace():
    import horde_sdk

    assert getattr(horde_sdk, "__file__", None) is None  # PEP 420: no horde_sdk/__init__.py
    assert str(Path(package.__file__).parent.parent) in list(horde_sdk.__path__)
