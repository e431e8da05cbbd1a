"""Ask what a request would cost in kudos, without queueing anything.

    python docs/examples/dry_run_kudos.py "a lighthouse at dusk" --steps 40 -n 4

Server and key: ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY`` (default: the public AI Horde, anonymous key).
"""

from __future__ import annotations

import argparse
import os

from horde_sdk.ai_horde_api import ANON_API_KEY, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest, TextGenerateAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Estimate the kudos cost of an image and a text request.")
    parser.add_argument("prompt", nargs="?", default="a lighthouse at dusk")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("-n", type=int, default=1, help="how many images")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)

    # --8<-- [start:estimate]
    image = ImageGenerateAsyncRequest.model_validate(
        {"prompt": args.prompt, "params": {"steps": args.steps, "n": args.n}}
    )
    text = TextGenerateAsyncRequest.model_validate({"prompt": args.prompt, "params": {"max_length": 200}})
    with AIHordeAPISimpleClient(base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT) as client:
        image_estimate = client.image_generate_request_dry_run(image)
        text_estimate = client.text_generate_request_dry_run(text)
    print(f"{args.n} image(s) of {args.steps} steps: {image_estimate.kudos:g} kudos")
    print(f"200 tokens of text: {text_estimate.kudos:g} kudos")
    # --8<-- [end:estimate]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
