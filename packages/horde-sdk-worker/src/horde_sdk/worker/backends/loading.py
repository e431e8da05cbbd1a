"""Build the backends a deploy configuration names.

A configuration names each backend (`image_backend`, `alchemy_backend`, `text_backend`) either by a built-in
name or by the ``package.module:attribute`` path of a factory. Built-ins:

* ``demo`` (every kind): `DemoImageBackend`, `DemoTextBackend`, `DemoAlchemyBackend`, placeholder output;
* ``comfyui`` (image): `ComfyUIImageBackend` on the ComfyUI server at `image_backend_url`, for `image_model_map`;
* ``sdwebui`` (image): `SDWebUIImageBackend` on the Automatic1111-API web UI at `image_backend_url`, likewise;
* ``koboldai`` (text): `KoboldAITextBackend` on the server at `kai_url`;
* ``openai`` (text): `OpenAICompletionsTextBackend` on the server at `kai_url`, for the model `model_name`.

A factory path is imported and the attribute called with the configuration; what it returns must satisfy the
backend protocol of its kind (`ImageBackend`, `TextBackend`, `AlchemyBackend`).

**A configuration file can run code.** Importing the module of a factory path runs that module's code, with the
worker's rights: use only configuration files you trust, as you would a script. Two rules keep a path from running
anything else: the attribute is called only when it declares itself a backend maker (a class with the methods of
the kind's backend protocol, or a function marked with `backend_factory`), so that ``os:system`` or
``builtins:exec`` are refused before anything is called; and the current directory is not searched for the module
(as ``python -m`` would) unless it is given in `import_paths` (``--import-path .`` on the command line).
`describe_backend_imports` says which modules a configuration would import, without importing them.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from horde_sdk.deploy_config import (
    AlchemyWorkerDeployConfig,
    BaseWorkerDeployConfig,
    ImageWorkerDeployConfig,
    TextWorkerDeployConfig,
)
from horde_sdk.worker.backends.base import AlchemyBackend, BackendError, ImageBackend, TextBackend
from horde_sdk.worker.backends.comfyui import ComfyUIImageBackend
from horde_sdk.worker.backends.demo import (
    DEMO_BACKEND_NAME,
    DemoAlchemyBackend,
    DemoImageBackend,
    DemoTextBackend,
)
from horde_sdk.worker.backends.sdwebui import SDWebUIImageBackend
from horde_sdk.worker.backends.text_bridges import KoboldAITextBackend, OpenAICompletionsTextBackend

__all__ = [
    "BUILTIN_ALCHEMY_BACKENDS",
    "BUILTIN_IMAGE_BACKENDS",
    "BUILTIN_TEXT_BACKENDS",
    "BackendConfigError",
    "backend_factory",
    "describe_backend_imports",
    "load_alchemy_backend",
    "load_image_backend",
    "load_text_backend",
]

BUILTIN_IMAGE_BACKENDS: tuple[str, ...] = (ComfyUIImageBackend.name, SDWebUIImageBackend.name, DEMO_BACKEND_NAME)
"""The built-in names `image_backend` accepts (besides factory paths)."""
BUILTIN_ALCHEMY_BACKENDS: tuple[str, ...] = (DEMO_BACKEND_NAME,)
"""The built-in names `alchemy_backend` accepts (besides factory paths)."""
BUILTIN_TEXT_BACKENDS: tuple[str, ...] = (
    KoboldAITextBackend.name,
    OpenAICompletionsTextBackend.name,
    DEMO_BACKEND_NAME,
)
"""The built-in names `text_backend` accepts (besides factory paths)."""

_ConfigT = TypeVar("_ConfigT")
_BackendT = TypeVar("_BackendT")
_FactoryT = TypeVar("_FactoryT", bound=Callable[..., Any])

_FACTORY_MARK = "__horde_backend_factory__"
_PROTOCOL_METHODS: dict[str, tuple[str, ...]] = {
    "ImageBackend": ("generate_images", "__aenter__", "__aexit__"),
    "TextBackend": ("generate_texts", "__aenter__", "__aexit__"),
    "AlchemyBackend": ("run_forms", "__aenter__", "__aexit__"),
}


class BackendConfigError(ValueError):
    """The configuration names a backend that cannot be built (unknown name, bad factory path, missing setting)."""


def backend_factory(function: _FactoryT) -> _FactoryT:
    """Mark a function as a backend factory that a configuration's ``package.module:attribute`` path may name.

    A path is called only when it names a backend class (one with the methods of the kind's protocol) or a
    function marked so: a path to anything else (``os:system``, ``builtins:exec``...) is refused without calling
    it.

    Args:
        function: Takes the deploy configuration, returns the backend.

    Returns:
        The same function, marked.
    """
    setattr(function, _FACTORY_MARK, True)
    return function


def _declares_a_backend(target: object, protocol: type) -> bool:
    """Whether `target` may be called to make a backend: a marked function, or a class with the protocol's methods."""
    if getattr(target, _FACTORY_MARK, False) is True:
        return True
    methods = _PROTOCOL_METHODS.get(protocol.__name__, ())
    return inspect.isclass(target) and bool(methods) and all(callable(getattr(target, name, None)) for name in methods)


@contextlib.contextmanager
def _search_path(import_paths: Sequence[str | os.PathLike[str]]) -> Iterator[None]:
    """For one import: `import_paths` first, and the current directory left out unless it is one of them."""
    here = os.path.realpath(Path.cwd())
    wanted = [os.path.realpath(os.fspath(path)) for path in import_paths]

    def is_here(entry: str) -> bool:
        return entry in ("", ".") or os.path.realpath(entry) == here

    saved = list(sys.path)
    sys.path[:] = wanted + [entry for entry in saved if not (is_here(entry) and here not in wanted)]
    try:
        yield
    finally:
        sys.path[:] = saved


def _import_factory(
    path: str, setting: str, protocol: type, import_paths: Sequence[str | os.PathLike[str]]
) -> Callable[..., object]:
    module_name, _, attribute_path = path.partition(":")
    if not module_name or not attribute_path:
        raise BackendConfigError(f"{setting} {path!r} is not a 'package.module:attribute' path")
    try:
        with _search_path(import_paths):
            target: object = importlib.import_module(module_name)
    except ImportError as error:
        raise BackendConfigError(f"{setting} {path!r}: cannot import module {module_name!r} ({error})") from error
    for attribute in attribute_path.split("."):
        try:
            target = getattr(target, attribute)
        except AttributeError as error:
            raise BackendConfigError(
                f"{setting} {path!r}: {module_name!r} has no attribute {attribute_path!r}"
            ) from error
    if not callable(target):
        raise BackendConfigError(f"{setting} {path!r} is not callable (a backend factory takes the configuration)")
    if not _declares_a_backend(target, protocol):
        raise BackendConfigError(
            f"{setting} {path!r} is neither a backend class (one with the methods of {protocol.__name__}) nor a "
            "function marked with @backend_factory; it is refused without being called"
        )
    return target


def describe_backend_imports(config: BaseWorkerDeployConfig) -> tuple[tuple[str, str], ...]:
    """Say which Python modules building the configuration's backends would import (nothing is imported here).

    Args:
        config: A deploy configuration.

    Returns:
        ``(setting, module)`` for every backend setting that holds a ``package.module:attribute`` path.
    """
    found: list[tuple[str, str]] = []
    for setting in ("image_backend", "text_backend", "alchemy_backend"):
        value = getattr(config, setting, None)
        if isinstance(value, str) and ":" in value:
            found.append((setting, value.partition(":")[0]))
    return tuple(found)


def _build(
    value: str,
    config: _ConfigT,
    setting: str,
    builtins: Mapping[str, Callable[[_ConfigT], _BackendT]],
    protocol: type[_BackendT],
    *,
    import_paths: Sequence[str | os.PathLike[str]] = (),
) -> _BackendT:
    """Return the built-in `value` names, or what the factory at the path `value` builds from `config`."""
    builtin = builtins.get(value)
    if builtin is not None:
        return builtin(config)
    if ":" not in value:
        names = ", ".join(repr(name) for name in builtins)
        raise BackendConfigError(
            f"{setting} {value!r} is not a built-in backend ({names}) nor a 'package.module:attribute' factory path"
        )
    factory = _import_factory(value, setting, protocol, import_paths)
    try:
        backend = factory(config)
    except Exception as error:
        raise BackendConfigError(
            f"{setting} {value!r}: the factory failed ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(backend, protocol):
        missing = [member for member in _protocol_members(protocol) if not hasattr(backend, member)]
        raise BackendConfigError(
            f"{setting} {value!r} returned a {type(backend).__name__}, "
            f"which does not implement the {protocol.__name__} protocol "
            "(an async context manager with `name` and the protocol's methods)"
            + (f"; it has no {', '.join(missing)}" if missing else "")
        )
    return backend


def _protocol_members(protocol: type) -> tuple[str, ...]:
    """Return the attributes and methods a backend protocol asks for, for the message of a refused backend."""
    members: dict[str, None] = {}
    for base in reversed(protocol.__mro__):
        if base.__module__ != __name__.rpartition(".")[0] + ".base":
            continue
        members.update(dict.fromkeys(getattr(base, "__annotations__", {})))
        members.update(dict.fromkeys(name for name, value in vars(base).items() if callable(value)))
    return tuple(name for name in members if not name.startswith("_") or name in ("__aenter__", "__aexit__"))


def _demo_image(_config: ImageWorkerDeployConfig) -> ImageBackend:
    return DemoImageBackend()


def _engine_image(
    backend: type[ComfyUIImageBackend] | type[SDWebUIImageBackend],
) -> Callable[[ImageWorkerDeployConfig], ImageBackend]:
    def build(config: ImageWorkerDeployConfig) -> ImageBackend:
        try:
            return backend(config.image_backend_url or "", config.image_model_map)
        except BackendError as error:
            raise BackendConfigError(str(error)) from error

    return build


def _demo_alchemy(_config: AlchemyWorkerDeployConfig) -> AlchemyBackend:
    return DemoAlchemyBackend()


def _demo_text(_config: TextWorkerDeployConfig) -> TextBackend:
    return DemoTextBackend()


def _text_api_key(config: TextWorkerDeployConfig) -> str | None:
    secret = config.text_backend_api_key
    return None if secret is None else secret.get_secret_value()


def _koboldai(config: TextWorkerDeployConfig) -> TextBackend:
    return KoboldAITextBackend(config.kai_url, api_key=_text_api_key(config))


def _openai(config: TextWorkerDeployConfig) -> TextBackend:
    if config.model_name is None:
        raise BackendConfigError(
            "text_backend 'openai' needs the model to ask the server for: set model_name in the configuration"
        )
    return OpenAICompletionsTextBackend(config.kai_url, model=config.model_name, api_key=_text_api_key(config))


_IMAGE_BUILTINS: Mapping[str, Callable[[ImageWorkerDeployConfig], ImageBackend]] = {
    ComfyUIImageBackend.name: _engine_image(ComfyUIImageBackend),
    SDWebUIImageBackend.name: _engine_image(SDWebUIImageBackend),
    DEMO_BACKEND_NAME: _demo_image,
}
_ALCHEMY_BUILTINS: Mapping[str, Callable[[AlchemyWorkerDeployConfig], AlchemyBackend]] = {
    DEMO_BACKEND_NAME: _demo_alchemy
}
_TEXT_BUILTINS: Mapping[str, Callable[[TextWorkerDeployConfig], TextBackend]] = {
    KoboldAITextBackend.name: _koboldai,
    OpenAICompletionsTextBackend.name: _openai,
    DEMO_BACKEND_NAME: _demo_text,
}


def load_image_backend(
    config: ImageWorkerDeployConfig, *, import_paths: Sequence[str | os.PathLike[str]] = ()
) -> ImageBackend | None:
    """Build the image backend `config.image_backend` names.

    Args:
        config: An image (or combined) worker configuration.
        import_paths: Directories searched first for the module of a factory path (the current directory is
            searched only when it is one of them).

    Returns:
        The backend (not entered yet), or None when `image_backend` is not set.

    Raises:
        BackendConfigError: If the name is unknown, ``comfyui`` or ``sdwebui`` lacks `image_backend_url` or
            `image_model_map`, the factory path cannot be imported or called, or the factory returns something that
            is not an `ImageBackend`.
    """
    if config.image_backend is None:
        return None
    return _build(
        config.image_backend,
        config,
        "image_backend",
        _IMAGE_BUILTINS,
        ImageBackend,  # type: ignore[type-abstract]
        import_paths=import_paths,
    )


def load_alchemy_backend(
    config: AlchemyWorkerDeployConfig, *, import_paths: Sequence[str | os.PathLike[str]] = ()
) -> AlchemyBackend | None:
    """Build the alchemy backend `config.alchemy_backend` names.

    Args:
        config: An alchemy (or combined) worker configuration.
        import_paths: Directories searched first for the module of a factory path (see `load_image_backend`).

    Returns:
        The backend (not entered yet), or None when `alchemy_backend` is not set.

    Raises:
        BackendConfigError: If the name is unknown, the factory path cannot be imported or called, or the factory
            returns something that is not an `AlchemyBackend`.
    """
    if config.alchemy_backend is None:
        return None
    return _build(
        config.alchemy_backend,
        config,
        "alchemy_backend",
        _ALCHEMY_BUILTINS,
        AlchemyBackend,  # type: ignore[type-abstract]
        import_paths=import_paths,
    )


def load_text_backend(
    config: TextWorkerDeployConfig, *, import_paths: Sequence[str | os.PathLike[str]] = ()
) -> TextBackend:
    """Build the text backend `config.text_backend` names (``koboldai`` by default).

    Args:
        config: A text (or combined) worker configuration; `kai_url` is the server of the ``koboldai`` and
            ``openai`` backends, `text_backend_api_key` their bearer token.
        import_paths: Directories searched first for the module of a factory path (see `load_image_backend`).

    Returns:
        The backend (not entered yet).

    Raises:
        BackendConfigError: If the name is unknown, ``openai`` is chosen without `model_name`, the factory path
            cannot be imported or called, or the factory returns something that is not a `TextBackend`.
    """
    return _build(
        config.text_backend,
        config,
        "text_backend",
        _TEXT_BUILTINS,
        TextBackend,  # type: ignore[type-abstract]
        import_paths=import_paths,
    )
