"""Generate an image with the async simple client and print its progress as it happens.

    python docs/examples/image_async_progress.py "a castle in the clouds" --out pictures

Server and key: ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY`` (default: the public AI Horde, anonymous key).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import anyio

from horde_sdk.ai_horde_api import ANON_API_KEY, AIHordeAPIAsyncSimpleClient, GenerationProgress
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"


def describe(event: GenerationProgress) -> str:
    """One line per progress event: state, queue position, the server's estimate, finished of n."""
    return (
        f"{event.elapsed:5.1f}s {event.state:<11} queue {event.queue_position:>3} "
        f"eta {event.wait_time:>4.0f}s {event.finished}/{event.n}"
    )


# --8<-- [start:generate]
async def generate(args: argparse.Namespace) -> int:
    request = ImageGenerateAsyncRequest(prompt=args.prompt)
    async with AIHordeAPIAsyncSimpleClient(
        base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT
    ) as client:
        # Iterate the job's progress events, then take its result.
        async with client.image_generate_stream(request, timeout=600) as stream:
            async for event in stream:
                print(describe(event))
            result = await stream.result()
        # The same with a callback; many requests run concurrently in one call.
        more = await client.image_generate_requests(
            [ImageGenerateAsyncRequest(prompt=f"{args.prompt}, variation {i}") for i in (1, 2)],
            on_progress=lambda event: print(f"job {event.index}: {describe(event)}"),
        )

    args.out.mkdir(parents=True, exist_ok=True)
    for number, generation in enumerate([*result.generations, *(g for r in more for g in r.generations)], 1):
        (args.out / f"async_{number}.webp").write_bytes(generation.image)
    print(f"wrote {number} images to {args.out}")
    return 0


# --8<-- [end:generate]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate an image and print its progress.")
    parser.add_argument("prompt", nargs="?", default="a castle in the clouds")
    parser.add_argument("--out", type=Path, default=Path(), help="the folder to write the images to")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)
    return anyio.run(generate, args)


if __name__ == "__main__":
    raise SystemExit(main())
