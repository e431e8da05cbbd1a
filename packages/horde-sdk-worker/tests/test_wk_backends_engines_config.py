"""The ``comfyui`` and ``sdwebui`` built-in image backends as a deploy configuration names them.

The example configurations of the operator pages (``docs/examples/*_bridgeData.yaml``) are checked here with
``horde-worker check-config``, the way an operator checks theirs.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from horde_sdk.deploy_config import ImageWorkerDeployConfig, ModelSelection, load_deploy_config, parse_deploy_config
from horde_sdk.worker.backends import (
    BUILTIN_IMAGE_BACKENDS,
    BackendConfigError,
    ComfyUIImageBackend,
    DemoImageBackend,
    SDWebUIImageBackend,
    load_image_backend,
)
from horde_sdk.worker.cli import main
from horde_sdk.worker.runtime.worker import _runnable_models

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
KEY = "example-config-key-0123456789"


def check_config(path: Path | str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["check-config", str(path), "--kind", "dreamer"], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("file", "backend_class", "url"),
    [
        ("comfyui_bridgeData.yaml", ComfyUIImageBackend, "http://127.0.0.1:8188"),
        ("sdwebui_bridgeData.yaml", SDWebUIImageBackend, "http://127.0.0.1:7860"),
    ],
)
def test_the_documented_example_configurations_check_and_build_their_backend(
    monkeypatch: pytest.MonkeyPatch, file: str, backend_class: type[Any], url: str
) -> None:
    monkeypatch.setenv("HORDE_API_KEY", KEY)
    status, out, err = check_config(EXAMPLES / file)
    assert status == 0, err
    assert "image_model_map" in out
    assert KEY not in out
    config = load_deploy_config(EXAMPLES / file, ImageWorkerDeployConfig)
    backend = load_image_backend(config)
    assert isinstance(backend, backend_class)
    assert backend.url == url
    assert backend.model_map == {
        "stable_diffusion": "v1-5-pruned-emaonly.safetensors",
        "Deliberate": "deliberate_v2.safetensors",
    }


def test_the_readme_engine_snippet_is_a_valid_configuration() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (snippet,) = [block for block in readme.split("```yaml\n")[1:] if "image_backend: comfyui" in block]
    config = parse_deploy_config(yaml.safe_load(snippet.split("```")[0]), ImageWorkerDeployConfig, environ={})
    backend = load_image_backend(config)
    assert isinstance(backend, ComfyUIImageBackend)
    assert (backend.url, backend.model_map) == ("http://127.0.0.1:8188", {"Deliberate": "deliberate_v2.safetensors"})


def test_run_stops_with_a_clear_error_when_the_engine_cannot_be_reached(tmp_path: Path) -> None:
    path = tmp_path / "bridgeData.yaml"
    path.write_text(
        'api_key: "run-test-key-0123456789"\nhorde_url: "http://127.0.0.1:9"\ndreamer_name: d\n'
        'image_backend: comfyui\nimage_backend_url: "http://127.0.0.1:9"\nimage_model_map: {"A": "a.safetensors"}\n',
        encoding="utf-8",
    )
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    handlers, level, httpx_level = root.handlers[:], root.level, httpx_logger.level
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main(["run", "--config", str(path), "--no-env"], out=out, err=err)
    finally:  # `run` configures logging: put it back for the other tests of this process
        root.handlers[:] = handlers
        root.setLevel(level)
        httpx_logger.setLevel(httpx_level)
    assert status == 1
    assert f"error: {path}: comfyui GET /object_info: connection failed" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_the_engines_are_built_in_image_backends() -> None:
    assert set(BUILTIN_IMAGE_BACKENDS) == {"comfyui", "sdwebui", "demo"}


@pytest.mark.parametrize("engine", ["comfyui", "sdwebui"])
@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        ({"image_model_map": {"Deliberate": "deliberate.safetensors"}}, "image_backend_url"),
        ({"image_backend_url": "http://127.0.0.1:8188"}, "image_model_map"),
    ],
)
def test_an_engine_without_its_url_or_model_map_is_refused(
    tmp_path: Path, engine: str, settings: dict[str, Any], missing: str
) -> None:
    config = ImageWorkerDeployConfig(image_backend=engine, **settings)
    with pytest.raises(BackendConfigError, match=missing):
        load_image_backend(config)
    lines = [f"api_key: {KEY}\ndreamer_name: d\nimage_backend: {engine}"]
    if "image_backend_url" in settings:
        lines.append(f"image_backend_url: {settings['image_backend_url']!r}")
    if "image_model_map" in settings:
        lines.append('image_model_map: {"Deliberate": "deliberate.safetensors"}')
    path = tmp_path / "bridgeData.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, _out, err = check_config(path)
    assert status == 1
    assert missing in err


def test_a_blank_model_map_entry_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        ImageWorkerDeployConfig(image_model_map={"Deliberate": " "})


class _Engine:
    available_models = ("A", "B", "C")


@pytest.mark.parametrize(
    ("load", "skip", "resolved", "offered"),
    [
        ([], [], (), ("A", "B", "C")),  # nothing chosen: everything the engine has
        ([], ["B"], (), ("A", "C")),
        (["B", "Z"], [], ("B", "Z"), ("B",)),  # Z has no checkpoint on the engine
    ],
)
def test_the_worker_offers_only_the_models_the_engine_can_run(
    load: list[str], skip: list[str], resolved: tuple[str, ...], offered: tuple[str, ...]
) -> None:
    config = ImageWorkerDeployConfig(
        models_to_load=ModelSelection.model_validate(load), models_to_skip=ModelSelection.model_validate(skip)
    )
    assert _runnable_models(_Engine(), config, resolved) == offered  # type: ignore[arg-type]  # a duck-typed fake engine stands in for the backend


def test_a_backend_that_does_not_say_what_it_runs_offers_the_resolved_models() -> None:
    config = ImageWorkerDeployConfig(models_to_load=ModelSelection.model_validate(["X"]))
    assert _runnable_models(DemoImageBackend(), config, ("X",)) == ("X",)
