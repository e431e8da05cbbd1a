"""Handle what can go wrong with a generation: every error is an exception, raised after the job was cancelled.

    python docs/examples/error_handling.py "a lighthouse" --model "No Such Model" --timeout 60

Exit status: 0 done, 2 no worker can serve it, 3 timed out (finished images kept), 4 faulted, 5 rate limited,
6 refused by the server (bad key, too few kudos...), 7 network trouble.
Server and key: ``AI_HORDE_URL`` and ``AI_HORDE_API_KEY`` (default: the public AI Horde, anonymous key).
"""

from __future__ import annotations

import argparse
import os

from horde_sdk.ai_horde_api import (
    ANON_API_KEY,
    RC,
    AIHordeAPISimpleClient,
    AIHordeGenerationTimeoutError,
    AIHordeJobFaultedError,
    AIHordeJobImpossibleError,
    HordeAPIError,
    HordeRateLimitedError,
    HordeTransportError,
)
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

CLIENT_AGENT = "horde-sdk-docs-example:1.0:https://github.com/Haidra-Org/horde-sdk"


# --8<-- [start:generate]
def generate(client: AIHordeAPISimpleClient, request: ImageGenerateAsyncRequest, timeout: float) -> int:
    try:
        result = client.image_generate_request(request, timeout=timeout)
    except AIHordeJobImpossibleError as error:
        print(f"no worker can serve this request now: {error}")
        return 2
    except AIHordeGenerationTimeoutError as error:
        finished = error.partial_result.generations if error.partial_result else ()
        print(f"timed out after {timeout:g} s; {len(finished)} image(s) had finished")
        return 3
    except AIHordeJobFaultedError as error:
        print(f"the server gave up on request {error.job_id and error.job_id[:8]}")
        return 4
    except HordeRateLimitedError as error:  # only once the client's own retries are spent
        print(f"rate limited; the server asks to wait {error.retry_after} s")
        return 5
    except HordeAPIError as error:
        if error.rc == RC.KudosUpfront:
            print("this request needs kudos up front: lower the steps or size, or set allow_downgrade")
        else:
            print(f"refused: HTTP {error.status_code}, rc={error.rc}: {error.message}")
        return 6
    except HordeTransportError as error:
        print(f"could not reach the server: {error}")
        return 7
    print(f"done: {len(result.generations)} image(s)")
    return 0


# --8<-- [end:generate]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate an image and report each kind of failure.")
    parser.add_argument("prompt", nargs="?", default="a lighthouse at dusk")
    parser.add_argument("--model", action="append", help="a model that may paint it (repeatable)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up")
    parser.add_argument("--api-url", default=os.environ.get("AI_HORDE_URL", "https://aihorde.net/api"))
    parser.add_argument("--api-key", default=os.environ.get("AI_HORDE_API_KEY", ANON_API_KEY))
    args = parser.parse_args(argv)

    request = ImageGenerateAsyncRequest.model_validate({"prompt": args.prompt, "models": args.model})
    with AIHordeAPISimpleClient(base_url=args.api_url, api_key=args.api_key, client_agent=CLIENT_AGENT) as client:
        return generate(client, request, args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
