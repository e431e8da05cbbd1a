"""Package surface of horde_sdk.ai_horde_api: generated lazy exports, cheap import, constants."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from horde_sdk import ai_horde_api
from horde_sdk.ai_horde_api import apimodels
from horde_sdk.ai_horde_api.consts import AI_HORDE_RATE_LIMIT_RULES, RC
from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH

REPO = Path(__file__).resolve().parents[3]
PACKAGE = Path(ai_horde_api.__file__).parent


@pytest.mark.parametrize("package_dir", [PACKAGE, PACKAGE / "apimodels"], ids=["root", "apimodels"])
def test_generated_exports_are_up_to_date(package_dir):
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "generate_exports.py"), str(package_dir), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("module", [ai_horde_api, apimodels], ids=["root", "apimodels"])
def test_every_export_resolves(module):
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_import_is_lazy():
    code = "import sys, horde_sdk.ai_horde_api; print('pydantic' in sys.modules, 'httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"


def test_the_readme_client_example_imports_only_what_it_uses():
    # The simple client used to import every apimodels module (and the results) at import: 3.2x the floor.
    code = (
        "import sys\n"
        "from horde_sdk.ai_horde_api import AIHordeAPISimpleClient\n"
        "from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest\n"
        "print(sorted(m for m in sys.modules if m.startswith('horde_sdk.ai_horde_api.')))\n"
        "results = sys.modules.get('horde_sdk.ai_horde_api.results')\n"
        "print(results is not None and 'ImageGenerationResult' in object.__getattribute__(results, '__dict__'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    listing, results_executed = result.stdout.strip().splitlines()
    imported = set(ast.literal_eval(listing))
    models = {name.rsplit(".", 1)[-1] for name in imported if name.startswith("horde_sdk.ai_horde_api.apimodels.")}
    assert models <= {"base", "common", "generate_image"}, models
    assert results_executed == "False"  # set up lazily, run on the first job
    assert "horde_sdk.ai_horde_api.simple_clients" in imported


def test_lazy_results_module_works_when_first_used():
    code = (
        "import sys\n"
        "from horde_sdk.ai_horde_api import job_flows\n"
        "from horde_sdk.ai_horde_api.results import ImageGenerationResult\n"
        "print(job_flows._results.ImageGenerationResult is ImageGenerationResult)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


def test_rc_values_are_their_own_wire_names():
    assert len(RC) >= 140
    assert all(member.name == member.value for member in RC)
    for rc in ("KudosUpfront", "AnonForbiddenWorker", "WrongCredentials", "NotAdmin", "InvalidJobID"):
        assert RC(rc) == rc
    for rc in ("RequestNotFound", "DuplicateGen", "AbortedGen", "ImageValidationFailed", "BadRequest"):
        assert RC(rc) == rc


def test_rate_limit_rules_follow_the_servers_limits():
    def rules_for(endpoint: str, method: str) -> set[tuple[int, float, bool]]:
        return {
            (rule.limit, rule.period, rule.per_concrete_path)
            for rule in AI_HORDE_RATE_LIMIT_RULES
            if rule.path_template == endpoint and rule.method == method
        }

    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_status, "GET") == {(10, 60.0, True)}
    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_status, "DELETE") == {(10, 60.0, True)}
    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_check, "GET") == {(10, 1.0, True)}
    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_async, "POST") == {(2, 1.0, False), (90, 60.0, False)}
    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_generate_pop, "POST") == {(60, 1.0, False)}
    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_status_heartbeat, "GET") == set()
    assert rules_for(AI_HORDE_API_ENDPOINT_SUBPATH.v2_workers, "GET") == {(90, 60.0, True)}


def test_every_swagger_path_has_an_endpoint_member(horde_swagger):
    assert set(horde_swagger["paths"]) == {member.value for member in AI_HORDE_API_ENDPOINT_SUBPATH}
