"""The package as a whole: exports, lazy imports, dependencies, logging hygiene and the enum conventions."""

import ast
import importlib
import json
import logging
import subprocess
import sys
from enum import Enum, StrEnum
from pathlib import Path

import pytest

import horde_sdk.generation_parameters as gp
from horde_sdk.generation_parameters import (
    KNOWN_ALCHEMY_FORMS,
    KNOWN_FACEFIXERS,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_MISC_POST_PROCESSORS,
    KNOWN_UPSCALERS,
    is_facefixer,
    is_upscaler,
)
from horde_sdk.generation_parameters.__about__ import __version__

PACKAGE_DIR = Path(gp.__file__).resolve().parent
SUBPACKAGES = ("generic", "image", "text", "alchemy")


def test_namespace_package_has_no_init() -> None:
    assert not (PACKAGE_DIR.parent / "__init__.py").exists()
    assert (PACKAGE_DIR / "py.typed").is_file()


def test_version() -> None:
    assert gp.__version__ == __version__ == "0.1.0"


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_top_level_exports_every_subpackage_export(subpackage: str) -> None:
    module = importlib.import_module(f"horde_sdk.generation_parameters.{subpackage}")
    assert set(module.__all__) <= set(gp.__all__)
    for name in module.__all__:
        assert getattr(gp, name) is getattr(module, name)


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_subpackage_exports_every_public_name_of_its_modules(subpackage: str) -> None:
    module = importlib.import_module(f"horde_sdk.generation_parameters.{subpackage}")
    for file_name in ("consts.py", "object_models.py"):
        tree = ast.parse((PACKAGE_DIR / subpackage / file_name).read_text(encoding="utf-8"))
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for name in names:
                if not name.startswith("_"):
                    assert name in module.__all__, f"{subpackage}/{file_name}: {name} is not exported"


def test_all_is_exactly_the_lazy_table() -> None:
    assert len(gp.__all__) == len(set(gp.__all__))
    assert set(gp.__all__) == set(gp._EXPORTING_SUBPACKAGE) | {"__version__"}
    assert set(dir(gp)) >= set(gp.__all__)
    with pytest.raises(AttributeError, match="no attribute 'NotAThing'"):
        _ = gp.NotAThing


def test_type_checking_imports_match_the_lazy_table() -> None:
    tree = ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8"))
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.count(".") == 2:
            subpackage = node.module.rsplit(".", 1)[1]
            if subpackage in SUBPACKAGES:
                imported.update({alias.name: subpackage for alias in node.names})
    assert imported == gp._EXPORTING_SUBPACKAGE


def _run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_bare_import_is_lazy() -> None:
    code = (
        "import json, sys\n"
        "import horde_sdk.generation_parameters as gp\n"
        "before = sorted(m for m in ('pydantic', 'structlog') if m in sys.modules)\n"
        "gp.ImageGenerationParameters(prompt='x', sampler_name='k_euler')\n"
        "after_use = sorted(m for m in ('pydantic', 'structlog') if m in sys.modules)\n"
        "gp.ImageGenerationParameters(prompt='x', sampler_name='brand_new')\n"
        "after_warning = 'structlog' in sys.modules\n"
        "print(json.dumps([before, after_use, after_warning]))\n"
    )
    before, after_use, after_warning = json.loads(_run_python(code).strip().splitlines()[-1])
    assert before == []  # nothing heavy on a bare import
    assert after_use == ["pydantic"]  # structlog is only needed to log a warning
    assert after_warning is True


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_subpackage_exports_are_generated_and_up_to_date(subpackage: str) -> None:
    tool = PACKAGE_DIR.parents[4] / "tools" / "generate_exports.py"
    result = subprocess.run(
        [sys.executable, str(tool), str(PACKAGE_DIR / subpackage), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_known_field_types_do_not_build_the_parameter_models() -> None:
    # A request model needs the KNOWN_ enums and their field types, not the 20-odd parameter models.
    code = (
        "import json, sys\n"
        "from horde_sdk.generation_parameters import KNOWN_IMAGE_SAMPLERS, KnownImageSampler, KnownTextSampler\n"
        "from horde_sdk.generation_parameters import KnownAlchemyForm, KnownImagePostProcessor\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.endswith('object_models'))))\n"
    )
    assert json.loads(_run_python(code).strip().splitlines()[-1]) == []


def test_package_imports_no_other_horde_sdk_distribution_and_no_network_library() -> None:
    forbidden_prefixes = (
        "horde_sdk.generic_api",
        "horde_sdk.ai_horde_api",
        "horde_sdk.deploy_config",
        "horde_sdk.worker",
        "horde_model_reference",
        "httpx",
        "requests",
        "aiohttp",
        "urllib.request",
    )
    allowed_third_party = {"pydantic", "pydantic_core", "structlog"}
    for path in PACKAGE_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            for module in modules:
                assert not module.startswith(forbidden_prefixes), f"{path.name} imports {module}"
                top = module.split(".")[0]
                if top != "horde_sdk" and top not in sys.stdlib_module_names:
                    assert top in allowed_third_party, f"{path.name} imports {module}"


def test_logging_is_never_configured_globally(caplog: pytest.LogCaptureFixture) -> None:
    import structlog

    root_handlers = list(logging.getLogger().handlers)
    package_logger = logging.getLogger("horde_sdk.generation_parameters")
    with caplog.at_level(logging.WARNING):
        gp.ImageGenerationParameters(prompt="x", scheduler="brand_new_scheduler")
    assert any(record.name == "horde_sdk.generation_parameters" for record in caplog.records)
    assert package_logger.handlers == []
    assert package_logger.propagate is True
    assert logging.getLogger().handlers == root_handlers
    assert not structlog.is_configured()


def test_post_processor_enum_is_the_union_of_its_parts() -> None:
    parts = [KNOWN_UPSCALERS, KNOWN_FACEFIXERS, KNOWN_MISC_POST_PROCESSORS]
    values = [member.value for enum in parts for member in enum]
    assert len(values) == len(set(values))
    assert {member.value for member in KNOWN_IMAGE_POST_PROCESSORS} == set(values)
    assert {member.value for member in KNOWN_IMAGE_POST_PROCESSORS} <= {member.value for member in KNOWN_ALCHEMY_FORMS}
    assert all(is_upscaler(member.value) for member in KNOWN_UPSCALERS)
    assert all(is_facefixer(member.value) for member in KNOWN_FACEFIXERS)
    assert not is_upscaler("GFPGAN")
    assert not is_facefixer("RealESRGAN_x4plus")
    assert KNOWN_UPSCALERS("4x_AnimeSharp") is KNOWN_UPSCALERS._4x_AnimeSharp


def test_known_enums_are_str_enums_of_wire_values() -> None:
    enums = [value for name in gp.__all__ if name.startswith("KNOWN_") for value in [getattr(gp, name)]]
    assert len(enums) >= 14
    for enum in enums:
        assert issubclass(enum, Enum)
        if enum is gp.KNOWN_TEXT_SAMPLERS:
            assert all(isinstance(member.value, int) for member in enum)
            continue
        assert issubclass(enum, StrEnum), enum
        for member in enum:
            assert isinstance(member.value, str)
            assert member.value.strip() == member.value
            assert str(member) == member.value
