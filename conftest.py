"""Root pytest configuration shared by every distribution's tests and the integration suite.

It does three things only:

* switches horde_sdk models to strict mode (unknown fields rejected) before any test module imports
  them, through the documented API of ``horde_sdk.generic_api.testing`` (never an environment variable);
* provides the one fixture through which tests find the AI Horde swagger document;
* makes each test see the once-per-process warnings about unknown ``KNOWN_*`` values afresh.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent
SHARED_SWAGGER = REPO_ROOT.parent / "shared" / "ai_horde" / "swagger.json"
CACHED_SWAGGER = REPO_ROOT / "tools" / ".cache" / "swagger.json"


def _enable_strict_models() -> None:
    """Turn on strict models when generic_api is installed (isolation environments may lack it)."""
    if importlib.util.find_spec("horde_sdk.generic_api") is None:
        return
    from horde_sdk.generic_api.testing import enable_strict_models

    enable_strict_models()


# Done while pytest loads this file, which happens before it loads any deeper conftest.py or test
# module: model classes read the strictness when they are created.
_enable_strict_models()


def find_swagger_path() -> Path:
    """Locate swagger.json: $HORDE_SWAGGER_JSON, else ../shared/ai_horde/swagger.json, else the refresh cache."""
    from_env = os.environ.get("HORDE_SWAGGER_JSON")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise FileNotFoundError(f"HORDE_SWAGGER_JSON points to {path}, which is not a file")
        return path
    for candidate in (SHARED_SWAGGER, CACHED_SWAGGER):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "No AI Horde swagger.json found. Set HORDE_SWAGGER_JSON, place ../shared/ai_horde/swagger.json beside "
        "the checkout, or run `hatch run python tools/refresh_swagger.py` once (it caches a download)."
    )


@pytest.fixture(scope="session")
def horde_swagger_path() -> Path:
    """Path of the AI Horde swagger document the tests verify against."""
    return find_swagger_path()


@pytest.fixture(scope="session")
def horde_swagger(horde_swagger_path: Path) -> dict[str, Any]:
    """The parsed AI Horde swagger document (treat as read-only)."""
    data: dict[str, Any] = json.loads(horde_swagger_path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(autouse=True)
def _fresh_unknown_value_warnings() -> None:
    """Each test starts with no unknown KNOWN_ value reported yet (the warning is once per value per process)."""
    validation = sys.modules.get("horde_sdk.generation_parameters.validation")
    if validation is not None:
        validation.forget_reported_unknown_values()
