"""Building backends from a deploy configuration: built-in names, factory paths and the errors."""

from __future__ import annotations

import sys
import types
from typing import Any, Self

import pytest

from horde_sdk.deploy_config import (
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.generation_parameters import ImageGenerationFeatureFlags
from horde_sdk.worker.backends import (
    BUILTIN_TEXT_BACKENDS,
    BackendConfigError,
    DemoAlchemyBackend,
    DemoImageBackend,
    DemoTextBackend,
    KoboldAITextBackend,
    OpenAICompletionsTextBackend,
    backend_factory,
    load_alchemy_backend,
    load_image_backend,
    load_text_backend,
)

SECRET = "sk-loader-secret-456"
FAKE_MODULE = "fake_engine_for_tests.backends"


class FeaturelessImageBackend:
    """An image backend written before `ImageBackend.features` existed."""

    name = "fake-engine"
    runs_safety_check = False

    def __init__(self, config: Any) -> None:
        self.config = config

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def generate_images(self, job: Any) -> Any:
        raise NotImplementedError


class FakeImageBackend(FeaturelessImageBackend):
    features = ImageGenerationFeatureFlags()


class NotABackend:
    def __init__(self, config: Any) -> None:
        self.config = config


@pytest.fixture
def fake_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(FAKE_MODULE)
    module.FakeImageBackend = FakeImageBackend  # type: ignore[attr-defined]  # attributes of a module built at run time
    module.NotABackend = NotABackend  # type: ignore[attr-defined]  # attributes of a module built at run time
    module.factories = types.SimpleNamespace(image=FakeImageBackend)  # type: ignore[attr-defined]  # attributes of a module built at run time
    module.NOT_CALLABLE = 3  # type: ignore[attr-defined]  # attributes of a module built at run time
    monkeypatch.setitem(sys.modules, FAKE_MODULE, module)
    return module


# --- built-ins -----------------------------------------------------------------------------------------------


def test_unset_image_and_alchemy_backends_give_none() -> None:
    assert load_image_backend(ImageWorkerDeployConfig()) is None
    assert load_alchemy_backend(AlchemyWorkerDeployConfig()) is None


def test_demo_builtins_for_every_kind() -> None:
    config = CombinedWorkerDeployConfig(image_backend="demo", alchemy_backend="demo", text_backend="demo")
    image, alchemy, text = load_image_backend(config), load_alchemy_backend(config), load_text_backend(config)
    # The built-in name picks the demo class of each kind, and each kind gets its own, usable backend.
    assert (type(image), type(alchemy), type(text)) == (DemoImageBackend, DemoAlchemyBackend, DemoTextBackend)
    assert image is not None
    assert alchemy is not None
    assert text is not None
    assert (image.name, alchemy.name, text.name) == ("demo", "demo", "demo")
    assert image.features == DemoImageBackend().features
    assert image.features.samplers, "the demo image backend announces the samplers it draws with"


def test_koboldai_is_the_default_text_backend_at_kai_url() -> None:
    config = TextWorkerDeployConfig.model_validate(
        {"kai_url": "http://127.0.0.1:5001/", "text_backend_api_key": SECRET}
    )
    backend = load_text_backend(config)
    assert isinstance(backend, KoboldAITextBackend)
    assert backend.url == "http://127.0.0.1:5001"
    assert SECRET not in repr(backend)
    assert "api_key=set" in repr(backend)


def test_openai_uses_kai_url_and_model_name() -> None:
    config = TextWorkerDeployConfig(text_backend="openai", kai_url="http://127.0.0.1:8000", model_name="llama-3")
    backend = load_text_backend(config)
    assert isinstance(backend, OpenAICompletionsTextBackend)
    assert backend.url == "http://127.0.0.1:8000"
    assert backend.model == "llama-3"
    assert "api_key=none" in repr(backend)


def test_openai_without_model_name_says_to_set_it() -> None:
    with pytest.raises(BackendConfigError, match="set model_name"):
        load_text_backend(TextWorkerDeployConfig(text_backend="openai"))


def test_unknown_builtin_lists_the_builtins() -> None:
    with pytest.raises(BackendConfigError) as caught:
        load_text_backend(TextWorkerDeployConfig(text_backend="llamacpp"))
    message = str(caught.value)
    assert "'llamacpp'" in message
    for name in BUILTIN_TEXT_BACKENDS:
        assert repr(name) in message
    with pytest.raises(BackendConfigError, match="'demo'"):
        load_image_backend(ImageWorkerDeployConfig(image_backend="koboldai"))
    assert issubclass(BackendConfigError, ValueError)


# --- factory paths -------------------------------------------------------------------------------------------


def test_factory_path_is_imported_and_called_with_the_config(fake_module: types.ModuleType) -> None:
    config = ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:FakeImageBackend")
    backend = load_image_backend(config)
    assert isinstance(backend, FakeImageBackend)
    assert backend.config is config


def test_factory_path_with_a_dotted_attribute(fake_module: types.ModuleType) -> None:
    config = ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:factories.image")
    backend = load_image_backend(config)
    assert isinstance(backend, FakeImageBackend)
    assert backend.config is config  # the attribute found through the dot was called with the configuration


def test_factory_path_to_an_installed_module() -> None:
    config = TextWorkerDeployConfig(text_backend="horde_sdk.worker.backends.demo:DemoTextBackend")
    # DemoTextBackend takes no configuration, but the factory is called with it: a clear error, not a traceback.
    with pytest.raises(BackendConfigError, match="the factory failed \\(TypeError") as caught:
        load_text_backend(config)
    assert isinstance(caught.value.__cause__, TypeError)


def test_a_class_that_is_no_backend_is_refused_without_being_built(fake_module: types.ModuleType) -> None:
    path = f"{FAKE_MODULE}:NotABackend"
    with pytest.raises(BackendConfigError, match=r"is neither a backend class .* nor a function marked") as caught:
        load_image_backend(ImageWorkerDeployConfig(image_backend=path))
    assert path in str(caught.value)
    assert "refused without being called" in str(caught.value)
    # An image backend class is not an alchemy backend class.
    with pytest.raises(BackendConfigError, match=r"one with the methods of AlchemyBackend"):
        load_alchemy_backend(AlchemyWorkerDeployConfig(alchemy_backend=f"{FAKE_MODULE}:FakeImageBackend"))


def test_a_marked_factory_returning_the_wrong_kind_is_refused(
    fake_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake_module, "make_wrong", backend_factory(NotABackend), raising=False)
    with pytest.raises(BackendConfigError, match="does not implement the ImageBackend protocol"):
        load_image_backend(ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:make_wrong"))


def test_an_unmarked_function_is_never_called(fake_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(fake_module, "plain", calls.append, raising=False)
    with pytest.raises(BackendConfigError, match="refused without being called"):
        load_image_backend(ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:plain"))
    assert calls == []
    monkeypatch.setattr(fake_module, "marked", backend_factory(FakeImageBackend), raising=False)
    assert isinstance(
        load_image_backend(ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:marked")), FakeImageBackend
    )


@pytest.mark.parametrize(
    ("attribute", "pattern"),
    [("Missing", "has no attribute 'Missing'"), ("NOT_CALLABLE", "is not callable")],
)
def test_bad_attributes_name_the_path(fake_module: types.ModuleType, attribute: str, pattern: str) -> None:
    path = f"{FAKE_MODULE}:{attribute}"
    with pytest.raises(BackendConfigError, match=pattern) as caught:
        load_image_backend(ImageWorkerDeployConfig(image_backend=path))
    assert path in str(caught.value)


def test_unimportable_module_names_the_path() -> None:
    path = "no_such_engine_package.backend:make"
    with pytest.raises(BackendConfigError, match=r"cannot import module 'no_such_engine_package\.backend'") as caught:
        load_text_backend(TextWorkerDeployConfig(text_backend=path))
    assert path in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)


def test_an_image_backend_without_features_is_refused_naming_what_it_lacks(
    fake_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the engine runs is part of the protocol: the pop asks the horde only for that.
    monkeypatch.setattr(fake_module, "FeaturelessImageBackend", FeaturelessImageBackend, raising=False)
    with pytest.raises(BackendConfigError, match=r"it has no features$"):
        load_image_backend(ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:FeaturelessImageBackend"))
    monkeypatch.setattr(fake_module, "make_not_a_backend", backend_factory(NotABackend), raising=False)
    with pytest.raises(
        BackendConfigError,
        match=r"it has no name, __aenter__, __aexit__, runs_safety_check, features, generate_images$",
    ):
        load_image_backend(ImageWorkerDeployConfig(image_backend=f"{FAKE_MODULE}:make_not_a_backend"))


def test_the_built_in_names_are_those_deploy_config_checks() -> None:
    from horde_sdk.deploy_config import BUILTIN_BACKEND_NAMES, KNOWN_WORKER_KINDS
    from horde_sdk.worker.backends import BUILTIN_ALCHEMY_BACKENDS, BUILTIN_IMAGE_BACKENDS

    assert set(BUILTIN_BACKEND_NAMES[KNOWN_WORKER_KINDS.dreamer]) == set(BUILTIN_IMAGE_BACKENDS)
    assert set(BUILTIN_BACKEND_NAMES[KNOWN_WORKER_KINDS.scribe]) == set(BUILTIN_TEXT_BACKENDS)
    assert set(BUILTIN_BACKEND_NAMES[KNOWN_WORKER_KINDS.alchemist]) == set(BUILTIN_ALCHEMY_BACKENDS)
