"""The image models a worker is told to load or skip: concrete names and meta entries (``top 5``, ``all sdxl``).

Meta entries are parsed into `ModelMetaInstruction` objects and kept apart from the model names. They are
instructions only: which models ``top 5`` means depends on the live model list, which the worker resolves.
"""

from collections.abc import Sequence
from typing import Any

from pydantic import Field, model_serializer, model_validator

from horde_sdk.deploy_config._logging import get_logger
from horde_sdk.deploy_config.consts import KNOWN_MODEL_META_INSTRUCTIONS
from horde_sdk.deploy_config.model_config import _DeployConfigModel
from horde_sdk.generation_parameters.image import KNOWN_IMAGE_MODEL_BASELINES, KnownImageModelBaseline

_BASELINE_WORDS: dict[str, tuple[KNOWN_IMAGE_MODEL_BASELINES, ...]] = {
    "sdxl": (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_xl,),
    "sd15": (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_1,),
    "sd1": (KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_1,),
    "sd21": (
        KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_768,
        KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_512,
    ),
    "sd2": (
        KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_768,
        KNOWN_IMAGE_MODEL_BASELINES.stable_diffusion_2_512,
    ),
    "cascade": (KNOWN_IMAGE_MODEL_BASELINES.stable_cascade,),
    "flux": (KNOWN_IMAGE_MODEL_BASELINES.flux_1,),
}
"""The baseline word of an ``all <word>`` entry -> the model baselines it selects."""

_FILTER_WORDS: dict[str, KNOWN_MODEL_META_INSTRUCTIONS] = {
    "sfw": KNOWN_MODEL_META_INSTRUCTIONS.all_sfw,
    "nsfw": KNOWN_MODEL_META_INSTRUCTIONS.all_nsfw,
    "inpainting": KNOWN_MODEL_META_INSTRUCTIONS.all_inpainting,
    "models": KNOWN_MODEL_META_INSTRUCTIONS.all,
}
"""The word of an ``all <word>`` entry which is not a baseline -> the instruction it stands for."""

MODEL_META_BASELINE_WORDS: tuple[str, ...] = tuple(_BASELINE_WORDS)
"""The words accepted after ``all`` to select the models of a baseline (``all sdxl``, ``all sd15``, ...)."""


class ModelMetaInstruction(_DeployConfigModel):
    """A meta entry of a model list, such as ``top 5``, ``bottom 3``, ``all``, ``all sdxl`` or ``all sfw``."""

    kind: KNOWN_MODEL_META_INSTRUCTIONS = Field(description="What the entry selects.")
    count: int | None = Field(default=None, ge=1, description="How many models `top` / `bottom` select.")
    baselines: tuple[KnownImageModelBaseline, ...] = Field(
        default=(),
        description="For `all`: only models of these baselines (empty means every model).",
    )
    entry: str = Field(description="The entry as it was written in the configuration.")


def parse_model_entry(entry: str) -> ModelMetaInstruction | None:
    """Return the instruction a meta entry stands for, or None when `entry` names a model.

    Meta entries are matched without regard to case or extra spaces: ``top N`` and ``bottom N`` (N a positive
    whole number), ``all`` / ``all models``, ``all sfw``, ``all nsfw``, ``all inpainting`` and ``all <baseline>``
    (see `MODEL_META_BASELINE_WORDS`). Anything else is a model name; an ``all ...`` entry that matches nothing is
    kept as a model name with a logged warning.

    Args:
        entry: One entry of `models_to_load` or `models_to_skip`.

    Returns:
        The parsed instruction, or None for a model name.

    Raises:
        ValueError: If the entry is blank, or is a ``top N`` / ``bottom N`` entry whose N is not positive.
    """
    words = entry.lower().split()
    if not words:
        raise ValueError("model entries must not be empty or whitespace only")
    head, rest = words[0], words[1:]
    if head in ("top", "bottom") and len(rest) == 1 and rest[0].lstrip("+-").isdigit():
        count = int(rest[0])
        if count < 1:
            raise ValueError(f"the N of a '{head} N' entry must be a positive whole number, got {entry!r}")
        return ModelMetaInstruction(kind=KNOWN_MODEL_META_INSTRUCTIONS(head), count=count, entry=entry)
    if head != "all":
        return None
    if not rest:
        return ModelMetaInstruction(kind=KNOWN_MODEL_META_INSTRUCTIONS.all, entry=entry)
    if len(rest) == 1 and rest[0] in _FILTER_WORDS:
        return ModelMetaInstruction(kind=_FILTER_WORDS[rest[0]], entry=entry)
    if len(rest) == 1 and rest[0] in _BASELINE_WORDS:
        return ModelMetaInstruction(
            kind=KNOWN_MODEL_META_INSTRUCTIONS.all,
            baselines=_BASELINE_WORDS[rest[0]],
            entry=entry,
        )
    get_logger().warning(
        f"model entry {entry!r} starts with 'all' but is no known meta entry; it is kept as a model name",
        entry=entry,
    )
    return None


class ModelSelection(_DeployConfigModel):
    """A model list of the configuration (`models_to_load`, `models_to_skip`), split into names and instructions.

    It is read from (and written back as) the plain list of the configuration file. Written back, the meta
    entries come first, then the model names, each group in its original order.
    """

    names: tuple[str, ...] = Field(default=(), description="The concrete model names, in order.")
    meta_instructions: tuple[ModelMetaInstruction, ...] = Field(
        default=(),
        description="The meta entries, parsed, in order.",
    )

    @model_validator(mode="before")
    @classmethod
    def split_entries(cls, data: Any) -> Any:  # noqa: ANN401 (pydantic passes raw input)
        """Accept the configuration's plain list of entries (each a model name or a meta entry).

        Args:
            data: The raw input: a list of strings, or the model's own fields.

        Returns:
            The fields of the model.

        Raises:
            ValueError: If the input is not a list of strings, or an entry is invalid.
        """
        if isinstance(data, str) or not isinstance(data, Sequence):
            if isinstance(data, dict | ModelSelection):
                return data
            raise ValueError("must be a list of model names or meta entries (such as 'top 5' or 'all sdxl')")
        names: list[str] = []
        instructions: list[ModelMetaInstruction] = []
        for position, entry in enumerate(data):
            if not isinstance(entry, str):
                raise ValueError(f"entry {position + 1} must be text (a model name or a meta entry)")  # noqa: TRY004
            instruction = parse_model_entry(entry)
            if instruction is None:
                names.append(entry.strip())
            else:
                instructions.append(instruction)
        return {"names": tuple(names), "meta_instructions": tuple(instructions)}

    @model_serializer(mode="plain")
    def as_entries(self) -> list[str]:
        """Write the selection back as the configuration's list: meta entries first, then names."""
        return [instruction.entry for instruction in self.meta_instructions] + list(self.names)

    def is_empty(self) -> bool:
        """Return whether the selection has neither names nor meta entries."""
        return not self.names and not self.meta_instructions
