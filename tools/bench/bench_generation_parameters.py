"""Benchmark horde_sdk.generation_parameters: cold import time and validation throughput.

Run with ``python tools/bench/bench_generation_parameters.py``. It prints, and never asserts:

* the median cold import time over several fresh interpreters, of the bare package (what
  ``import horde_sdk.generation_parameters`` costs) and of the first use of its parameter classes (which loads
  pydantic and the models), next to the 150 ms target;
* the first validation of a full image parameter set in a fresh interpreter (validators are built on first use);
* the validation throughput (parameter sets per second) of a full image parameter set with LoRas, textual
  inversions, ControlNet, hires fix and post-processing.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import clean_venv

IMPORT_TARGET_MS = 150.0
"""The cold import target of the package on the project's machines, pydantic included."""

_TIMED_IMPORT = "import time\nstart = time.perf_counter()\n{statement}\nprint((time.perf_counter() - start) * 1000)\n"

IMPORT_CASES: dict[str, str] = {
    "import horde_sdk.generation_parameters": "import horde_sdk.generation_parameters",
    "first use of the parameter classes (pydantic + models)": (
        "from horde_sdk.generation_parameters import "
        "AlchemyParameters, ImageGenerationParameters, TextGenerationParameters"
    ),
    "reference: from pydantic import BaseModel": "from pydantic import BaseModel",
}


def full_image_parameters() -> dict[str, Any]:
    """Return the input of a full image parameter set: every optional feature in use.

    Returns:
        A dict ready for `ImageGenerationParameters.model_validate`.
    """
    return {
        "prompt": "a lighthouse on a cliff at dusk, oil painting",
        "negative_prompt": "blurry, low quality",
        "model": "AlbedoBase XL (SDXL)",
        "model_baseline": "stable_diffusion_xl",
        "width": 1024,
        "height": 768,
        "steps": 30,
        "cfg_scale": 6.5,
        "sampler_name": "k_dpmpp_2m",
        "scheduler": "karras",
        "seed": "1312",
        "denoising_strength": 0.6,
        "clip_skip": 2,
        "batch_size": 4,
        "source_processing": "img2img",
        "img2img": {"source_image": "https://example.com/source.webp"},
        "controlnet": {"control_type": "canny", "return_control_map": False},
        "hires_fix": {"denoising_strength": 0.4, "first_pass_width": 512, "first_pass_height": 384},
        "loras": [
            {"name": "GlowingRunes", "model_strength": 0.8, "clip_strength": 1.0, "inject_trigger": "any"},
            {"name": "247778", "is_version": True},
        ],
        "tis": [{"name": "7808", "inject_ti": "negprompt", "strength": 0.5}],
        "extra_texts": [{"text": "https://aihorde.net", "reference": "qr_text"}],
        "post_processing": {"post_processors": ["RealESRGAN_x4plus", "CodeFormers"], "facefixer_strength": 0.7},
    }


def median_subprocess_ms(statement: str, runs: int, python: str = sys.executable) -> list[float]:
    """Time `statement` in `runs` fresh interpreters (measured inside each, excluding interpreter start-up).

    Args:
        statement: Python code to time.
        runs: How many fresh interpreters to start.
        python: The interpreter to run (a clean venv's, so that unrelated installed packages do not count).

    Returns:
        The sorted timings in milliseconds.
    """
    timings = []
    for _ in range(runs):
        result = subprocess.run(
            [python, "-c", _TIMED_IMPORT.format(statement=statement)],
            capture_output=True,
            text=True,
            check=True,
        )
        timings.append(float(result.stdout.strip().splitlines()[-1]))
    return sorted(timings)


def measure_throughput(seconds: float) -> tuple[int, float]:
    """Validate the full image parameter set repeatedly for about `seconds`.

    Args:
        seconds: How long to keep validating.

    Returns:
        The number of validations and the elapsed time in seconds.
    """
    from horde_sdk.generation_parameters import ImageGenerationParameters

    data = full_image_parameters()
    ImageGenerationParameters.model_validate(data)  # build the validators before timing
    count = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for _ in range(200):
            ImageGenerationParameters.model_validate(data)
        count += 200
        elapsed = time.perf_counter() - start
    return count, elapsed


def main() -> None:
    """Parse the options, run the measurements and print the results."""
    parser = argparse.ArgumentParser(description="Benchmark horde_sdk.generation_parameters.")
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per import measurement")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of the throughput measurement")
    options = parser.parse_args()

    print(
        f"Cold import time in a clean venv holding only horde-sdk-generation-parameters "
        f"(median of {options.runs} fresh interpreters; target {IMPORT_TARGET_MS:.0f} ms)"
    )
    # A development environment holds many packages; pydantic scans every installed distribution for
    # plugins at import, so figures taken there overstate what a user's install pays.
    with clean_venv("horde-sdk-generation-parameters") as python:
        for label, statement in IMPORT_CASES.items():
            timings = median_subprocess_ms(statement, options.runs, python)
            median = statistics.median(timings)
            verdict = ""
            if not label.startswith("reference"):
                verdict = " (within target)" if median < IMPORT_TARGET_MS else " (over target)"
            print(f"  {label}: median {median:.1f} ms, min {timings[0]:.1f} ms, max {timings[-1]:.1f} ms{verdict}")

        first_validation = median_subprocess_ms(
            "from horde_sdk.generation_parameters import ImageGenerationParameters\n"
            "ImageGenerationParameters.model_validate(" + repr(full_image_parameters()) + ")",
            options.runs,
            python,
        )
    print(
        "  import + first validation of a full image parameter set: "
        f"median {statistics.median(first_validation):.1f} ms",
    )

    count, elapsed = measure_throughput(options.seconds)
    print("Validation throughput of a full image parameter set (LoRas, TIs, ControlNet, hires fix, post-processing)")
    print(f"  {count / elapsed:,.0f} parameter sets/s ({count} validations in {elapsed:.2f} s)")


if __name__ == "__main__":
    main()
