"""Generate text with the blocking simple client.

    python docs/examples/text.py "Once upon a time" --max-length 120

Server and key: ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY`` (default: the public AI Horde, anonymous key).
"""

from __future__ import annotations

import argparse
import os

from horde_sdk.ai_horde_api import ANON_API_KEY, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import TextGenerateAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Continue a prompt.")
    parser.add_argument("prompt", nargs="?", default="Once upon a time")
    parser.add_argument("--max-length", type=int, default=80, help="tokens to write at most (16 to 4096)")
    parser.add_argument("--model", action="append", help="a model that may write it (repeatable)")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)

    request = TextGenerateAsyncRequest.model_validate(
        {"prompt": args.prompt, "params": {"max_length": args.max_length}, "models": args.model}
    )
    with AIHordeAPISimpleClient(base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT) as client:
        result = client.text_generate_request(request, timeout=600)
    for generation in result.generations:
        print(f"[{generation.model} by {generation.worker_name}]")
        print(generation.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
