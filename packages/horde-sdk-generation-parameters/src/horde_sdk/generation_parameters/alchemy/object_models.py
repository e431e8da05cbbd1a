"""API-agnostic descriptions of alchemy: post-processing or analysing an existing image.

Each form kind has its own parameter class (`UpscaleAlchemyParameters`, `CaptionAlchemyParameters`, ...), told
apart by their `kind` field. `AlchemyParameters` applies one or more forms to a source image and is the parameter
set clients, workers and deploy-config exchange; `AlchemyParametersTemplate` is its all-optional twin, and
`AlchemyFeatureFlags` lists the forms required or supported.
"""

from abc import ABC, abstractmethod
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field

from horde_sdk.generation_parameters.alchemy.consts import (
    KNOWN_ALCHEMY_FORMS,
    KnownAlchemyForm,
    KnownFacefixer,
    KnownUpscaler,
)
from horde_sdk.generation_parameters.generic.consts import (
    KNOWN_MISC_POST_PROCESSORS,
    is_facefixer,
    is_upscaler,
)
from horde_sdk.generation_parameters.generic.object_models import (
    ComposedParameterSetBase,
    GenerationFeatureFlags,
    GenerationParameterComponentBase,
    GenerationSourceImage,
    ParametersTemplateBase,
)
from horde_sdk.generation_parameters.validation import Bounds, NotEmpty, resolve_known_value

__all__ = [
    "AestheticAlchemyParameters",
    "AlchemyFeatureFlags",
    "AlchemyFormParameters",
    "AlchemyFormParametersBase",
    "AlchemyParameters",
    "AlchemyParametersTemplate",
    "CaptionAlchemyParameters",
    "DescribeAlchemyParameters",
    "FacefixAlchemyParameters",
    "InterrogateAlchemyParameters",
    "NSFWAlchemyParameters",
    "OtherAlchemyParameters",
    "PaletteAlchemyParameters",
    "StripBackgroundAlchemyParameters",
    "UpscaleAlchemyParameters",
    "VectorizeAlchemyParameters",
    "get_alchemy_feature_flags_required",
    "get_alchemy_form_parameters",
]


_D_SOURCE_IMAGE = "The image the forms apply to (bytes, URL or base64)."
_D_FORMS = "The forms to apply to the source image, at least one; each yields one result."


class AlchemyFormParametersBase(GenerationParameterComponentBase, ABC):
    """The base of the per-form alchemy parameter classes."""

    @abstractmethod
    def get_form_name(self) -> str:
        """Return the wire name of this form (for example ``caption`` or ``RealESRGAN_x4plus``)."""


class UpscaleAlchemyParameters(AlchemyFormParametersBase):
    """Upscale the image with one upscaler."""

    kind: Literal["upscale"] = Field(default="upscale", description="Identifies this form kind.")
    upscaler: KnownUpscaler = Field(description="The upscaler, a KNOWN_UPSCALERS value; also the form name.")

    def get_form_name(self) -> str:
        """Return the upscaler's name, which is the form name.

        Returns:
            The form name.
        """
        return str(self.upscaler)


class FacefixAlchemyParameters(AlchemyFormParametersBase):
    """Restore faces in the image with one face fixer."""

    kind: Literal["facefix"] = Field(default="facefix", description="Identifies this form kind.")
    facefixer: KnownFacefixer = Field(description="The face fixer, a KNOWN_FACEFIXERS value; also the form name.")
    facefixer_strength: Annotated[float, Bounds(minimum=0, maximum=1)] | None = Field(
        default=None,
        description="The strength of the fix, from 0 to 1; None uses the backend default.",
    )

    def get_form_name(self) -> str:
        """Return the face fixer's name, which is the form name.

        Returns:
            The form name.
        """
        return str(self.facefixer)


class StripBackgroundAlchemyParameters(AlchemyFormParametersBase):
    """Remove the image's background (making it transparent)."""

    kind: Literal["strip_background"] = Field(default="strip_background", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``strip_background``.

        Returns:
            The form name.
        """
        return str(KNOWN_MISC_POST_PROCESSORS.strip_background)


class CaptionAlchemyParameters(AlchemyFormParametersBase):
    """Describe the image in a sentence."""

    kind: Literal["caption"] = Field(default="caption", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``caption``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.caption)


class InterrogateAlchemyParameters(AlchemyFormParametersBase):
    """Rank descriptive terms against the image (CLIP interrogation)."""

    kind: Literal["interrogation"] = Field(default="interrogation", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``interrogation``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.interrogation)


class NSFWAlchemyParameters(AlchemyFormParametersBase):
    """Check whether the image is NSFW."""

    kind: Literal["nsfw"] = Field(default="nsfw", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``nsfw``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.nsfw)


class DescribeAlchemyParameters(AlchemyFormParametersBase):
    """Describe the image in prose with a vision-language model."""

    kind: Literal["describe"] = Field(default="describe", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``describe``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.describe)


class AestheticAlchemyParameters(AlchemyFormParametersBase):
    """Score the image's aesthetic quality."""

    kind: Literal["aesthetic"] = Field(default="aesthetic", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``aesthetic``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.aesthetic)


class PaletteAlchemyParameters(AlchemyFormParametersBase):
    """Extract the image's colour palette."""

    kind: Literal["palette"] = Field(default="palette", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``palette``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.palette)


class VectorizeAlchemyParameters(AlchemyFormParametersBase):
    """Turn the image into vector graphics."""

    kind: Literal["vectorize"] = Field(default="vectorize", description="Identifies this form kind.")

    def get_form_name(self) -> str:
        """Return ``vectorize``.

        Returns:
            The form name.
        """
        return str(KNOWN_ALCHEMY_FORMS.vectorize)


class OtherAlchemyParameters(AlchemyFormParametersBase):
    """A form this package has no dedicated class for, such as one added to the API after this release."""

    kind: Literal["other"] = Field(default="other", description="Identifies this form kind.")
    form: KnownAlchemyForm = Field(description="The form name, normally a KNOWN_ALCHEMY_FORMS value.")

    def get_form_name(self) -> str:
        """Return the form name as given.

        Returns:
            The form name.
        """
        return str(self.form)


AlchemyFormParameters: TypeAlias = Annotated[
    UpscaleAlchemyParameters
    | FacefixAlchemyParameters
    | StripBackgroundAlchemyParameters
    | CaptionAlchemyParameters
    | InterrogateAlchemyParameters
    | NSFWAlchemyParameters
    | DescribeAlchemyParameters
    | AestheticAlchemyParameters
    | PaletteAlchemyParameters
    | VectorizeAlchemyParameters
    | OtherAlchemyParameters,
    Field(discriminator="kind"),
]
"""Any one alchemy form's parameters; the `kind` field tells the classes apart."""

_FORM_CLASSES: dict[str, type[AlchemyFormParametersBase]] = {
    KNOWN_ALCHEMY_FORMS.caption: CaptionAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.interrogation: InterrogateAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.nsfw: NSFWAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.describe: DescribeAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.aesthetic: AestheticAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.palette: PaletteAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.vectorize: VectorizeAlchemyParameters,
    KNOWN_ALCHEMY_FORMS.strip_background: StripBackgroundAlchemyParameters,
}


def _as_known_form(form_name: str) -> str:
    """Return the `KNOWN_ALCHEMY_FORMS` member for `form_name`, or `form_name` itself, without logging."""
    try:
        return KNOWN_ALCHEMY_FORMS(form_name)
    except ValueError:
        return form_name


def get_alchemy_form_parameters(form_name: str) -> AlchemyFormParametersBase:
    """Return default parameters for the form called `form_name` (as an API or worker names it).

    Args:
        form_name: A form wire name such as ``caption``, ``RealESRGAN_x2plus`` or ``CodeFormers``.

    Returns:
        An instance of the dedicated class for the form; an `OtherAlchemyParameters` (after a logged warning)
        for a form this package does not know.
    """
    if is_upscaler(form_name):
        return UpscaleAlchemyParameters(upscaler=form_name)
    if is_facefixer(form_name):
        return FacefixAlchemyParameters(facefixer=form_name)
    form_class = _FORM_CLASSES.get(form_name)
    if form_class is not None:
        return form_class()
    resolve_known_value(form_name, KNOWN_ALCHEMY_FORMS, "form")
    return OtherAlchemyParameters.model_construct(form=form_name)


class AlchemyFeatureFlags(GenerationFeatureFlags):
    """Alchemy forms a parameter set requires, or that an alchemy worker supports."""

    alchemy_forms: tuple[KnownAlchemyForm, ...] = Field(default=(), description="Form names.")

    @classmethod
    def required_for(cls, parameters: "AlchemyParameters") -> "AlchemyFeatureFlags":
        """Return the forms `parameters` requires (same as `get_alchemy_feature_flags_required`).

        Args:
            parameters: The parameter set to inspect.

        Returns:
            The required feature flags.
        """
        return get_alchemy_feature_flags_required(parameters)


class AlchemyParameters(ComposedParameterSetBase):
    """One or more alchemy forms applied to one source image; each form yields one result."""

    source_image: GenerationSourceImage = Field(description=_D_SOURCE_IMAGE)
    forms: Annotated[tuple[AlchemyFormParameters, ...], NotEmpty()] = Field(description=_D_FORMS)

    def get_form_names(self) -> tuple[str, ...]:
        """Return the wire names of the forms, in order.

        Returns:
            One name per form.
        """
        return tuple(form.get_form_name() for form in self.forms)

    def get_number_expected_results(self) -> int:
        """Return the number of results: one per form.

        Returns:
            The number of forms.
        """
        return len(self.forms)

    def get_required_feature_flags(self) -> AlchemyFeatureFlags:
        """Return the forms a worker must support to run this request.

        Returns:
            The required alchemy feature flags.
        """
        return get_alchemy_feature_flags_required(self)


def get_alchemy_feature_flags_required(parameters: AlchemyParameters) -> AlchemyFeatureFlags:
    """Derive the feature flags (the form names) a worker must support to run `parameters`.

    Args:
        parameters: The alchemy parameter set to inspect.

    Returns:
        The flags listing each distinct form name once, in order of first use.
    """
    names = [_as_known_form(name) for name in parameters.get_form_names()]
    return AlchemyFeatureFlags.model_construct(alchemy_forms=tuple(dict.fromkeys(names)))


class AlchemyParametersTemplate(ParametersTemplateBase):
    """`AlchemyParameters` with every field optional (None means "not specified")."""

    source_image: GenerationSourceImage | None = Field(default=None, description=_D_SOURCE_IMAGE)
    forms: Annotated[tuple[AlchemyFormParameters, ...], NotEmpty()] | None = Field(default=None, description=_D_FORMS)

    def to_parameters(self, **overrides: Any) -> AlchemyParameters:  # noqa: ANN401
        """Merge this template with `overrides` (which win) and validate the result.

        Args:
            **overrides: Field values of `AlchemyParameters` taking precedence over the template.

        Returns:
            The validated parameter set.

        Raises:
            pydantic.ValidationError: If the merged values are incomplete (no source image or forms) or invalid.
        """
        return self._build_parameters(AlchemyParameters, overrides)
