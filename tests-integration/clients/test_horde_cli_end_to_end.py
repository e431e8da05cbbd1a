"""The ``horde`` command end to end: its main() against the local horde, served by the SDK's own worker.

The worker is a `WorkerRuntime` with the demo backends (real WebP images drawn from the prompt and the seed,
texts, alchemy forms), so what the command writes can be opened and compared. The command runs in a thread
beside it, with its own ``--timeout``; every test is bounded by ``anyio.fail_after``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from horde_local.testing import KEYS, HordeEnv
from PIL import Image
from pydantic import SecretStr

from horde_sdk.ai_horde_api import cli
from horde_sdk.deploy_config import CombinedWorkerDeployConfig, ModelSelection
from horde_sdk.worker.backends import DemoAlchemyBackend, DemoImageBackend, DemoTextBackend
from horde_sdk.worker.runtime import RuntimeOptions, WorkerRuntime

pytestmark = pytest.mark.anyio

TEXT_MODEL = "test/text-model"
FAST = RuntimeOptions(pop_interval=0.02, retry_delay=0.02, pop_error_backoff=0.05, maintenance_pause=0.05)
BOUND = 60.0
"""Seconds any one command may take here (its own ``--timeout`` is shorter)."""


@asynccontextmanager
async def serving(horde: HordeEnv) -> AsyncIterator[None]:
    """The SDK worker (demo backends for images, text and alchemy) serving the local horde for the block."""
    config = CombinedWorkerDeployConfig(
        api_key=SecretStr(KEYS["worker"].key),
        horde_url=horde.base_url,
        dreamer_name="cli-dreamer",
        scribe_name="cli-scribe",
        alchemist_name="cli-alchemist",
        models_to_load=ModelSelection.model_validate(["Test Model"]),
        model_name=TEXT_MODEL,
        max_context_length=4096,
        max_length=200,
        forms=("caption", "nsfw", "interrogation", "post-process"),
        max_threads=1,
    )
    runtime = WorkerRuntime(
        config,
        image_backend=DemoImageBackend(),
        text_backend=DemoTextBackend(),
        alchemy_backend=DemoAlchemyBackend(),
        options=FAST,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(runtime.run)
        with anyio.fail_after(20):
            await runtime.wait_ready()
        try:
            yield
        finally:
            runtime.request_stop()


async def horde_command(horde: HordeEnv, *argv: str, job_timeout: float = 30.0) -> int:
    """Run ``horde ARGV`` (its main()) against the local horde as the user alice; return its exit status."""
    arguments = [
        "--api-url",
        horde.base_url,
        "--api-key",
        KEYS["alice"].key,
        *argv[:1],
        "--timeout",
        str(job_timeout),
        *argv[1:],
    ]
    with anyio.fail_after(BOUND):
        return await anyio.to_thread.run_sync(functools.partial(cli.main, arguments), abandon_on_cancel=True)


def written_images(directory: Path, size: tuple[int, int]) -> list[bytes]:
    """The WebP files the command wrote in ``directory`` (checked to open as WebP images of ``size``)."""
    found = []
    for path in sorted(directory.glob("*.webp")):
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "WEBP"
            assert image.size == size
        found.append(data)
    return found


async def test_image_writes_decodable_and_different_files(
    horde: HordeEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-n 2`` gives two jobs, each with its own random seed (BEHAVIOUR.md), so two different images."""
    async with serving(horde):
        size = ("--width", "256", "--height", "320")
        status = await horde_command(horde, "image", "a lighthouse at dusk", "-n", "2", *size, "--out", str(tmp_path))
    assert status == 0, capsys.readouterr().err
    first, second = written_images(tmp_path, (256, 320))
    assert first != second
    out = capsys.readouterr().out
    assert out.count("worker=cli-dreamer") == 2
    seeds = {line.split("seed=")[1].split()[0] for line in out.splitlines() if "seed=" in line}
    assert len(seeds) == 2
    assert "2 image(s)" in out


async def test_text_prints_the_text(horde: HordeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    async with serving(horde):
        status = await horde_command(horde, "text", "Once upon a time", "--model", TEXT_MODEL)
    assert status == 0, capsys.readouterr().err
    assert "demo text" in capsys.readouterr().out


async def test_alchemy_prints_typed_results_and_writes_the_upscaled_image(
    horde: HordeEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.png"
    Image.new("RGB", (64, 48), (30, 90, 200)).save(source)
    out_dir = tmp_path / "out"
    forms = ("caption", "nsfw", "interrogation", "RealESRGAN_x2plus")
    async with serving(horde):
        status = await horde_command(
            horde, "alchemy", str(source), *(f"--form={form}" for form in forms), "--out", str(out_dir)
        )
    assert status == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.splitlines()
    # Each form read as its kind: no "form (state): raw" line, which is how untyped results are printed.
    assert [line.split(":")[0] for line in lines] == list(forms)
    assert "nsfw: no" in lines
    assert lines[2].startswith("interrogation: {")
    assert len(written_images(out_dir, (128, 96))) == 1


async def test_an_unknown_form_fails_at_once_with_the_servers_message(
    horde: HordeEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The horde refuses a form outside its enumeration (400); the command says so instead of polling."""
    source = tmp_path / "source.png"
    Image.new("RGB", (8, 8)).save(source)
    status = await horde_command(horde, "alchemy", str(source), "--form", "nope", job_timeout=5.0)
    err = capsys.readouterr().err
    assert status == cli.EXIT_ERROR
    assert "Input payload validation failed" in err
    assert "forms.0.name: 'nope' is not one of ['caption'" in err
    assert horde.horde.open_requests() == []
