"""Every runnable example of the documentation (docs/examples/*.py) against the local horde.

Each example takes its server and key from ``AI_HORDE_URL`` / ``AI_HORDE_API_KEY``; here they point at the
test process's local horde, where scripted workers (in a background thread) complete the jobs. The examples
are loaded from their files and their ``main(argv)`` is called, exactly as ``python docs/examples/x.py`` does.
"""

from __future__ import annotations

import importlib.util
import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from horde_local import ScriptedWorker
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv
from PIL import Image

from horde_sdk.ai_horde_api import AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def load(name: str) -> ModuleType:
    """Import ``docs/examples/<name>.py`` from its file."""
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_example(horde: HordeEnv, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """Call an example's ``main`` with the local horde and alice's key in the environment."""
    monkeypatch.setenv("AI_HORDE_URL", horde.base_url)
    monkeypatch.setenv("AI_HORDE_API_KEY", KEYS["alice"].key)

    def run(name: str, *argv: str) -> int:
        status: int = load(name).main(list(argv))
        return status

    return run


@pytest.fixture
def workers(horde: HordeEnv) -> Iterator[list[ScriptedWorker]]:
    """An image, a text and an alchemy worker serving in a background thread."""
    with horde.serving_workers("docs") as workers:
        yield workers


def test_every_example_is_tested() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    examples = {path.stem for path in EXAMPLES.glob("*.py") if not path.stem.startswith("_")}
    assert examples <= tested, f"examples without a test: {sorted(examples - tested)}"


def test_image_sync(run_example, workers, horde, tmp_path, capsys) -> None:
    assert run_example("image_sync", "a lighthouse", "-n", "2", "--out", str(tmp_path)) == 0
    images = sorted(tmp_path.glob("*.webp"))
    assert [path.name for path in images] == ["image_1.webp", "image_2.webp"]
    assert all(path.read_bytes().startswith(b"RIFF") for path in images)
    assert "kudos" in capsys.readouterr().out
    assert horde.horde.open_requests() == []


def test_image_async_progress(run_example, workers, tmp_path, capsys) -> None:
    assert run_example("image_async_progress", "a castle", "--out", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "submitted" in out
    assert "done" in out
    assert "job 1:" in out
    assert len(list(tmp_path.glob("*.webp"))) == 3


def test_cancellation(run_example, horde, capsys) -> None:
    # No worker: the request waits in the queue until the deadline cancels it.
    assert run_example("cancellation", "nobody paints this", "--after", "1.5") == 1
    assert "cancelled on the server" in capsys.readouterr().out
    requests = list(horde.horde.state.requests.values())
    assert len(requests) == 1
    assert requests[0].cancelled
    assert horde.horde.open_requests() == []


def test_dry_run_kudos(run_example, horde, capsys) -> None:
    assert run_example("dry_run_kudos", "a lighthouse", "--steps", "40", "-n", "2") == 0
    out = capsys.readouterr().out
    assert "2 image(s) of 40 steps:" in out
    assert "200 tokens of text:" in out
    assert horde.horde.state.requests == {}  # nothing was queued


def test_text(run_example, workers, capsys) -> None:
    assert run_example("text", "Once upon a time", "--max-length", "32") == 0
    # The scripted text worker writes "<prompt> ... and so the story went on (<generation id>)".
    header, text = capsys.readouterr().out.splitlines()
    assert header == "[koboldcpp/tiny by docs-text]"
    assert re.fullmatch(r"Once upon a time \.\.\. and so the story went on \([0-9a-f-]{8}\)", text), text


def test_alchemy_caption(run_example, workers, capsys) -> None:
    assert run_example("alchemy_caption") == 0
    # The scripted alchemist's caption, as the server handed it back.
    assert capsys.readouterr().out == "a picture of something\n"


def test_error_handling(run_example, horde, monkeypatch, capsys) -> None:
    assert run_example("error_handling", "a lighthouse", "--model", "No Such Model") == 2
    assert "no worker can serve" in capsys.readouterr().out
    assert horde.horde.open_requests() == []  # the client cancelled it before raising
    monkeypatch.setenv("AI_HORDE_API_KEY", "not-a-known-key")
    assert run_example("error_handling", "a lighthouse") == 6
    assert "refused: HTTP 401" in capsys.readouterr().out


def test_worker_custom_backend(horde, monkeypatch, capsys) -> None:
    # The example is the worker: it runs in a thread with the worker owner's key; alice asks for an image.
    monkeypatch.setenv("AI_HORDE_URL", horde.base_url)
    monkeypatch.setenv("AI_HORDE_API_KEY", KEYS["worker"].key)
    example = load("worker_custom_backend")
    model, name = "Docs Solid Colour", "docs-solid-colour"
    status: list[int] = []
    worker = threading.Thread(
        target=lambda: status.append(
            example.main(["--model", model, "--name", name, "--max-jobs", "1", "--seconds", "60"])
        ),
        daemon=True,
    )
    worker.start()
    deadline = time.monotonic() + 30
    while name not in horde.horde.all_worker_counts():  # registered by its first pop
        assert worker.is_alive(), status
        assert time.monotonic() < deadline, "the example's worker never popped"
        time.sleep(0.05)

    with AIHordeAPISimpleClient(
        base_url=horde.base_url, api_key=KEYS["alice"].key, client_agent="docs-test:1:none", timeouts=TIMEOUTS
    ) as client:
        result = client.image_generate_request(
            ImageGenerateAsyncRequest(prompt="a red square", models=(model,)), timeout=60
        )
    worker.join(30)
    assert not worker.is_alive()
    assert status == [0]

    (generation,) = result.generations
    image = Image.open(io.BytesIO(generation.image))
    assert image.format == "WEBP"
    assert generation.image == example.solid_colour_webp("a red square", image.width, image.height)
    out = capsys.readouterr().out
    assert "worker registered" in out
    assert "submitted 1, faulted 0" in out
    counts = horde.horde.worker_counts(name)
    assert counts.balanced, counts
    assert counts.in_flight == 0, counts
