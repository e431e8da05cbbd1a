"""What a worker can serve, and whether a generation asks for more than that.

`WorkerFeatureFlags` is the generic base; `ImageWorkerFeatureFlags`, `TextWorkerFeatureFlags` and
`AlchemyWorkerFeatureFlags` are built from a worker's deploy configuration (`horde_sdk.deploy_config`). They
answer one question with `check`: can the worker run a generation? The answer (`SupportResult`) lists *every*
reason it cannot, not only the first.

Nothing is re-implemented here: the configuration's own checks (`get_unmet_image_requirements` and friends,
which compare the feature flags of `horde_sdk.generation_parameters` and the configured limits such as
`max_pixels`, `max_batch` or `max_length`) give the reasons. On top of them a worker can narrow what it serves:

* `backend_flags`: what the inference backend supports (reasons are prefixed with ``backend: ``; `served` is the
  configuration's flags narrowed to them);
* `models`: the concrete models it serves (a generation for another model gets a ``model: ...`` reason).

A check given only feature flags (no parameter set) cannot check limits or models, which need the parameters.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from horde_sdk.deploy_config import (
    KNOWN_WORKER_KINDS,
    AlchemyWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import (
    AlchemyFeatureFlags,
    AlchemyParameters,
    ImageGenerationFeatureFlags,
    ImageGenerationParameters,
    TextGenerationFeatureFlags,
    TextGenerationParameters,
)
from horde_sdk.generation_parameters.generic import ComposedParameterSetBase, GenerationFeatureFlags

__all__ = [
    "BACKEND_REASON_PREFIX",
    "AlchemyWorkerFeatureFlags",
    "ImageWorkerFeatureFlags",
    "SupportResult",
    "TextWorkerFeatureFlags",
    "WorkerFeatureFlags",
]

BACKEND_REASON_PREFIX = "backend: "
"""Prefix of the reasons coming from `WorkerFeatureFlags.backend_flags` (what the backend cannot do)."""

FlagsT = TypeVar("FlagsT", bound=GenerationFeatureFlags)
ParametersT = TypeVar("ParametersT", bound=ComposedParameterSetBase)


@dataclass(frozen=True, slots=True)
class SupportResult:
    """Whether a worker can run a generation and, when it cannot, every reason why.

    It is truthy when the generation is supported.
    """

    supported: bool
    """True when nothing is unmet."""
    reasons: tuple[str, ...] = ()
    """One description per unmet requirement, in a stable order (empty when supported)."""

    @classmethod
    def from_reasons(cls, reasons: Iterable[str]) -> SupportResult:
        """Build the result from the unmet requirements (duplicates are dropped, the first occurrence kept).

        Args:
            reasons: The descriptions of the unmet requirements.

        Returns:
            A supported result when `reasons` is empty, otherwise an unsupported one listing them.
        """
        unique = tuple(dict.fromkeys(reasons))
        return cls(supported=not unique, reasons=unique)

    def __bool__(self) -> bool:
        return self.supported


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerFeatureFlags(ABC, Generic[FlagsT, ParametersT]):
    """The features a worker serves, and the check of a generation against them (see the module docstring)."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS]
    """The kind of worker these flags describe."""

    backend_flags: FlagsT | None = None
    """What the inference backend supports; None means everything the configuration allows."""
    models: tuple[str, ...] | None = None
    """The concrete models served; None means the model is not checked."""

    @property
    @abstractmethod
    def flags(self) -> FlagsT:
        """The features the deploy configuration lets the worker serve."""

    @property
    def served(self) -> FlagsT:
        """The features the worker serves: `flags` narrowed to `backend_flags`.

        A flag is on when both have it on, a list holds the values both list; `flags` itself when the backend's are
        not known.
        """
        allowed = self.flags
        if self.backend_flags is None:
            return allowed
        values: dict[str, object] = {}
        for name in type(allowed).model_fields:
            mine, theirs = getattr(allowed, name), getattr(self.backend_flags, name)
            if isinstance(mine, bool):
                values[name] = mine and bool(theirs)
            elif isinstance(mine, tuple):
                values[name] = tuple(value for value in mine if value in theirs)
        return type(allowed).model_validate(values)

    @abstractmethod
    def _parameters_type(self) -> type[ParametersT]:
        """Return the parameter set class this kind checks."""

    @abstractmethod
    def _unmet_configuration_requirements(self, parameters: ParametersT) -> tuple[str, ...]:
        """Return what the deploy configuration does not allow in `parameters` (features and limits)."""

    def _model_of(self, parameters: ParametersT) -> str | None:
        """Return the model `parameters` asks for (None when it names none)."""
        model = getattr(parameters, "model", None)
        return model if isinstance(model, str) else None

    def check(self, required: FlagsT | ParametersT) -> SupportResult:
        """Return whether the worker can run a generation, with every reason when it cannot.

        Args:
            required: The generation's parameter set, or only the feature flags it requires. With flags only,
                limits (sizes, lengths) and models are not checked.

        Returns:
            The result; its `reasons` hold the configuration's reasons first, then the backend's (prefixed with
            `BACKEND_REASON_PREFIX`), then the model's.

        Raises:
            TypeError: If `required` belongs to another kind of generation.
        """
        reasons: list[str]
        if isinstance(required, self._parameters_type()):
            parameters = required
            reasons = list(self._unmet_configuration_requirements(parameters))
            required_flags: FlagsT = parameters.get_required_feature_flags()  # type: ignore[assignment]
        elif isinstance(required, GenerationFeatureFlags):
            required_flags = required
            reasons = list(required_flags.get_unmet_requirements(self.flags))
        else:
            raise TypeError(f"{type(self).__name__} cannot check a {type(required).__name__}")
        if self.backend_flags is not None:
            reasons.extend(
                BACKEND_REASON_PREFIX + reason
                for reason in required_flags.get_unmet_requirements(self.backend_flags)
                if reason not in reasons
            )
        if self.models is not None and isinstance(required, self._parameters_type()):
            model = self._model_of(required)
            if model is not None and model not in self.models:
                reasons.append(f"model: {model} is not served")
        return SupportResult.from_reasons(reasons)

    def supports(self, required: FlagsT | ParametersT) -> bool:
        """Return whether `check` finds nothing unmet.

        Args:
            required: The generation's parameter set or required feature flags.

        Returns:
            True when supported.
        """
        return self.check(required).supported


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageWorkerFeatureFlags(WorkerFeatureFlags[ImageGenerationFeatureFlags, ImageGenerationParameters]):
    """What an image worker (a dreamer) serves: its configuration's features and limits, narrowed further."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.dreamer

    deploy_config: ImageWorkerDeployConfig
    """The configuration the flags come from."""

    @classmethod
    def from_deploy_config(
        cls,
        config: ImageWorkerDeployConfig,
        *,
        backend_flags: ImageGenerationFeatureFlags | None = None,
        models: Iterable[str] | None = None,
    ) -> ImageWorkerFeatureFlags:
        """Build the flags of an image worker.

        Args:
            config: The worker's deploy configuration (an image or combined one).
            backend_flags: What the backend supports, if it supports less than the configuration allows.
            models: The concrete models served (for example resolved by `dispatch.ai_horde.model_resolution`).

        Returns:
            The flags.
        """
        return cls(
            deploy_config=config,
            backend_flags=backend_flags,
            models=tuple(models) if models is not None else None,
        )

    @property
    def flags(self) -> ImageGenerationFeatureFlags:
        """The image features the configuration allows (`ImageWorkerDeployConfig.image_feature_flags`)."""
        return self.deploy_config.image_feature_flags()

    @property
    def max_pixels(self) -> int:
        """The largest image (width times height) served."""
        return self.deploy_config.max_pixels

    @property
    def max_batch(self) -> int:
        """The most images generated in one run."""
        return self.deploy_config.max_batch

    def _parameters_type(self) -> type[ImageGenerationParameters]:
        return ImageGenerationParameters

    def _unmet_configuration_requirements(self, parameters: ImageGenerationParameters) -> tuple[str, ...]:
        return self.deploy_config.get_unmet_image_requirements(parameters)


@dataclass(frozen=True, slots=True, kw_only=True)
class TextWorkerFeatureFlags(WorkerFeatureFlags[TextGenerationFeatureFlags, TextGenerationParameters]):
    """What a text worker (a scribe) serves: its configuration's features and lengths, narrowed further."""

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.scribe

    deploy_config: TextWorkerDeployConfig
    """The configuration the flags come from."""

    @classmethod
    def from_deploy_config(
        cls,
        config: TextWorkerDeployConfig,
        *,
        backend_flags: TextGenerationFeatureFlags | None = None,
        models: Iterable[str] | None = None,
    ) -> TextWorkerFeatureFlags:
        """Build the flags of a text worker.

        Args:
            config: The worker's deploy configuration (a text or combined one).
            backend_flags: What the backend supports, if it supports less than the configuration allows.
            models: The model names served (as announced to the horde).

        Returns:
            The flags.
        """
        return cls(
            deploy_config=config,
            backend_flags=backend_flags,
            models=tuple(models) if models is not None else None,
        )

    @property
    def flags(self) -> TextGenerationFeatureFlags:
        """The text features the configuration allows (`TextWorkerDeployConfig.text_feature_flags`)."""
        return self.deploy_config.text_feature_flags()

    @property
    def max_length(self) -> int:
        """The most tokens generated for one request."""
        return self.deploy_config.max_length

    @property
    def max_context_length(self) -> int:
        """The largest context accepted, in tokens."""
        return self.deploy_config.max_context_length

    def _parameters_type(self) -> type[TextGenerationParameters]:
        return TextGenerationParameters

    def _unmet_configuration_requirements(self, parameters: TextGenerationParameters) -> tuple[str, ...]:
        return self.deploy_config.get_unmet_text_requirements(parameters)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlchemyWorkerFeatureFlags(WorkerFeatureFlags[AlchemyFeatureFlags, AlchemyParameters]):
    """What an alchemy worker (an alchemist) serves: the forms of its configuration, narrowed further.

    `models` is not used by alchemy (forms are not models) and is ignored.
    """

    worker_kind: ClassVar[KNOWN_WORKER_KINDS] = KNOWN_WORKER_KINDS.alchemist

    deploy_config: AlchemyWorkerDeployConfig
    """The configuration the flags come from."""

    @classmethod
    def from_deploy_config(
        cls,
        config: AlchemyWorkerDeployConfig,
        *,
        backend_flags: AlchemyFeatureFlags | None = None,
    ) -> AlchemyWorkerFeatureFlags:
        """Build the flags of an alchemy worker.

        Args:
            config: The worker's deploy configuration (an alchemy or combined one).
            backend_flags: The forms the backend can run, if fewer than the configuration lists.

        Returns:
            The flags.
        """
        return cls(deploy_config=config, backend_flags=backend_flags)

    @property
    def flags(self) -> AlchemyFeatureFlags:
        """The forms the configuration serves (`AlchemyWorkerDeployConfig.alchemy_feature_flags`)."""
        return self.deploy_config.alchemy_feature_flags()

    @property
    def forms(self) -> tuple[str, ...]:
        """The form names served, with ``post-process`` expanded."""
        return self.deploy_config.get_alchemy_forms()

    def _parameters_type(self) -> type[AlchemyParameters]:
        return AlchemyParameters

    def _unmet_configuration_requirements(self, parameters: AlchemyParameters) -> tuple[str, ...]:
        return self.deploy_config.get_unmet_alchemy_requirements(parameters)

    def _model_of(self, parameters: AlchemyParameters) -> str | None:  # noqa: ARG002 (forms are no models)
        return None
