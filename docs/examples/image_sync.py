"""Generate images with the blocking simple client and save them as WebP files.

    python docs/examples/image_sync.py "a lighthouse at dusk" -n 2 --out pictures

The server and key come from ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY`` (or ``--api-url``/``--api-key``);
by default the public AI Horde and the anonymous key.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from horde_sdk.ai_horde_api import ANON_API_KEY, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate images and save them.")
    parser.add_argument("prompt", nargs="?", default="a lighthouse at dusk, oil painting")
    parser.add_argument("-n", type=int, default=1, help="how many images (one batch)")
    parser.add_argument("--out", type=Path, default=Path(), help="the folder to write the images to")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)

    request = ImageGenerateAsyncRequest.model_validate({"prompt": args.prompt, "params": {"n": args.n}})
    with AIHordeAPISimpleClient(base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT) as client:
        result = client.image_generate_request(request, timeout=600)

    args.out.mkdir(parents=True, exist_ok=True)
    for number, generation in enumerate(result.generations, start=1):
        path = args.out / f"image_{number}.webp"
        path.write_bytes(generation.image)  # already downloaded: bytes, not a URL
        print(f"{path}: seed {generation.seed}, model {generation.model}, by {generation.worker_name}")
    print(f"cost {result.kudos:g} kudos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
