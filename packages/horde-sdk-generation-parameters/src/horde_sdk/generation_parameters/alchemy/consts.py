"""Constants of alchemy (image post-processing and analysis): the `KNOWN_ALCHEMY_FORMS` enum.

An alchemy request applies one or more forms to a source image. Besides the analysis forms (caption,
interrogation, NSFW check, ...), every post-processor of `KNOWN_IMAGE_POST_PROCESSORS` is a form of its own.
"""

from enum import StrEnum
from typing import Annotated, TypeAlias

from horde_sdk.generation_parameters.generic.consts import KNOWN_FACEFIXERS, KNOWN_UPSCALERS
from horde_sdk.generation_parameters.validation import KnownValue

__all__ = [
    "KNOWN_ALCHEMY_FORMS",
    "KnownAlchemyForm",
    "KnownFacefixer",
    "KnownUpscaler",
]


class KNOWN_ALCHEMY_FORMS(StrEnum):  # noqa: N801 (project convention for KNOWN_ enums)
    """Every alchemy form name known to the AI Horde (wire names)."""

    caption = "caption"
    """Describe the image in a sentence (BLIP-style captioning)."""
    interrogation = "interrogation"
    """Rank descriptive terms against the image (CLIP interrogation)."""
    nsfw = "nsfw"
    """Decide whether the image is NSFW."""
    vectorize = "vectorize"
    """Turn the image into vector graphics."""
    palette = "palette"
    """Extract the image's colour palette."""
    describe = "describe"
    """Describe the image in prose with a vision-language model."""
    aesthetic = "aesthetic"
    """Score the image's aesthetic quality."""
    GFPGAN = "GFPGAN"
    RealESRGAN_x4plus = "RealESRGAN_x4plus"
    RealESRGAN_x2plus = "RealESRGAN_x2plus"
    RealESRGAN_x4plus_anime_6B = "RealESRGAN_x4plus_anime_6B"
    NMKD_Siax = "NMKD_Siax"
    _4x_AnimeSharp = "4x_AnimeSharp"
    CodeFormers = "CodeFormers"
    strip_background = "strip_background"
    _4xNomos8kSC = "4xNomos8kSC"
    _4xLSDIRplus = "4xLSDIRplus"
    _4xNomosWebPhoto_RealPLKSR = "4xNomosWebPhoto_RealPLKSR"
    _4xNomos2_realplksr_dysample = "4xNomos2_realplksr_dysample"
    _4xNomos2_hq_dat2 = "4xNomos2_hq_dat2"
    _2xModernSpanimationV1 = "2xModernSpanimationV1"
    GFPGANv1_3 = "GFPGANv1.3"
    RestoreFormer = "RestoreFormer"


# The field types that accept these values: the member when known, the value itself (with a warning) when not.
KnownAlchemyForm: TypeAlias = Annotated[KNOWN_ALCHEMY_FORMS | str, KnownValue(KNOWN_ALCHEMY_FORMS)]
"""An alchemy form: a `KNOWN_ALCHEMY_FORMS` member, or the text of an unknown one (with a warning)."""

KnownUpscaler: TypeAlias = Annotated[KNOWN_UPSCALERS | str, KnownValue(KNOWN_UPSCALERS)]
"""An upscaler: a `KNOWN_UPSCALERS` member, or the text of an unknown one (with a warning)."""

KnownFacefixer: TypeAlias = Annotated[KNOWN_FACEFIXERS | str, KnownValue(KNOWN_FACEFIXERS)]
"""A face fixer: a `KNOWN_FACEFIXERS` member, or the text of an unknown one (with a warning)."""
