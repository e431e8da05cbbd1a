"""Constants shared by every kind of generation: model configuration, schema version and post-processors.

The post-processor enums live here rather than in `image.consts` because both image generation (the
post-processing chain) and alchemy (one form per post-processor) use them.
"""

from enum import StrEnum

from pydantic import ConfigDict

__all__ = [
    "GENERATION_PARAMETERS_SCHEMA_VERSION",
    "KNOWN_FACEFIXERS",
    "KNOWN_IMAGE_POST_PROCESSORS",
    "KNOWN_MISC_POST_PROCESSORS",
    "KNOWN_UPSCALERS",
    "get_generation_parameters_model_config",
    "is_facefixer",
    "is_upscaler",
]

GENERATION_PARAMETERS_SCHEMA_VERSION = 1
"""The schema version stamped on every parameter set and template built by this version of the package.

Version 0 is the unversioned layout used before this package existed (`ddim_steps`, `n_iter` and a
boolean `karras`); the migrations registered in `generic.object_models` bring such data up to date.
"""


def get_generation_parameters_model_config() -> ConfigDict:
    """Return the pydantic configuration every model of this package uses.

    Generation parameters are input objects, so unknown fields are always rejected (a typo such as
    ``stpes=30`` fails loudly), models are frozen (and so hashable), and non-finite floats are refused.
    Validators are built when a class is first used rather than at import (`defer_build`), which keeps importing
    the package fast. Field names starting with ``model_`` (such as `LoRaEntry.model_strength`) are allowed.

    `GenerationParameterBaseModel` spells this configuration out as ``ConfigDict(...)`` keywords in its class body
    (pydantic's mypy plugin reads only those); a test keeps the two equal. Subclass that base rather than calling
    this function in a model's body, so that type checkers know the configuration.

    Returns:
        A fresh `ConfigDict`.
    """
    return ConfigDict(
        frozen=True,
        extra="forbid",
        from_attributes=True,
        use_attribute_docstrings=False,
        protected_namespaces=(),
        allow_inf_nan=False,
        defer_build=True,
    )


class KNOWN_UPSCALERS(StrEnum):  # noqa: N801 (project convention for KNOWN_ enums)
    """Upscaling post-processors known to the AI Horde (wire names)."""

    RealESRGAN_x4plus = "RealESRGAN_x4plus"
    RealESRGAN_x2plus = "RealESRGAN_x2plus"
    RealESRGAN_x4plus_anime_6B = "RealESRGAN_x4plus_anime_6B"
    NMKD_Siax = "NMKD_Siax"
    _4x_AnimeSharp = "4x_AnimeSharp"
    _4xNomos8kSC = "4xNomos8kSC"
    _4xLSDIRplus = "4xLSDIRplus"
    _4xNomosWebPhoto_RealPLKSR = "4xNomosWebPhoto_RealPLKSR"
    _4xNomos2_realplksr_dysample = "4xNomos2_realplksr_dysample"
    _4xNomos2_hq_dat2 = "4xNomos2_hq_dat2"
    _2xModernSpanimationV1 = "2xModernSpanimationV1"


class KNOWN_FACEFIXERS(StrEnum):  # noqa: N801
    """Face-restoring post-processors known to the AI Horde (wire names)."""

    GFPGAN = "GFPGAN"
    GFPGANv1_3 = "GFPGANv1.3"
    CodeFormers = "CodeFormers"
    RestoreFormer = "RestoreFormer"


class KNOWN_MISC_POST_PROCESSORS(StrEnum):  # noqa: N801
    """Post-processors which neither upscale nor fix faces (wire names)."""

    strip_background = "strip_background"


class KNOWN_IMAGE_POST_PROCESSORS(StrEnum):  # noqa: N801
    """Every post-processor known to the AI Horde: the union of upscalers, face fixers and the others."""

    RealESRGAN_x4plus = "RealESRGAN_x4plus"
    RealESRGAN_x2plus = "RealESRGAN_x2plus"
    RealESRGAN_x4plus_anime_6B = "RealESRGAN_x4plus_anime_6B"
    NMKD_Siax = "NMKD_Siax"
    _4x_AnimeSharp = "4x_AnimeSharp"
    _4xNomos8kSC = "4xNomos8kSC"
    _4xLSDIRplus = "4xLSDIRplus"
    _4xNomosWebPhoto_RealPLKSR = "4xNomosWebPhoto_RealPLKSR"
    _4xNomos2_realplksr_dysample = "4xNomos2_realplksr_dysample"
    _4xNomos2_hq_dat2 = "4xNomos2_hq_dat2"
    _2xModernSpanimationV1 = "2xModernSpanimationV1"
    GFPGAN = "GFPGAN"
    GFPGANv1_3 = "GFPGANv1.3"
    CodeFormers = "CodeFormers"
    RestoreFormer = "RestoreFormer"
    strip_background = "strip_background"


_UPSCALER_NAMES = frozenset(member.value for member in KNOWN_UPSCALERS)
_FACEFIXER_NAMES = frozenset(member.value for member in KNOWN_FACEFIXERS)


def is_upscaler(name: str) -> bool:
    """Return whether `name` is a known upscaling post-processor.

    Args:
        name: A post-processor wire name.

    Returns:
        True if `name` is a member value of `KNOWN_UPSCALERS`.
    """
    return name in _UPSCALER_NAMES


def is_facefixer(name: str) -> bool:
    """Return whether `name` is a known face-fixing post-processor.

    Args:
        name: A post-processor wire name.

    Returns:
        True if `name` is a member value of `KNOWN_FACEFIXERS`.
    """
    return name in _FACEFIXER_NAMES
