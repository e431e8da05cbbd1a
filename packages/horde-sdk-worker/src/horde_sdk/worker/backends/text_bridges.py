"""Text backends that bridge to a text generation server over HTTP: what real text workers run.

* `KoboldAITextBackend`: a KoboldAI-compatible server (KoboldAI, KoboldCpp, and the many servers that speak its
  ``/api/v1/generate`` API).
* `OpenAICompletionsTextBackend`: an OpenAI-compatible completions server (``/v1/completions``: vLLM, llama.cpp's
  server, TabbyAPI, Aphrodite...).

Both send their requests through `horde_sdk.generic_api.transport.AsyncTransport` (so tests inject an
``httpx.AsyncClient`` with a mock transport). Errors become `BackendError` with the endpoint, the HTTP status and
a short reason; no message, log line or repr ever holds the server's API key or the prompt.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

from horde_sdk.generation_parameters import KNOWN_TEXT_FORMATTING_OPTIONS, TextGenerationParameters
from horde_sdk.generic_api.core import TransportFailure
from horde_sdk.generic_api.settings import HordeTimeouts
from horde_sdk.generic_api.transport import AsyncHTTPClient, AsyncTransport
from horde_sdk.worker._logging import get_logger
from horde_sdk.worker.backends.base import BackendError, TextJobInput

__all__ = [
    "DEFAULT_TEXT_BRIDGE_TIMEOUTS",
    "KoboldAITextBackend",
    "OpenAICompletionsTextBackend",
]

logger = get_logger(__name__)

DEFAULT_TEXT_BRIDGE_TIMEOUTS = HordeTimeouts(connect=10.0, read=600.0, write=60.0, pool=30.0, total=700.0)
"""The default timeouts of the text bridges: a long read, since the server answers only when it has generated."""

_KNOWN_FORMATTING_OPTIONS = frozenset(str(option) for option in KNOWN_TEXT_FORMATTING_OPTIONS)
_KOBOLD_OPTIONAL_FIELDS = (
    *("temperature", "top_p", "top_k", "top_a", "typical", "tfs", "rep_pen", "rep_pen_range", "rep_pen_slope"),
    *("min_p", "smoothing_factor", "dynatemp_range", "dynatemp_exponent", "use_default_badwordsids"),
)
"""The `TextGenerationParameters` fields KoboldAI takes under the same name, sent only when set."""
_HTTP_OK_MIN = 200
_HTTP_OK_MAX = 299


def _status_reason(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "unknown status"


def _set_if_given(payload: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        payload[key] = value


class _HTTPTextBackendBase:
    """The transport, the JSON requests and the error mapping shared by the text bridges."""

    name: str = "http-text"
    """The backend's name for logs (overridden by each bridge)."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeouts: HordeTimeouts = DEFAULT_TEXT_BRIDGE_TIMEOUTS,
        http_client: AsyncHTTPClient | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._api_key = api_key
        self._timeouts = timeouts
        self._http_client = http_client
        self._transport: AsyncTransport | None = None

    @property
    def url(self) -> str:
        """The server's base URL (without a trailing slash)."""
        return self._url

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"{type(self).__name__}(url={self._url!r}, api_key={key})"

    async def __aenter__(self) -> Self:
        """Open the HTTP transport (on the injected client, if any).

        Returns:
            The backend itself.
        """
        if self._transport is None:
            self._transport = AsyncTransport(self._timeouts, self._http_client)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the HTTP transport (an injected client is left open for its owner)."""
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.aclose()

    @asynccontextmanager
    async def _open_transport(self) -> AsyncIterator[AsyncTransport]:
        """Yield the open transport, or a temporary one when the backend is used outside its async context."""
        if self._transport is not None:
            yield self._transport
            return
        transport = AsyncTransport(self._timeouts, self._http_client)
        try:
            yield transport
        finally:
            await transport.aclose()

    def _headers(self, *, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if has_body:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    async def _request_json(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:  # noqa: ANN401 - parsed JSON
        """Send one request to ``{url}{path}`` and return the parsed JSON answer.

        Raises:
            BackendError: On a transport failure, a status outside 2xx or an answer that is not JSON.
        """
        where = f"{self.name} {method} {path}"
        content = None if body is None else json.dumps(body).encode("utf-8")
        async with self._open_transport() as transport:
            response = await transport.send_raw(
                method, self._url + path, content=content, headers=self._headers(has_body=content is not None)
            )
        if isinstance(response, TransportFailure):
            logger.warning("text backend unreachable", backend=self.name, path=path, kind=response.kind)
            raise BackendError(f"{where}: no answer ({response.kind}: {response.detail})")
        status = response.status_code
        if not _HTTP_OK_MIN <= status <= _HTTP_OK_MAX:
            logger.warning("text backend refused", backend=self.name, path=path, status=status)
            raise BackendError(f"{where}: HTTP {status} {_status_reason(status)}")
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as error:
            raise BackendError(f"{where}: HTTP {status} with a body that is not JSON") from error

    def _malformed(self, path: str, what: str) -> BackendError:
        return BackendError(f"{self.name} POST {path}: malformed answer ({what})")

    async def _generate_batch(self, parameters: TextGenerationParameters) -> tuple[str, ...]:
        """Call the server until `batch_size` texts are made (a server may return fewer than asked)."""
        texts: list[str] = []
        while len(texts) < parameters.batch_size:
            made = await self._generate_some(parameters, parameters.batch_size - len(texts))
            if not made:
                raise BackendError(f"{self.name}: the server returned no text")
            texts.extend(made)
        return tuple(texts[: parameters.batch_size])

    async def _generate_some(self, parameters: TextGenerationParameters, count: int) -> list[str]:
        raise NotImplementedError

    async def generate_texts(self, job: TextJobInput) -> tuple[str, ...]:
        """Generate ``batch_size`` continuations of the prompt on the server.

        Args:
            job: What to generate.

        Returns:
            One text per batch entry.

        Raises:
            BackendError: If the server cannot be reached, refuses, or answers something unusable.
        """
        return await self._generate_batch(job.parameters)


class KoboldAITextBackend(_HTTPTextBackendBase):
    """Generates text on a KoboldAI-compatible server (``POST {url}/api/v1/generate``).

    The payload carries the prompt, ``n`` (the texts still missing of the batch), the lengths and every sampler
    setting the job sets (unset ones are left to the server); stop sequences go as ``stop_sequence`` and
    formatting options as their boolean flags. When the server returns fewer texts than ``n`` (KoboldCpp ignores
    ``n``), further calls top the batch up. An API key, when given, is sent as a bearer token (KoboldCpp's
    ``--password``).
    """

    name = "koboldai"
    """The backend's name for logs."""

    _GENERATE_PATH = "/api/v1/generate"
    _MODEL_PATH = "/api/v1/model"

    @staticmethod
    def build_payload(parameters: TextGenerationParameters, count: int) -> dict[str, Any]:
        """Return the KoboldAI generate payload for `parameters`, asking for `count` texts.

        Args:
            parameters: What to generate.
            count: How many texts to ask for (``n``).

        Returns:
            The JSON payload, with only the settings that are set.
        """
        payload: dict[str, Any] = {
            "prompt": parameters.prompt,
            "n": count,
            "max_length": parameters.max_length,
            "max_context_length": parameters.max_context_length,
        }
        for key in _KOBOLD_OPTIONAL_FIELDS:
            _set_if_given(payload, key, getattr(parameters, key))
        if parameters.sampler_order is not None:
            payload["sampler_order"] = [int(sampler) for sampler in parameters.sampler_order]
        if parameters.stop_sequences:
            payload["stop_sequence"] = list(parameters.stop_sequences)
        for option in parameters.formatting_options:
            if str(option) in _KNOWN_FORMATTING_OPTIONS:
                payload[str(option)] = True
        return payload

    async def _generate_some(self, parameters: TextGenerationParameters, count: int) -> list[str]:
        answer = await self._request_json("POST", self._GENERATE_PATH, self.build_payload(parameters, count))
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise self._malformed(self._GENERATE_PATH, "no `results` list")
        texts: list[str] = []
        for result in results:
            text = result.get("text") if isinstance(result, dict) else None
            if not isinstance(text, str):
                raise self._malformed(self._GENERATE_PATH, "a result has no `text` string")
            texts.append(text)
        return texts

    async def fetch_model_name(self) -> str:
        """Ask the server which model it runs (``GET {url}/api/v1/model``).

        Returns:
            The model name as the server reports it (for example ``koboldcpp/Mistral-7B``).

        Raises:
            BackendError: If the server cannot be reached, refuses, or reports no model name.
        """
        answer = await self._request_json("GET", self._MODEL_PATH)
        model = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(model, str) or not model.strip():
            raise BackendError(f"{self.name} GET {self._MODEL_PATH}: malformed answer (no `result` model name)")
        return model.strip()


class OpenAICompletionsTextBackend(_HTTPTextBackendBase):
    """Generates text on an OpenAI-compatible completions server (``POST {url}/v1/completions``).

    The payload carries the model, the prompt, ``max_tokens`` (the job's `max_length`), ``n`` and the samplers
    the completions API knows (``temperature``, ``top_p``, ``stop``); the common extensions of local servers
    (``top_k``, ``top_a``, ``min_p``, ``typical_p``, ``tfs``, ``repetition_penalty``) are sent only when the job
    sets them. Texts are read from ``choices[].text`` in ``index`` order; a short answer is topped up by further
    calls. An API key, when given, is sent as ``Authorization: Bearer``.
    """

    name = "openai"
    """The backend's name for logs."""

    _COMPLETIONS_PATH = "/v1/completions"
    _MODELS_PATH = "/v1/models"

    def __init__(
        self,
        url: str,
        *,
        model: str,
        api_key: str | None = None,
        timeouts: HordeTimeouts = DEFAULT_TEXT_BRIDGE_TIMEOUTS,
        http_client: AsyncHTTPClient | None = None,
    ) -> None:
        super().__init__(url, api_key=api_key, timeouts=timeouts, http_client=http_client)
        self._model = model

    @property
    def model(self) -> str:
        """The model name sent with every completion request."""
        return self._model

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"{type(self).__name__}(url={self._url!r}, model={self._model!r}, api_key={key})"

    def build_payload(self, parameters: TextGenerationParameters, count: int) -> dict[str, Any]:
        """Return the completions payload for `parameters`, asking for `count` texts.

        Args:
            parameters: What to generate.
            count: How many texts to ask for (``n``).

        Returns:
            The JSON payload, with only the settings that are set.
        """
        payload: dict[str, Any] = {
            "model": self._model,
            "prompt": parameters.prompt,
            "max_tokens": parameters.max_length,
            "n": count,
        }
        for key, value in (
            ("temperature", parameters.temperature),
            ("top_p", parameters.top_p),
            ("top_k", parameters.top_k),
            ("top_a", parameters.top_a),
            ("min_p", parameters.min_p),
            ("typical_p", parameters.typical),
            ("tfs", parameters.tfs),
            ("repetition_penalty", parameters.rep_pen),
        ):
            _set_if_given(payload, key, value)
        if parameters.stop_sequences:
            payload["stop"] = list(parameters.stop_sequences)
        return payload

    async def _generate_some(self, parameters: TextGenerationParameters, count: int) -> list[str]:
        answer = await self._request_json("POST", self._COMPLETIONS_PATH, self.build_payload(parameters, count))
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list):
            raise self._malformed(self._COMPLETIONS_PATH, "no `choices` list")
        indexed: list[tuple[int, str]] = []
        for position, choice in enumerate(choices):
            text = choice.get("text") if isinstance(choice, dict) else None
            if not isinstance(text, str):
                raise self._malformed(self._COMPLETIONS_PATH, "a choice has no `text` string")
            index = choice.get("index", position)
            indexed.append((index if isinstance(index, int) else position, text))
        return [text for _, text in sorted(indexed, key=lambda entry: entry[0])]

    async def fetch_model_name(self) -> str:
        """Ask the server which model it serves (``GET {url}/v1/models``, the first ``data[].id``).

        Returns:
            The model id.

        Raises:
            BackendError: If the server cannot be reached, refuses, or lists no model.
        """
        answer = await self._request_json("GET", self._MODELS_PATH)
        data = answer.get("data") if isinstance(answer, dict) else None
        for entry in data if isinstance(data, list) else ():
            model = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(model, str) and model.strip():
                return model.strip()
        raise BackendError(f"{self.name} GET {self._MODELS_PATH}: malformed answer (no model listed)")
