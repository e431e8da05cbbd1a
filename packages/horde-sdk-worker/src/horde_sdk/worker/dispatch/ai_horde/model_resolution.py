"""Resolve the model meta entries of a deploy configuration (``top 5``, ``all sdxl``...) against the live horde.

`resolve_model_instructions` is a pure function over data already fetched from ``/v2/status/models`` (and,
optionally, ``/v2/stats/img/models``); `fetch_and_resolve_models` / `fetch_and_resolve_models_async` fetch
that data through an AI Horde client and call it for an `ImageWorkerDeployConfig`.

Semantics:

* The *candidates* are the image models the status lists (the models workers serve now).
* Popularity (``top N`` / ``bottom N``): with image stats, the images made per model over the past month
  (models absent from the stats count 0); without stats, the status `count` (how many workers serve the model).
  Ties are broken by name, so the result is deterministic. ``top N`` lists the most popular first, ``bottom N``
  the least popular first.
* ``all``: every candidate, by name.
* ``all sdxl`` / ``all sd15`` / ... (instructions with baselines) and ``all sfw`` / ``all nsfw``: the horde's
  model status carries neither baselines nor NSFW marks; they come from the model reference, which the caller
  passes as `model_baselines` (name -> baseline) and `model_nsfw` (name -> is NSFW). Without that mapping the
  instruction is not resolved and is reported in `ResolvedModels.unresolved`; models missing from the mapping
  are not selected.
* ``all inpainting``: the candidates whose name contains ``inpainting`` (case-insensitive).
* Concrete names pass through as written, first, in configuration order; then each instruction's models, in
  instruction order. Duplicates keep their first position. Finally every model of the skip list (names and
  resolved meta entries) is removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from horde_sdk.ai_horde_api.ai_horde_clients import AIHordeAPIAsyncManualClient, AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import (
    ActiveModel,
    AllActiveModelsRequest,
    AllActiveModelsResponse,
    ImageStatsModelsRequest,
    ImageStatsModelsResponse,
)
from horde_sdk.ai_horde_api.consts import MODEL_TYPE
from horde_sdk.deploy_config import (
    KNOWN_MODEL_META_INSTRUCTIONS,
    ImageWorkerDeployConfig,
    ModelMetaInstruction,
    ModelSelection,
)

__all__ = [
    "INPAINTING_NAME_MARKER",
    "ResolvedModels",
    "fetch_and_resolve_models",
    "fetch_and_resolve_models_async",
    "resolve_config_models",
    "resolve_model_instructions",
]

INPAINTING_NAME_MARKER = "inpainting"
"""``all inpainting`` selects the models whose name contains this (case-insensitive)."""

_POPULARITY_KINDS = frozenset({KNOWN_MODEL_META_INSTRUCTIONS.top, KNOWN_MODEL_META_INSTRUCTIONS.bottom})


@dataclass(frozen=True, slots=True)
class ResolvedModels:
    """The concrete models a worker serves, and the meta entries that could not be resolved."""

    models: tuple[str, ...]
    """The model names, in a deterministic order (see the module docstring)."""
    unresolved: tuple[str, ...] = ()
    """The meta entries (as written) that need data the caller did not give (baselines, NSFW marks)."""


def _status_entries(models_status: AllActiveModelsResponse | Iterable[ActiveModel]) -> tuple[ActiveModel, ...]:
    entries = models_status.root if isinstance(models_status, AllActiveModelsResponse) else tuple(models_status)
    return tuple(
        entry
        for entry in entries
        if entry.name and (entry.type_ is None or str(entry.type_) == MODEL_TYPE.image.value)
    )


def _popularity(entries: Sequence[ActiveModel], image_stats: ImageStatsModelsResponse | None) -> dict[str, int]:
    if image_stats is not None:
        month = image_stats.month or {}
        return {entry.name: month.get(entry.name, 0) for entry in entries if entry.name}
    return {entry.name: entry.count or 0 for entry in entries if entry.name}


def _select(  # noqa: PLR0911 (one return per kind of instruction)
    instruction: ModelMetaInstruction,
    candidates: Sequence[str],
    popularity: Mapping[str, int],
    model_baselines: Mapping[str, str] | None,
    model_nsfw: Mapping[str, bool] | None,
) -> tuple[str, ...] | None:
    """Return the models `instruction` selects (None when it needs data that was not given)."""
    kind = instruction.kind
    by_name = sorted(candidates)
    if kind in _POPULARITY_KINDS:
        count = instruction.count or 0
        if kind == KNOWN_MODEL_META_INSTRUCTIONS.top:
            ranked = sorted(candidates, key=lambda name: (-popularity.get(name, 0), name))
        else:
            ranked = sorted(candidates, key=lambda name: (popularity.get(name, 0), name))
        return tuple(ranked[:count])
    if kind == KNOWN_MODEL_META_INSTRUCTIONS.all:
        if not instruction.baselines:
            return tuple(by_name)
        if model_baselines is None:
            return None
        wanted = {str(baseline) for baseline in instruction.baselines}
        return tuple(name for name in by_name if str(model_baselines.get(name, "")) in wanted)
    if kind in (KNOWN_MODEL_META_INSTRUCTIONS.all_sfw, KNOWN_MODEL_META_INSTRUCTIONS.all_nsfw):
        if model_nsfw is None:
            return None
        want_nsfw = kind == KNOWN_MODEL_META_INSTRUCTIONS.all_nsfw
        return tuple(name for name in by_name if name in model_nsfw and model_nsfw[name] is want_nsfw)
    if kind == KNOWN_MODEL_META_INSTRUCTIONS.all_inpainting:
        return tuple(name for name in by_name if INPAINTING_NAME_MARKER in name.lower())
    return None


def resolve_model_instructions(
    names: Sequence[str],
    instructions: Sequence[ModelMetaInstruction],
    models_status: AllActiveModelsResponse | Iterable[ActiveModel],
    *,
    image_stats: ImageStatsModelsResponse | None = None,
    model_baselines: Mapping[str, str] | None = None,
    model_nsfw: Mapping[str, bool] | None = None,
    skip_names: Sequence[str] = (),
    skip_instructions: Sequence[ModelMetaInstruction] = (),
) -> ResolvedModels:
    """Resolve concrete names and meta instructions into the models to serve (see the module docstring).

    Args:
        names: Concrete model names, kept as written (even when no worker serves them now).
        instructions: Meta instructions (``top 5``, ``all sdxl``...).
        models_status: The answer of ``/v2/status/models`` (image models), or its entries.
        image_stats: The answer of ``/v2/stats/img/models``; ranks ``top`` / ``bottom`` by the past month.
        model_baselines: Model name -> baseline (``stable_diffusion_xl``...), from the model reference.
        model_nsfw: Model name -> whether the model is NSFW, from the model reference.
        skip_names: Concrete names never to serve.
        skip_instructions: Meta instructions whose models are never served.

    Returns:
        The models, and the entries that could not be resolved.
    """
    entries = _status_entries(models_status)
    candidates = tuple(dict.fromkeys(entry.name for entry in entries if entry.name))
    popularity = _popularity(entries, image_stats)
    unresolved: list[str] = []

    def expand(instruction_list: Sequence[ModelMetaInstruction]) -> list[str]:
        selected: list[str] = []
        for instruction in instruction_list:
            models = _select(instruction, candidates, popularity, model_baselines, model_nsfw)
            if models is None:
                unresolved.append(instruction.entry)
            else:
                selected.extend(models)
        return selected

    chosen = [name.strip() for name in names if name.strip()] + expand(instructions)
    skipped = {name.strip() for name in skip_names} | set(expand(skip_instructions))
    models = tuple(name for name in dict.fromkeys(chosen) if name not in skipped)
    return ResolvedModels(models=models, unresolved=tuple(dict.fromkeys(unresolved)))


def _needs_stats(selections: Iterable[ModelSelection]) -> bool:
    return any(
        instruction.kind in _POPULARITY_KINDS
        for selection in selections
        for instruction in selection.meta_instructions
    )


def resolve_config_models(
    config: ImageWorkerDeployConfig,
    models_status: AllActiveModelsResponse | Iterable[ActiveModel],
    *,
    image_stats: ImageStatsModelsResponse | None = None,
    model_baselines: Mapping[str, str] | None = None,
    model_nsfw: Mapping[str, bool] | None = None,
) -> ResolvedModels:
    """Resolve `models_to_load` minus `models_to_skip` of an image worker's configuration.

    Args:
        config: The configuration (an image or combined one).
        models_status: The answer of ``/v2/status/models`` (image models).
        image_stats: The answer of ``/v2/stats/img/models`` (ranks ``top`` / ``bottom``).
        model_baselines: Model name -> baseline, for ``all sdxl`` and the like.
        model_nsfw: Model name -> NSFW, for ``all sfw`` / ``all nsfw``.

    Returns:
        The models, and the entries that could not be resolved.
    """
    return resolve_model_instructions(
        config.models_to_load.names,
        config.models_to_load.meta_instructions,
        models_status,
        image_stats=image_stats,
        model_baselines=model_baselines,
        model_nsfw=model_nsfw,
        skip_names=config.models_to_skip.names,
        skip_instructions=config.models_to_skip.meta_instructions,
    )


def _needs_fetch(config: ImageWorkerDeployConfig) -> bool:
    return bool(config.models_to_load.meta_instructions or config.models_to_skip.meta_instructions)


def fetch_and_resolve_models(
    client: AIHordeAPIManualClient,
    config: ImageWorkerDeployConfig,
    *,
    use_stats: bool = True,
    model_baselines: Mapping[str, str] | None = None,
    model_nsfw: Mapping[str, bool] | None = None,
) -> ResolvedModels:
    """Fetch the live image models (and stats, when ``top`` / ``bottom`` need them) and resolve the configuration.

    Nothing is fetched when the configuration has no meta entry.

    Args:
        client: An AI Horde client.
        config: The configuration (an image or combined one).
        use_stats: Rank ``top`` / ``bottom`` by the past month's images (one more request) instead of by the
            number of workers serving each model.
        model_baselines: Model name -> baseline, for ``all sdxl`` and the like.
        model_nsfw: Model name -> NSFW, for ``all sfw`` / ``all nsfw``.

    Returns:
        The models, and the entries that could not be resolved.

    Raises:
        horde_sdk.generic_api.exceptions.HordeAPIError: And the other errors of ``client.submit_request``.
    """
    if not _needs_fetch(config):
        return resolve_config_models(config, ())
    status = client.submit_request(AllActiveModelsRequest(type_=MODEL_TYPE.image), AllActiveModelsResponse)
    stats = None
    if use_stats and _needs_stats((config.models_to_load, config.models_to_skip)):
        stats = client.submit_request(ImageStatsModelsRequest(), ImageStatsModelsResponse)
    return resolve_config_models(
        config, status, image_stats=stats, model_baselines=model_baselines, model_nsfw=model_nsfw
    )


async def fetch_and_resolve_models_async(
    client: AIHordeAPIAsyncManualClient,
    config: ImageWorkerDeployConfig,
    *,
    use_stats: bool = True,
    model_baselines: Mapping[str, str] | None = None,
    model_nsfw: Mapping[str, bool] | None = None,
) -> ResolvedModels:
    """Async version of `fetch_and_resolve_models`.

    Args:
        client: An async AI Horde client.
        config: The configuration (an image or combined one).
        use_stats: Rank ``top`` / ``bottom`` by the past month's images instead of by worker count.
        model_baselines: Model name -> baseline, for ``all sdxl`` and the like.
        model_nsfw: Model name -> NSFW, for ``all sfw`` / ``all nsfw``.

    Returns:
        The models, and the entries that could not be resolved.
    """
    if not _needs_fetch(config):
        return resolve_config_models(config, ())
    status = await client.submit_request(AllActiveModelsRequest(type_=MODEL_TYPE.image), AllActiveModelsResponse)
    stats = None
    if use_stats and _needs_stats((config.models_to_load, config.models_to_skip)):
        stats = await client.submit_request(ImageStatsModelsRequest(), ImageStatsModelsResponse)
    return resolve_config_models(
        config, status, image_stats=stats, model_baselines=model_baselines, model_nsfw=model_nsfw
    )
