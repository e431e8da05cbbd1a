"""The project's main job: a local AI Horde, a worker with the demo backends, and a client asking for work.

``hatch run demo [--out DIR]`` does, on this machine only (loopback):

1. starts a local AI Horde (tools/local-horde) on a free port;
2. writes a ``bridgeData.yaml`` for a worker serving images, text and alchemy with the built-in ``demo``
   backends, and starts ``horde-worker run --config bridgeData.yaml`` (the command an operator runs);
3. asks for an image, a text and an alchemy caption through `AIHordeAPISimpleClient`: the same client code that
   talks to https://aihorde.net/api when given that URL and a real API key;
4. writes the results and the worker's log to the output folder, stops the worker with SIGINT (a graceful
   stop) and prints where everything is.

The demo backends produce placeholder art and text; a real worker names its engine in ``image_backend`` etc.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from horde_local import LocalHorde, LocalHordeServer
from horde_local.testing import KEYS, test_config

from horde_sdk.ai_horde_api import AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyFormEntry,
    ImageGenerateAsyncRequest,
    TextGenerateAsyncRequest,
)

DEMO_IMAGE_MODEL = "Demo Diffusion"
DEMO_TEXT_MODEL = "demo/storyteller"
CLIENT_AGENT = "horde-sdk-demo:0.1.0:https://github.com/Haidra-Org/horde-sdk"
REGISTER_TIMEOUT = 30.0


def bridge_data(horde_url: str, api_key: str) -> str:
    """Return the demo worker's configuration file (what an operator writes, with the demo backends)."""
    return f"""\
# A worker serving all three kinds with the built-in demo backends.
api_key: "{api_key}"
horde_url: "{horde_url}"
dreamer_name: "demo-dreamer"
scribe_name: "demo-scribe"
alchemist_name: "demo-alchemist"
max_threads: 2
queue_size: 1
stats_output_frequency: 10
models_to_load: ["{DEMO_IMAGE_MODEL}"]
image_backend: demo
text_backend: demo
model_name: "{DEMO_TEXT_MODEL}"
max_length: 120
max_context_length: 4096
alchemy_backend: demo
forms: [caption, interrogation, post-process]
"""


def wait_for_workers(horde: LocalHorde, names: set[str], worker: subprocess.Popen[bytes]) -> None:
    """Wait until the worker popped once for every kind (it is then registered with the horde)."""
    deadline = time.monotonic() + REGISTER_TIMEOUT
    while not names <= set(horde.all_worker_counts()):
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with status {worker.returncode}; see its log")
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not register within 30 s; see its log")
        time.sleep(0.1)


def ask_for_work(base_url: str, api_key: str, out: Path) -> list[Path]:
    """The client side: what a bot or an app does (point `base_url` at https://aihorde.net/api for real)."""
    written: list[Path] = []
    with AIHordeAPISimpleClient(base_url=base_url, api_key=api_key, client_agent=CLIENT_AGENT) as client:
        image_result = client.image_generate_request(
            ImageGenerateAsyncRequest(prompt="a lighthouse at dusk, oil painting", models=(DEMO_IMAGE_MODEL,))
        )
        image = image_result.generations[0]
        image_path = out / "lighthouse.webp"
        image_path.write_bytes(image.image)
        written.append(image_path)
        print(f"image: {len(image.image)} bytes of webp from {image.worker_name}, seed {image.seed}")

        text_result = client.text_generate_request(
            TextGenerateAsyncRequest(prompt="The lighthouse keeper opened the door and", models=(DEMO_TEXT_MODEL,))
        )
        text_path = out / "story.txt"
        text_path.write_text(text_result.generations[0].text + "\n", encoding="utf-8")
        written.append(text_path)
        print(f"text: {text_result.generations[0].text!r}")

        alchemy_result = client.alchemy_request(
            AlchemyAsyncRequest(
                forms=(AlchemyFormEntry(name="caption"),),
                source_image=base64.b64encode(image.image).decode("ascii"),
            )
        )
        caption = alchemy_result.get("caption")
        caption_text = getattr(caption, "caption", "")
        caption_path = out / "caption.txt"
        caption_path.write_text(f"{caption_text}\n", encoding="utf-8")
        written.append(caption_path)
        print(f"caption: {caption_text!r}")
    return written


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the exit status (130 when interrupted by Ctrl-C or SIGTERM)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=Path("demo-output"), help="where results go (default: demo-output)"
    )
    arguments = parser.parse_args(argv)
    out: Path = arguments.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # SIGTERM (a process manager, `kill`) stops the demo like Ctrl-C: the worker and the local horde with it.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(out)
    except KeyboardInterrupt:
        print("demo: interrupted; the worker and the local horde are stopped", flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(out: Path) -> int:
    """The demo proper: the local horde, the worker, the client; the worker is stopped however it ends."""
    started = time.monotonic()
    horde = LocalHorde(test_config())
    with LocalHordeServer(horde) as server:
        print(f"local AI Horde: {server.base_url}", flush=True)
        config_path = out / "bridgeData.yaml"
        config_path.write_text(bridge_data(server.base_url, KEYS["worker"].key), encoding="utf-8")
        log_path = out / "worker.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "horde_sdk.worker.cli",
                    "run",
                    "--config",
                    str(config_path),
                    "--pop-interval",
                    "0.2",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            try:
                wait_for_workers(horde, {"demo-dreamer", "demo-scribe", "demo-alchemist"}, worker)
                print("worker: registered (demo backends)", flush=True)
                written = ask_for_work(server.base_url, KEYS["alice"].key, out)
            finally:
                status = stop_worker(worker)
        counts = horde.all_worker_counts()
    print(f"worker: stopped with status {status}; jobs submitted: {sum(c.submitted for c in counts.values())}")
    print(f"\ndone in {time.monotonic() - started:.1f} s. Results in {out}:")
    for path in [*written, config_path, log_path]:
        print(f"  {path}")
    return 0 if status == 0 else 1


def stop_worker(worker: subprocess.Popen[bytes]) -> int:
    """Stop the worker gracefully (SIGINT), killing it if it has not ended in 60 s, even if interrupted again."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
    try:
        return worker.wait(timeout=60)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        worker.kill()
        return worker.wait()


if __name__ == "__main__":
    raise SystemExit(main())
