"""Caption an image (alchemy): describe a picture in one sentence.

    python docs/examples/alchemy_caption.py photo.webp

Without a file it sends a tiny built-in image. Server and key: ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY``
(default: the public AI Horde, anonymous key).
"""

from __future__ import annotations

import argparse
import base64
import os
from pathlib import Path

from horde_sdk.ai_horde_api import ANON_API_KEY, AIHordeAPISimpleClient, AlchemyCaptionResult
from horde_sdk.ai_horde_api.apimodels import AlchemyAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"

# A 1x1 white WebP, so that the example runs without arguments.
TINY_WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Caption an image.")
    parser.add_argument("image", nargs="?", type=Path, help="the image file (WebP, PNG or JPEG)")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)

    image = args.image.read_bytes() if args.image else TINY_WEBP
    request = AlchemyAsyncRequest.model_validate(
        {"source_image": base64.b64encode(image).decode("ascii"), "forms": [{"name": "caption"}]}
    )
    with AIHordeAPISimpleClient(base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT) as client:
        result = client.alchemy_request(request, timeout=600)
    caption = result.get("caption")
    if not isinstance(caption, AlchemyCaptionResult):
        print(f"no caption ({result.state})")
        return 1
    print(caption.caption)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
