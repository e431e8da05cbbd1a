"""Model meta entries of a deploy configuration (``top 5``, ``all sdxl``...) resolved against the live horde."""

from __future__ import annotations

import asyncio
from typing import Any

from horde_sdk.ai_horde_api.apimodels import (
    AllActiveModelsRequest,
    AllActiveModelsResponse,
    ImageStatsModelsRequest,
    ImageStatsModelsResponse,
)
from horde_sdk.deploy_config import ImageWorkerDeployConfig, ModelSelection
from horde_sdk.worker.dispatch.ai_horde import (
    ResolvedModels,
    fetch_and_resolve_models,
    fetch_and_resolve_models_async,
    resolve_config_models,
    resolve_model_instructions,
)

STATUS = AllActiveModelsResponse.model_validate(
    [
        {"name": "Deliberate", "count": 30, "type": "image"},
        {"name": "AlbedoBase XL (SDXL)", "count": 50, "type": "image"},
        {"name": "stable_diffusion_inpainting", "count": 5, "type": "image"},
        {"name": "Juggernaut XL", "count": 30, "type": "image"},
        {"name": "Hentai Diffusion", "count": 2, "type": "image"},
        {"name": "koboldcpp/Llama-3", "count": 9, "type": "text"},
    ]
)
STATS = ImageStatsModelsResponse(
    day={},
    month={"Deliberate": 900, "Hentai Diffusion": 1000, "stable_diffusion_inpainting": 10, "Retired Model": 5000},
    total={},
)
BASELINES = {
    "Deliberate": "stable_diffusion_1",
    "AlbedoBase XL (SDXL)": "stable_diffusion_xl",
    "Juggernaut XL": "stable_diffusion_xl",
    "stable_diffusion_inpainting": "stable_diffusion_1",
    "Hentai Diffusion": "stable_diffusion_1",
}
NSFW = {
    "Deliberate": False,
    "AlbedoBase XL (SDXL)": False,
    "Juggernaut XL": False,
    "stable_diffusion_inpainting": False,
    "Hentai Diffusion": True,
}


def _selection(*entries: str) -> ModelSelection:
    return ModelSelection.model_validate(list(entries))


def _resolve(*entries: str, skip: tuple[str, ...] = (), **kwargs: Any) -> ResolvedModels:
    load, skipped = _selection(*entries), _selection(*skip)
    return resolve_model_instructions(
        load.names,
        load.meta_instructions,
        STATUS,
        skip_names=skipped.names,
        skip_instructions=skipped.meta_instructions,
        **kwargs,
    )


def test_top_n_by_worker_count_with_ties_broken_by_name():
    assert _resolve("top 3").models == ("AlbedoBase XL (SDXL)", "Deliberate", "Juggernaut XL")
    assert _resolve("bottom 2").models == ("Hentai Diffusion", "stable_diffusion_inpainting")


def test_top_n_by_the_past_months_images_when_stats_are_given():
    # Retired Model is in the stats but no worker serves it: it is not a candidate.
    assert _resolve("top 2", image_stats=STATS).models == ("Hentai Diffusion", "Deliberate")
    assert _resolve("bottom 2", image_stats=STATS).models == ("AlbedoBase XL (SDXL)", "Juggernaut XL")


def test_top_n_larger_than_the_candidates_gives_them_all():
    assert len(_resolve("top 50").models) == 5


def test_all_lists_every_image_model_by_name_text_models_excluded():
    assert _resolve("all").models == (
        "AlbedoBase XL (SDXL)",
        "Deliberate",
        "Hentai Diffusion",
        "Juggernaut XL",
        "stable_diffusion_inpainting",
    )


def test_baseline_entries_need_a_baseline_mapping():
    unresolved = _resolve("all sdxl")
    assert unresolved == ResolvedModels(models=(), unresolved=("all sdxl",))
    assert _resolve("all sdxl", model_baselines=BASELINES).models == ("AlbedoBase XL (SDXL)", "Juggernaut XL")
    assert _resolve("all sd15", model_baselines=BASELINES).models == (
        "Deliberate",
        "Hentai Diffusion",
        "stable_diffusion_inpainting",
    )


def test_sfw_and_nsfw_entries_need_an_nsfw_mapping():
    assert _resolve("all nsfw").unresolved == ("all nsfw",)
    assert _resolve("all nsfw", model_nsfw=NSFW).models == ("Hentai Diffusion",)
    assert "Hentai Diffusion" not in _resolve("all sfw", model_nsfw=NSFW).models
    assert len(_resolve("all sfw", model_nsfw=NSFW).models) == 4
    # A model missing from the mapping is never selected.
    assert _resolve("all sfw", model_nsfw={"Deliberate": False}).models == ("Deliberate",)


def test_all_inpainting_matches_names():
    assert _resolve("all inpainting").models == ("stable_diffusion_inpainting",)


def test_names_come_first_then_instructions_in_order_without_duplicates():
    resolved = _resolve("My Custom Model", "top 1", "Deliberate", "all inpainting", "top 2")
    assert resolved.models == (
        "My Custom Model",
        "Deliberate",
        "AlbedoBase XL (SDXL)",
        "stable_diffusion_inpainting",
    )
    assert resolved.unresolved == ()


def test_skip_names_and_skip_meta_entries_are_removed():
    resolved = _resolve("all", skip=("Deliberate", "all nsfw"), model_nsfw=NSFW)
    assert resolved.models == ("AlbedoBase XL (SDXL)", "Juggernaut XL", "stable_diffusion_inpainting")
    # An unresolvable skip entry is reported too (and removes nothing).
    assert _resolve("top 1", skip=("all sdxl",)).unresolved == ("all sdxl",)


def test_resolution_is_deterministic_whatever_the_status_order():
    shuffled = AllActiveModelsResponse.model_validate(list(reversed(STATUS.model_dump(by_alias=True))))
    load = _selection("top 3", "all")
    first = resolve_model_instructions(load.names, load.meta_instructions, STATUS)
    second = resolve_model_instructions(load.names, load.meta_instructions, shuffled)
    assert first == second


def test_resolve_config_models():
    config = ImageWorkerDeployConfig(
        dreamer_name="w",
        models_to_load=_selection("top 2", "Custom"),
        models_to_skip=_selection("AlbedoBase XL (SDXL)"),
    )
    assert resolve_config_models(config, STATUS).models == ("Custom", "Deliberate")


class _FakeClient:
    def __init__(self) -> None:
        self.requests: list[object] = []

    def submit_request(self, request: object, expected_response_type: type) -> Any:
        self.requests.append(request)
        if isinstance(request, AllActiveModelsRequest):
            assert expected_response_type is AllActiveModelsResponse
            return STATUS
        assert isinstance(request, ImageStatsModelsRequest)
        assert expected_response_type is ImageStatsModelsResponse
        return STATS


class _FakeAsyncClient(_FakeClient):
    async def submit_request(self, request: object, expected_response_type: type) -> Any:
        return _FakeClient.submit_request(self, request, expected_response_type)


def test_fetch_and_resolve_asks_status_for_image_models_and_stats_only_when_ranking():
    client = _FakeClient()
    config = ImageWorkerDeployConfig(dreamer_name="w", models_to_load=_selection("top 1"))
    assert fetch_and_resolve_models(client, config).models == ("Hentai Diffusion",)  # type: ignore[arg-type]  # a duck-typed fake client stands in for the SDK client
    status_request, stats_request = client.requests
    assert isinstance(status_request, AllActiveModelsRequest)
    assert str(status_request.type_) == "image"
    assert isinstance(stats_request, ImageStatsModelsRequest)

    client = _FakeClient()
    assert fetch_and_resolve_models(client, config, use_stats=False).models == ("AlbedoBase XL (SDXL)",)  # type: ignore[arg-type]  # a duck-typed fake client stands in for the SDK client
    assert len(client.requests) == 1

    client = _FakeClient()
    all_config = ImageWorkerDeployConfig(dreamer_name="w", models_to_load=_selection("all inpainting"))
    assert fetch_and_resolve_models(client, all_config).models == ("stable_diffusion_inpainting",)  # type: ignore[arg-type]  # a duck-typed fake client stands in for the SDK client
    assert len(client.requests) == 1


def test_fetch_nothing_without_meta_entries():
    client = _FakeClient()
    config = ImageWorkerDeployConfig(dreamer_name="w", models_to_load=_selection("Deliberate"))
    assert fetch_and_resolve_models(client, config).models == ("Deliberate",)  # type: ignore[arg-type]  # a duck-typed fake client stands in for the SDK client
    assert client.requests == []


def test_async_fetch_and_resolve():
    client = _FakeAsyncClient()
    config = ImageWorkerDeployConfig(dreamer_name="w", models_to_load=_selection("all sdxl"))
    resolved = asyncio.run(fetch_and_resolve_models_async(client, config, model_baselines=BASELINES))  # type: ignore[arg-type]  # a duck-typed fake client stands in for the SDK client
    assert resolved.models == ("AlbedoBase XL (SDXL)", "Juggernaut XL")
    assert len(client.requests) == 1
