"""A production-shaped ``GET /v2/workers`` answer for the parsing benchmark (deterministic, no network).

The shape follows what the public horde returns to an anonymous caller: about three image workers for
every two text workers plus a few alchemists; image workers serve anything from one model to a few hundred,
text workers one model each; most workers carry an owner's note, a team and a kudos breakdown. Privileged
fields (``ipaddr``, ``suspicious``, ``contact``, ``messages``) are absent, as they are for everyone but
moderators and the owner.
"""

from __future__ import annotations

import json
import random
from typing import Any

PRODUCTION_WORKER_COUNT = 113
"""How many workers the public horde listed when the benchmark's reference figures were taken."""

_IMAGE_MODEL_COUNTS = (1, 1, 1, 2, 3, 4, 6, 10, 18, 35, 60, 120, 240)
_FORMS = ("caption", "interrogation", "nsfw", "post-process")


def _uuid(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-8{value[17:20]}-{value[20:32]}"


def _common(rng: random.Random, index: int, kind: str) -> dict[str, Any]:
    worker: dict[str, Any] = {
        "type": kind,
        "name": f"{kind}-worker-{index:03d}",
        "id": _uuid(rng),
        "online": True,
        "requests_fulfilled": rng.randrange(0, 5_000_000),
        "kudos_rewards": round(rng.uniform(0, 5e7), 1),
        "kudos_details": {"generated": round(rng.uniform(0, 4e7), 1), "uptime": rng.randrange(0, 9_000_000)},
        "threads": rng.choice((1, 1, 1, 2, 3)),
        "uptime": rng.randrange(0, 90_000_000),
        "maintenance_mode": rng.random() < 0.05,
        "nsfw": rng.random() < 0.6,
        "trusted": rng.random() < 0.7,
        "flagged": False,
        "uncompleted_jobs": rng.randrange(0, 3000),
        "bridge_agent": rng.choice(
            (
                "AI Horde Worker reGen:9.1.0:https://github.com/Haidra-Org/horde-worker-reGen",
                "KoboldCppEmbedWorker:2:https://github.com/LostRuins/koboldcpp",
                "AI Horde Worker:24:https://github.com/db0/AI-Horde-Worker",
                "horde-worker:0.1.0:https://example.org/horde-worker",
            )
        ),
        "info": rng.choice(("", "Running on a 4090, be nice", "Community worker; questions to the team channel")),
        "owner": None,
    }
    if rng.random() < 0.4:
        worker["team"] = {"name": f"team-{rng.randrange(20)}", "id": _uuid(rng)}
    else:
        worker["team"] = {"name": None, "id": None}
    return worker


def production_workers(count: int = PRODUCTION_WORKER_COUNT, seed: int = 113) -> list[dict[str, Any]]:
    """Return ``count`` worker details shaped like the public horde's answer (same ``seed``, same list)."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    image_models = [f"image-model-{n:03d}" for n in range(400)]
    workers = []
    for index in range(count):
        roll = index % 14
        if roll < 8:
            worker = _common(rng, index, "image")
            worker.update(
                models=rng.sample(image_models, rng.choice(_IMAGE_MODEL_COUNTS)),
                performance=f"{rng.uniform(0.1, 4):.1f} megapixelsteps per second",
                max_pixels=rng.choice((262144, 1048576, 2097152, 4194304)),
                megapixelsteps_generated=round(rng.uniform(0, 9e8), 1),
                img2img=rng.random() < 0.8,
                painting=rng.random() < 0.6,
                lora=rng.random() < 0.7,
                controlnet=rng.random() < 0.4,
                sdxl_controlnet=rng.random() < 0.2,
                **{"post-processing": rng.random() < 0.8},
            )
        elif roll < 13:
            worker = _common(rng, index, "text")
            worker.update(
                models=[f"koboldcpp/text-model-{rng.randrange(60):02d}-{rng.choice(('7B', '12B', '24B', '70B'))}"],
                performance=f"{rng.uniform(1, 40):.1f} tokens per second",
                max_length=rng.choice((256, 512, 1024)),
                max_context_length=rng.choice((4096, 8192, 16384, 32768)),
                tokens_generated=round(rng.uniform(0, 5e8), 1),
            )
        else:
            worker = _common(rng, index, "interrogation")
            worker.update(forms=list(_FORMS), performance=f"{rng.uniform(1, 20):.1f} forms per second")
        workers.append(worker)
    return workers


def production_workers_json(count: int = PRODUCTION_WORKER_COUNT) -> bytes:
    """The same answer as JSON bytes, as it arrives over the wire."""
    return json.dumps(production_workers(count)).encode("utf-8")
