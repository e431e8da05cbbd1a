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
    # Importing it now loads the models the example names; the machinery that runs a job (sessions, the
    # request core, transports and httpx, the job flows, the results, structlog) loads when a client is first
    # used.
    code = (
        "import sys\n"
        "from horde_sdk.ai_horde_api import AIHordeAPISimpleClient\n"
        "from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest\n"
        "print(sorted(m for m in sys.modules if m.startswith(('horde_sdk.', 'httpx', 'structlog'))))\n"
        "AIHordeAPISimpleClient(api_key='0000000000', client_agent='test:1:test').close()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('horde_sdk.', 'httpx'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    at_import, after_use = (set(ast.literal_eval(line)) for line in result.stdout.strip().splitlines())
    models = {name.rsplit(".", 1)[-1] for name in at_import if name.startswith("horde_sdk.ai_horde_api.apimodels.")}
    assert models <= {"base", "common", "generate_image"}, models
    assert "horde_sdk.ai_horde_api.simple_clients" in at_import
    machinery = {
        "horde_sdk.ai_horde_api.ai_horde_clients",
        "horde_sdk.ai_horde_api.job_flows",
        "horde_sdk.ai_horde_api.results",
        "horde_sdk.generic_api.core",
        "horde_sdk.generic_api.transport",
        "httpx",
        "structlog",  # the first logger made imports it
    }
    assert not at_import & machinery, at_import & machinery
    assert not {name for name in at_import if "object_models" in name}  # the parameter models are not built
    assert {"horde_sdk.ai_horde_api.ai_horde_clients", "horde_sdk.generic_api.transport", "httpx"} <= after_use


def test_a_lazy_module_is_imported_once_when_threads_first_use_it_together():
    # Python 3.11's LazyLoader runs a module inside the first attribute read without a lock; the SDK's
    # stand-in imports through the import system, whose per-module lock hands every thread the whole module.
    code = (
        "import sys, threading\n"
        "from horde_sdk.ai_horde_api._lazy import lazy_module\n"
        "flows = lazy_module('horde_sdk.ai_horde_api.job_flows')\n"
        "assert 'horde_sdk.ai_horde_api.job_flows' not in sys.modules\n"
        "seen, barrier = [], threading.Barrier(8)\n"
        "def read():\n"
        "    barrier.wait()\n"
        "    seen.append((flows.ImageJob, flows.dry_run_flow, flows.PollingPolicy))\n"
        "threads = [threading.Thread(target=read) for _ in range(8)]\n"
        "[thread.start() for thread in threads]\n"
        "[thread.join() for thread in threads]\n"
        "from horde_sdk.ai_horde_api import job_flows\n"
        "expected = (job_flows.ImageJob, job_flows.dry_run_flow, job_flows.PollingPolicy)\n"
        "print(len(seen), all(entry == expected for entry in seen), repr(flows))\n"
        "print(lazy_module('horde_sdk.ai_horde_api.job_flows') is job_flows)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["8 True <lazy module 'horde_sdk.ai_horde_api.job_flows'>", "True"]


def test_a_lazy_module_answers_a_missing_name_like_the_module():
    from horde_sdk.ai_horde_api._lazy import LazyModule

    stand_in = LazyModule("horde_sdk.ai_horde_api.progress")
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _ = stand_in.NoSuchThing
    with pytest.raises(AttributeError):  # dunder probes (copy, pickle) never import or invent anything
        _ = stand_in.__wrapped__


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


def test_a_lazy_module_reads_through_to_the_module(monkeypatch):
    # Nothing is copied: a replaced module attribute is what the stand-in answers, before and after first use.
    from horde_sdk.ai_horde_api import progress
    from horde_sdk.ai_horde_api._lazy import LazyModule

    stand_in = LazyModule("horde_sdk.ai_horde_api.progress")
    assert stand_in.GenerationProgress is progress.GenerationProgress
    marker = object()
    monkeypatch.setattr(progress, "GenerationProgress", marker)
    assert stand_in.GenerationProgress is marker
