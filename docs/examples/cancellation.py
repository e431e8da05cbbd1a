"""Give up on a request: leaving a call early cancels its job on the server before control returns.

    python docs/examples/cancellation.py "a very slow painting" --after 5

Any way out cancels the job: a deadline (``anyio.move_on_after`` here, or the ``timeout`` argument), an
exception, a cancelled task, Ctrl-C. ``on_impossible="wait"`` keeps waiting even while no worker can serve the
request, so that the deadline is what ends it.

Server and key: ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY`` (default: the public AI Horde, anonymous key).
"""

from __future__ import annotations

import argparse
import os

import anyio

from horde_sdk.ai_horde_api import ANON_API_KEY, AIHordeAPIAsyncSimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"


# --8<-- [start:generate]
async def generate(args: argparse.Namespace) -> int:
    request = ImageGenerateAsyncRequest(prompt=args.prompt)
    async with AIHordeAPIAsyncSimpleClient(
        base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT
    ) as client:
        with anyio.move_on_after(args.after) as scope:
            result = await client.image_generate_request(
                request, on_impossible="wait", on_progress=lambda event: print(event.state, event.job_id[:8])
            )
        if scope.cancelled_caught:
            print(f"gave up after {args.after:g} s; the request was cancelled on the server")
            return 1
    print(f"finished in time: {len(result.generations)} image(s)")
    return 0


# --8<-- [end:generate]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cancel an image request that takes too long.")
    parser.add_argument("prompt", nargs="?", default="a very slow painting")
    parser.add_argument("--after", type=float, default=5.0, help="seconds to wait before giving up")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)
    return anyio.run(generate, args)


if __name__ == "__main__":
    raise SystemExit(main())
