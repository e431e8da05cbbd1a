"""The ``horde`` command: images, texts and alchemy from the AI Horde in one line.

Examples::

    horde image "a lighthouse at dusk" -n 2 --model "AlbedoBase XL (SDXL)" --out pictures
    horde text "Once upon a time" --max-length 120
    horde alchemy --form caption --form RealESRGAN_x2plus photo.webp
    horde status
    horde workers --type image
    horde user
    horde kudos estimate image "a lighthouse at dusk" --steps 40

The API key comes from ``--api-key`` or ``AI_HORDE_API_KEY`` (default: the anonymous key), the server from
``--api-url`` or ``AI_HORDE_URL`` (default ``https://aihorde.net/api``). Live progress goes to stderr when it
is a terminal; results go to files (and texts to stdout). Any error exits with status 1 and a one-line
reason; Ctrl-C cancels the job on the server and exits with status 130.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from horde_sdk.ai_horde_api.__about__ import __version__
from horde_sdk.ai_horde_api.apimodels.alchemy import AlchemyAsyncRequest
from horde_sdk.ai_horde_api.apimodels.generate_image import ImageGenerateAsyncRequest, image_as_api_text
from horde_sdk.ai_horde_api.apimodels.generate_text import TextGenerateAsyncRequest
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_BASE_URL
from horde_sdk.ai_horde_api.progress import JOB_STATE, GenerationProgress
from horde_sdk.ai_horde_api.results import (
    AlchemyCaptionResult,
    AlchemyImageResult,
    AlchemyInterrogationResult,
    AlchemyNSFWResult,
    AlchemyOtherResult,
)
from horde_sdk.ai_horde_api.simple_clients import AIHordeAPISimpleClient
from horde_sdk.generic_api.exceptions import HordeError

__all__: list[str] = []  # a console script; `main` is its entry point, not part of the package API

CLI_CLIENT_AGENT = f"horde-cli:{__version__}:https://pypi.org/project/horde-sdk-ai-horde-api"
"""The ``Client-Agent`` the command sends unless ``--client-agent`` says otherwise."""

ClientFactory = Callable[[dict[str, Any]], AIHordeAPISimpleClient]
"""Builds the client from keyword options (``base_url``, ``api_key``, ``client_agent``); tests inject one."""

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Progress:
    """One updating status line on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._width = 0

    def __call__(self, event: GenerationProgress) -> None:
        if not self._live:
            return
        parts = [f"{event.kind} {event.job_id[:8]}", str(event.state)]
        if event.state in (JOB_STATE.waiting, JOB_STATE.impossible) and event.queue_position:
            parts.append(f"queue {event.queue_position}")
        if event.wait_time and event.state not in (JOB_STATE.done, JOB_STATE.downloading):
            parts.append(f"ETA {event.wait_time:.0f} s")
        parts.append(f"{event.finished}/{event.n} finished")
        if event.kudos:
            parts.append(f"{event.kudos:g} kudos")
        line = ", ".join(parts)
        self._stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        if event.state in (JOB_STATE.done, JOB_STATE.faulted, JOB_STATE.cancelled):
            self._stream.write("\n")
            self._width = 0
        self._stream.flush()

    def end(self) -> None:
        """Finish a pending status line."""
        if self._live and self._width:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return slug or "result"


def _one_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'value'}: {item['msg']}" for item in error.errors()
        )
        return f"invalid request: {problems}"
    return " ".join(str(error).split()) or type(error).__name__


# ----------------------------------------------------------------------------------------- parser
def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--api-key", default=argparse.SUPPRESS, help="API key (default: $AI_HORDE_API_KEY or anonymous)"
    )
    common.add_argument(
        "--api-url", default=argparse.SUPPRESS, help=f"API root (default: $AI_HORDE_URL or {AI_HORDE_BASE_URL})"
    )
    common.add_argument("--client-agent", default=argparse.SUPPRESS, help="name:version:contact of your program")
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help="seconds before a job is cancelled")

    parser = argparse.ArgumentParser(
        prog="horde", description="Generate images, texts and alchemy on the AI Horde (https://aihorde.net)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--api-key", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--client-agent", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    image = commands.add_parser("image", parents=[common], help="generate images from a prompt")
    _image_arguments(image)
    image.add_argument("--out", type=Path, default=Path(), help="directory for the images (default: here)")

    text = commands.add_parser("text", parents=[common], help="continue a prompt with a text model")
    _text_arguments(text)
    text.add_argument("--out", type=Path, default=None, help="also write each text to a file in this directory")

    alchemy = commands.add_parser("alchemy", parents=[common], help="caption, check or upscale an image")
    alchemy.add_argument("image", help="path or https URL of the image")
    alchemy.add_argument(
        "--form",
        action="append",
        required=True,
        help="form to apply (caption, nsfw, interrogation, RealESRGAN_x4plus, ...)",
    )
    alchemy.add_argument("--out", type=Path, default=Path(), help="directory for produced images (default: here)")

    commands.add_parser("status", parents=[common], help="heartbeat, performance and news of the horde")

    workers = commands.add_parser("workers", parents=[common], help="list the workers online")
    workers.add_argument("--type", choices=["image", "text", "interrogation"], default=None, help="only this kind")
    workers.add_argument("--name", default=None, help="only the worker with this name")

    commands.add_parser("user", parents=[common], help="show the user of the API key")

    kudos = commands.add_parser("kudos", parents=[common], help="kudos tools")
    kudos_commands = kudos.add_subparsers(dest="kudos_command", required=True, metavar="ACTION")
    estimate = kudos_commands.add_parser("estimate", parents=[common], help="what a request would cost")
    kinds = estimate.add_subparsers(dest="kind", required=True, metavar="KIND")
    _image_arguments(kinds.add_parser("image", parents=[common], help="estimate an image request"))
    _text_arguments(kinds.add_parser("text", parents=[common], help="estimate a text request"))
    return parser


def _image_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what to paint")
    parser.add_argument("-n", type=int, default=1, help="how many images (default 1)")
    parser.add_argument("--model", action="append", default=None, help="model to use (repeat to allow several)")
    parser.add_argument("--negative", default=None, help="what to keep out of the image")
    parser.add_argument("--steps", type=int, default=None, help="sampling steps")
    parser.add_argument("--width", type=int, default=None, help="width in pixels (multiple of 64)")
    parser.add_argument("--height", type=int, default=None, help="height in pixels (multiple of 64)")
    parser.add_argument("--seed", default=None, help="seed")
    parser.add_argument("--nsfw", action="store_true", help="allow adult content")


def _text_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="the text to continue")
    parser.add_argument("-n", type=int, default=1, help="how many texts (default 1)")
    parser.add_argument("--model", action="append", default=None, help="model to use (repeat to allow several)")
    parser.add_argument("--max-length", type=int, default=None, help="tokens to write at most")
    parser.add_argument("--max-context-length", type=int, default=None, help="tokens of the prompt to read at most")


# --------------------------------------------------------------------------------------- requests
def _image_request(args: argparse.Namespace) -> ImageGenerateAsyncRequest:
    params: dict[str, Any] = {"n": args.n}
    for name in ("steps", "width", "height", "seed"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    prompt = f"{args.prompt}###{args.negative}" if args.negative else args.prompt
    body: dict[str, Any] = {"prompt": prompt, "params": params, "nsfw": args.nsfw}
    if args.model:
        body["models"] = args.model
    return ImageGenerateAsyncRequest.model_validate(body)


def _text_request(args: argparse.Namespace) -> TextGenerateAsyncRequest:
    params: dict[str, Any] = {"n": args.n}
    if args.max_length is not None:
        params["max_length"] = args.max_length
    if args.max_context_length is not None:
        params["max_context_length"] = args.max_context_length
    body: dict[str, Any] = {"prompt": args.prompt, "params": params}
    if args.model:
        body["models"] = args.model
    return TextGenerateAsyncRequest.model_validate(body)


def _alchemy_request(args: argparse.Namespace) -> AlchemyAsyncRequest:
    source: str = args.image
    if not source.startswith(("https://", "http://")):
        source = image_as_api_text(Path(source).read_bytes())
    return AlchemyAsyncRequest.model_validate(
        {"source_image": source, "forms": [{"name": form} for form in args.form]}
    )


# --------------------------------------------------------------------------------------- commands
_ANSWERING_FORMS = frozenset({"caption", "interrogation", "nsfw"})
"""Alchemy forms that answer in words; the others (upscalers, face fixers, background removal) make images."""


def _is_image_form(name: object) -> bool:
    return str(name) not in _ANSWERING_FORMS


def _writable_directory(directory: Path) -> Path:
    """Create ``directory`` if needed and prove it takes a file, before any kudos are spent.

    Raises:
        OSError: the directory cannot be created or written (read-only, not a directory, no permission).
    """
    directory.mkdir(parents=True, exist_ok=True)
    probe = tempfile.NamedTemporaryFile(dir=directory, prefix=".horde-write-check-", delete=False)  # noqa: SIM115
    try:
        probe.write(b"x")
        probe.flush()
        os.fsync(probe.fileno())
    finally:
        probe.close()
        Path(probe.name).unlink(missing_ok=True)
    return directory


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place: never a partial or empty file.

    On any failure (a full disk) the temporary file is removed and ``path`` is left as it was.
    """
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)  # noqa: SIM115
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _generation_options(args: argparse.Namespace, progress: _Progress) -> dict[str, Any]:
    options: dict[str, Any] = {"on_progress": progress}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    return options


def _run_image(client: AIHordeAPISimpleClient, args: argparse.Namespace, progress: _Progress, out: TextIO) -> None:
    request = _image_request(args)
    _writable_directory(args.out)
    result = client.image_generate_request(request, **_generation_options(args, progress))
    stem = _slug(args.prompt)
    for number, generation in enumerate(result.generations, start=1):
        path = args.out / f"{stem}_{result.job_id[:8]}_{number}.webp"
        _write_atomically(path, generation.image)
        note = " (censored)" if generation.censored else ""
        out.write(f"{path}  seed={generation.seed} model={generation.model} worker={generation.worker_name}{note}\n")
    out.write(f"{len(result.generations)} image(s), {result.kudos:g} kudos\n")


def _run_text(client: AIHordeAPISimpleClient, args: argparse.Namespace, progress: _Progress, out: TextIO) -> None:
    request = _text_request(args)
    if args.out is not None:
        _writable_directory(args.out)
    result = client.text_generate_request(request, **_generation_options(args, progress))
    for number, generation in enumerate(result.generations, start=1):
        out.write(generation.text + "\n")
        if args.out is not None:
            path = args.out / f"{_slug(args.prompt)}_{result.job_id[:8]}_{number}.txt"
            _write_atomically(path, generation.text.encode("utf-8"))


def _run_alchemy(client: AIHordeAPISimpleClient, args: argparse.Namespace, progress: _Progress, out: TextIO) -> None:
    request = _alchemy_request(args)
    if any(_is_image_form(form.name) for form in request.forms or ()):
        _writable_directory(args.out)
    result = client.alchemy_request(request, **_generation_options(args, progress))
    stem = _slug(Path(args.image).stem if "://" not in args.image else "image")
    for form in result.forms:
        if isinstance(form, AlchemyCaptionResult):
            out.write(f"caption: {form.caption}\n")
        elif isinstance(form, AlchemyNSFWResult):
            out.write(f"nsfw: {'yes' if form.nsfw else 'no'}\n")
        elif isinstance(form, AlchemyInterrogationResult):
            out.write(f"interrogation: {json.dumps(form.interrogation)}\n")
        elif isinstance(form, AlchemyImageResult):
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"{stem}_{form.form}.webp"
            _write_atomically(path, form.image)
            out.write(f"{form.form}: {path}\n")
        elif isinstance(form, AlchemyOtherResult):
            out.write(f"{form.form} ({form.state}): {json.dumps(form.result)}\n")


def _run_status(client: AIHordeAPISimpleClient, out: TextIO) -> None:
    heartbeat = client.heartbeat()
    performance = client.performance()
    news = client.news()
    out.write(f"AI Horde {heartbeat.version or '?'}: {heartbeat.message or 'OK'}\n")
    out.write(
        f"images: {performance.queued_requests or 0} queued, {performance.worker_count or 0} workers; "
        f"texts: {performance.queued_text_requests or 0} queued, {performance.text_worker_count or 0} workers; "
        f"alchemy: {performance.queued_forms or 0} queued, {performance.interrogator_count or 0} workers\n"
    )
    for piece in news.root[:3]:
        headline = piece.title or " ".join((piece.newspiece or "").split())[:100]
        out.write(f"news {piece.date_published}: {headline}\n")


def _run_workers(client: AIHordeAPISimpleClient, args: argparse.Namespace, out: TextIO) -> None:
    workers = client.workers(args.type, name=args.name)
    for worker in workers.root:
        state = "online" if worker.online else "offline"
        if worker.maintenance_mode:
            state = "maintenance"
        models = len(worker.models or ())
        out.write(
            f"{worker.name}\t{worker.type_}\t{state}\t{models} model(s)\t{worker.requests_fulfilled or 0} done\n"
        )
    out.write(f"{len(workers.root)} worker(s)\n")


def _run_user(client: AIHordeAPISimpleClient, out: TextIO) -> None:
    user = client.find_user()
    out.write(f"{user.username}: {user.kudos or 0:g} kudos, {user.worker_count or 0} worker(s)\n")


def _run_estimate(client: AIHordeAPISimpleClient, args: argparse.Namespace, out: TextIO) -> None:
    if args.kind == "image":
        estimate = client.image_generate_request_dry_run(_image_request(args))
    else:
        estimate = client.text_generate_request_dry_run(_text_request(args))
    out.write(f"{estimate.kudos:g} kudos\n")


def _dispatch(client: AIHordeAPISimpleClient, args: argparse.Namespace, progress: _Progress, out: TextIO) -> None:
    if args.command == "image":
        _run_image(client, args, progress, out)
    elif args.command == "text":
        _run_text(client, args, progress, out)
    elif args.command == "alchemy":
        _run_alchemy(client, args, progress, out)
    elif args.command == "status":
        _run_status(client, out)
    elif args.command == "workers":
        _run_workers(client, args, out)
    elif args.command == "user":
        _run_user(client, out)
    elif args.command == "kudos":
        _run_estimate(client, args, out)


def _default_factory(options: dict[str, Any]) -> AIHordeAPISimpleClient:
    return AIHordeAPISimpleClient(**options)


def main(argv: Sequence[str] | None = None, *, client_factory: ClientFactory | None = None) -> int:
    """Run the ``horde`` command; return its exit status.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        client_factory: Builds the client from its options (default: :class:`AIHordeAPISimpleClient`).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    options: dict[str, Any] = {
        "base_url": args.api_url or os.environ.get("AI_HORDE_URL") or AI_HORDE_BASE_URL,
        "client_agent": args.client_agent or CLI_CLIENT_AGENT,
    }
    api_key = args.api_key or os.environ.get("AI_HORDE_API_KEY")
    if api_key:
        options["api_key"] = api_key  # without one, the client sends the anonymous key where a key is needed
    progress = _Progress(sys.stderr)
    try:
        with (client_factory or _default_factory)(options) as client:
            _dispatch(client, args, progress, sys.stdout)
    except KeyboardInterrupt:
        progress.end()
        sys.stderr.write("horde: interrupted; the job was cancelled on the server\n")
        return EXIT_INTERRUPTED
    except (HordeError, OSError, ValueError) as error:
        progress.end()
        sys.stderr.write(f"horde: error: {_one_line(error)}\n")
        return EXIT_ERROR
    progress.end()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
