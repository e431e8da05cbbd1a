"""Every code block of the README and the docs is included from a tested example or run here (or by the test
its ``<!-- tested: ... -->`` marker names), read from the page itself so that editing a block edits the test.

- python blocks run against the local horde (the clients they build are pointed at it, with alice's key);
- yaml blocks (worker configurations) load with the worker's configuration loader;
- shell commands: ``horde-worker`` and ``horde`` command lines parse with the commands' own parsers,
  ``hatch run`` names a script or environment of hatch.toml, ``pip install`` names a distribution (and extra)
  of this repository, ``python docs/examples/...`` an example that test_examples.py runs;
- the README's package diagram is the dependency graph the pyprojects declare.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from horde_local.testing import KEYS, TIMEOUTS, HordeEnv

import horde_sdk.ai_horde_api
from horde_sdk.ai_horde_api import AIHordeAPIClientSession, AIHordeAPISimpleClient
from horde_sdk.ai_horde_api.apimodels import ImageGenerateAsyncRequest

REPO = Path(__file__).resolve().parents[2]
THIS = "tests-integration/docs/test_code_blocks.py"
HATCH = tomllib.loads((REPO / "hatch.toml").read_text(encoding="utf-8"))


def _load_code_blocks() -> ModuleType:
    name = "code_blocks_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / "docs" / "code_blocks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


code_blocks = _load_code_blocks()
PAGES = ["README.md", *(str(p.relative_to(REPO)) for p in sorted((REPO / "docs").rglob("*.md")))]
MINE = [block for page in PAGES for block in code_blocks.blocks_tested_by(THIS, REPO / page)]


def mine(lang: str) -> list[Any]:
    return [block for block in MINE if block.lang == lang]


def block_id(block: Any) -> str:
    return str(block.where())


# -------------------------------------------------------------------------------------------------------------
# The guard
# -------------------------------------------------------------------------------------------------------------


def test_every_block_is_included_from_a_tested_file_or_marked_with_its_test() -> None:
    assert code_blocks.problems() == []


def test_each_marker_names_a_test_that_reads_that_page() -> None:
    for page in PAGES:
        for block in code_blocks.code_blocks(REPO / page):
            if block.tested_by is None:
                continue
            tester = (REPO / block.tested_by).read_text(encoding="utf-8")
            if block.tested_by == ".ci/run":  # the CI script runs the README's test command itself
                assert block.text.strip().splitlines()[-1] in tester, block.where()
            else:  # this file reads every page; the others name the page they read
                reads_it = page in tester or (page == "README.md" and "blocks_tested_by(THIS)" in tester)
                assert block.tested_by == THIS or reads_it, block.where()


def test_a_new_unmarked_block_fails_the_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "new.md"
    page.write_text(
        "```python\nprint('untested')\n```\n\n<!-- tested: no/such_test.py -->\n```bash\nls\n```\n\n"
        '```python\n--8<-- "docs/examples/text.py"\n```\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(code_blocks, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(code_blocks, "documentation_pages", lambda: [page])
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    (tmp_path / "docs" / "examples" / "text.py").write_text("", encoding="utf-8")
    assert code_blocks.problems() == [
        "new.md:1: a python block that no test runs",
        "new.md:6: marked as tested by no/such_test.py, which does not exist",
    ]


def test_this_file_runs_blocks_of_each_kind() -> None:
    assert {block.lang for block in MINE} >= {"python", "bash", "yaml", "mermaid", "text"}


# -------------------------------------------------------------------------------------------------------------
# python blocks: run against the local horde
# -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def local_clients(horde: HordeEnv, monkeypatch: pytest.MonkeyPatch) -> HordeEnv:
    """The clients a block imports from horde_sdk.ai_horde_api talk to the local horde with alice's key."""

    class LocalSimpleClient(AIHordeAPISimpleClient):
        def __init__(self, *args: Any, **options: Any) -> None:
            options.update(base_url=horde.base_url, api_key=KEYS["alice"].key, timeouts=TIMEOUTS)
            super().__init__(*args, **options)

    class LocalSession(AIHordeAPIClientSession):
        def __init__(self, *args: Any, **options: Any) -> None:
            options.update(base_url=horde.base_url, api_key=KEYS["alice"].key, timeouts=TIMEOUTS)
            super().__init__(*args, **options)

    monkeypatch.setattr(horde_sdk.ai_horde_api, "AIHordeAPISimpleClient", LocalSimpleClient)
    monkeypatch.setattr(horde_sdk.ai_horde_api, "AIHordeAPIClientSession", LocalSession)
    return horde


@pytest.fixture
def serving(local_clients: HordeEnv) -> Iterator[HordeEnv]:
    with local_clients.serving_workers("blocks"):
        yield local_clients


def run_block(block: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **names: Any) -> dict[str, Any]:
    """Execute ``block`` in ``tmp_path`` with ``names`` predefined; return its namespace."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "docs_block", **names}
    exec(compile(block.text, block.where(), "exec"), namespace)  # noqa: S102 (the documentation's own code)
    return namespace


def python_block(page: str, first_line: str) -> Any:
    (block,) = [b for b in mine("python") if str(b.page).endswith(page) and b.text.startswith(first_line)]
    return block


def test_readme_client_example(serving: HordeEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = run_block(python_block("README.md", "from horde_sdk"), tmp_path, monkeypatch)
    assert namespace["image_bytes"].startswith(b"RIFF")
    assert serving.horde.open_requests() == []


def test_getting_started_first_image(serving: HordeEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(python_block("client/getting_started.md", "from pathlib"), tmp_path, monkeypatch)
    assert (tmp_path / "lighthouse.webp").read_bytes().startswith(b"RIFF")


def test_migration_example(serving: HordeEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    request = ImageGenerateAsyncRequest(prompt="a lighthouse at dusk")
    namespace = run_block(python_block("client/migration.md", "# before"), tmp_path, monkeypatch, request=request)
    assert namespace["image_bytes"].startswith(b"RIFF")


def test_field_names_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    block = python_block("client/getting_started.md", "from horde_sdk.ai_horde_api.apimodels import AllWorkers")
    namespace = run_block(block, tmp_path, monkeypatch)
    assert namespace["check"].model_dump(by_alias=True) == {"id": "5f3c2a10-8d4b-4e6f-9a1c-2b7d8e9f0a1b"}
    assert namespace["workers"].model_dump(by_alias=True, exclude_none=True) == {"type": "image"}
    assert capsys.readouterr().out.splitlines() == [
        "5f3c2a10-8d4b-4e6f-9a1c-2b7d8e9f0a1b image",
        "text 0b6e4c9a-1d2f-4a3b-8c5d-6e7f8a9b0c1d",
        "{'type': 'text', 'id': '0b6e4c9a-1d2f-4a3b-8c5d-6e7f8a9b0c1d'}",
    ]


def test_session_example_cancels_what_it_left(
    local_clients: HordeEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No worker: the request is still waiting when the block ends, so leaving the session cancels it.
    namespace = run_block(python_block("concepts/clients.md", "from horde_sdk"), tmp_path, monkeypatch)
    assert namespace["check"].done is False
    (request,) = local_clients.horde.state.requests.values()
    assert request.cancelled
    assert local_clients.horde.open_requests() == []


def test_backend_factory_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from horde_sdk.deploy_config import ImageWorkerDeployConfig
    from horde_sdk.worker.backends import ImageBackend, backend_factory

    class MyEngineBackend:
        def __init__(self, *, max_pixels: int) -> None:
            self.max_pixels = max_pixels

    namespace = run_block(
        python_block("worker/backends.md", "# my_engine/horde.py"),
        tmp_path,
        monkeypatch,
        ImageWorkerDeployConfig=ImageWorkerDeployConfig,
        ImageBackend=ImageBackend,
        MyEngineBackend=MyEngineBackend,
        backend_factory=backend_factory,
    )
    config = ImageWorkerDeployConfig.model_validate({"api_key": "worker-key-00005", "max_power": 16})
    backend = namespace["image_backend"](config)
    assert backend.max_pixels == config.max_pixels


@pytest.mark.slow
def test_runtime_from_a_configuration_file_example(horde: HordeEnv, tmp_path: Path) -> None:
    """The block runs as a program next to a bridgeData.yaml for the local horde; Ctrl-C ends it with a summary."""
    block = python_block("worker/backends.md", "import anyio")
    (tmp_path / "bridgeData.yaml").write_text(
        f'api_key: "{KEYS["worker"].key}"\nhorde_url: "{horde.base_url}"\ndreamer_name: "blocks-runtime"\n'
        'models_to_load: ["Demo Diffusion"]\nimage_backend: demo\n',
        encoding="utf-8",
    )
    (tmp_path / "example.py").write_text(block.text, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "example.py"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while "blocks-runtime" not in horde.horde.all_worker_counts():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the example's worker never popped"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == "0 0 0.0"


# -------------------------------------------------------------------------------------------------------------
# yaml blocks: worker configurations
# -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", mine("yaml"), ids=block_id)
def test_configuration_block_loads(block: Any, tmp_path: Path) -> None:
    from horde_sdk.deploy_config import load_deploy_config_with_report

    path = tmp_path / "bridgeData.yaml"
    path.write_text(block.text, encoding="utf-8")
    report = load_deploy_config_with_report(path, environ={"HORDE_API_KEY": "worker-key-00005"})
    assert report.warnings == ()
    if "api_key" in block.text:
        assert report.config.api_key.get_secret_value() == "worker-key-00005"
    for key, value in yaml.safe_load(block.text).items():
        if key != "api_key" and not isinstance(value, list):  # lists become richer models (model selections)
            assert getattr(report.config, key) == value, key


# -------------------------------------------------------------------------------------------------------------
# shell commands
# -------------------------------------------------------------------------------------------------------------


def commands(block: Any) -> list[list[str]]:
    """The command lines of a shell block, comments dropped, ``a && b`` split."""
    found: list[list[str]] = []
    for line in block.text.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            if "&&" in words:
                at = words.index("&&")
                found.append(words[:at])
                words = words[at + 1 :]
            else:
                found.append(words)
                words = []
    return found


def hatch_target_exists(target: str) -> bool:
    envs = HATCH["envs"]
    if ":" not in target:
        return target in envs["default"]["scripts"] or (Path(sys.executable).parent / target).is_file()
    env, script = target.split(":")
    if env == "py":
        return script in envs["default"]["scripts"]
    base = env.split(".")[0]
    config = envs.get(base, {})
    return script in config.get("scripts", {}) or (script in envs["default"]["scripts"] and "template" in config)


def check_pip(args: list[str]) -> None:
    """``pip install`` names distributions (and extras) of this repository; ``pip uninstall`` the old package."""
    if args[0] == "uninstall":
        assert args[1:] == ["horde_sdk"], args  # the old single package this project replaces
        return
    assert args[0] == "install", args
    distributions = {p.name for p in (REPO / "packages").iterdir()}
    for requirement in args[1:]:
        name, _, extra = requirement.partition("[")
        if name == "hatch":
            continue
        assert name in distributions, args
        if extra:
            project = tomllib.loads((REPO / "packages" / name / "pyproject.toml").read_text(encoding="utf-8"))
            assert extra.rstrip("]") in project["project"]["optional-dependencies"], args


def check_command(words: list[str]) -> None:
    from horde_sdk.ai_horde_api import cli as horde_cli
    from horde_sdk.worker import cli as worker_cli

    program, args = words[0], words[1:]
    if program == "hatch":
        assert args[0] == "run", words
        assert hatch_target_exists(args[1]), words
        if args[1] == "python":
            assert (REPO / args[2]).is_file(), words
        if args[1] in {"horde", "horde-worker"}:
            check_command(args[1:])
    elif program == "horde-worker":
        worker_cli.build_parser().parse_args(args)
    elif program == "horde":
        horde_cli._build_parser().parse_args(args)
    elif program == "pip":
        check_pip(args)
    elif program == "python":
        example = REPO / args[0]
        assert example.parent == REPO / "docs" / "examples", words
        assert example.is_file(), words
        tested = (REPO / "tests-integration" / "docs" / "test_examples.py").read_text(encoding="utf-8")
        assert f"def test_{example.stem}(" in tested, words
    elif program == "export":
        variable = args[0].split("=")[0]  # read by an example (a script or a configuration file)
        examples = (REPO / "docs" / "examples").iterdir()
        assert any(variable in p.read_text(encoding="utf-8") for p in examples if p.is_file()), words
    else:
        raise AssertionError(f"no rule checks {words}")


@pytest.mark.parametrize("block", mine("bash"), ids=block_id)
def test_shell_commands_are_valid_command_lines(block: Any) -> None:
    lines = commands(block)
    assert lines
    for words in lines:
        try:
            check_command(words)
        except SystemExit as exit_:  # argparse refused the command line
            raise AssertionError(f"{block.where()}: {shlex.join(words)} does not parse") from exit_


def test_a_wrong_command_line_is_caught() -> None:
    with pytest.raises(SystemExit):
        check_command(["horde-worker", "run", "--no-such-option"])
    with pytest.raises(AssertionError):
        check_command(["hatch", "run", "no-such-script"])
    with pytest.raises(AssertionError):
        check_command(["pip", "install", "horde-sdk-nothing"])


# -------------------------------------------------------------------------------------------------------------
# text blocks: what check-config prints, the README's layout
# -------------------------------------------------------------------------------------------------------------


def check_config_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, **environ: str) -> str:
    """``horde-worker check-config bridgeData.yaml`` in ``tmp_path`` with exactly the HORDE_ variables given."""
    from horde_sdk.worker import cli as worker_cli

    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("HORDE_")]:
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "bridgeData.yaml").write_text(config, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    worker_cli.main(["check-config", "bridgeData.yaml"], out=out, err=err)
    return err.getvalue() + out.getvalue()


def test_check_config_output_shown_in_the_worker_guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = "docs/worker/getting_started.md"
    minimal = next(b for b in mine("yaml") if str(b.page).endswith(page) and "dreamer_name" in b.text)
    refused, effective = [b for b in mine("text") if str(b.page).endswith(page)]
    output = check_config_output(tmp_path, monkeypatch, minimal.text)
    assert output.splitlines() == refused.text.splitlines()
    demo = minimal.text.replace('"my_engine.horde:image_backend"', "demo")
    output = check_config_output(tmp_path, monkeypatch, demo, HORDE_API_KEY="a-key-0001", HORDE_WORKER_MAX_THREADS="2")
    shown = effective.text.splitlines()
    assert shown[-1] == "..."
    assert output.splitlines()[: len(shown) - 1] == shown[:-1]


def test_readme_layout_names_real_folders() -> None:
    (block,) = [b for b in mine("text") if b.page.name == "README.md"]
    for line in block.text.splitlines():
        folder = line.split()[0]
        assert (REPO / folder.split("<")[0]).is_dir(), line


# -------------------------------------------------------------------------------------------------------------
# the README's package diagram
# -------------------------------------------------------------------------------------------------------------


def test_readme_diagram_is_the_declared_dependency_graph() -> None:
    (block,) = mine("mermaid")
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", block.text, re.MULTILINE))
    declared = set()
    for pyproject in (REPO / "packages").glob("*/pyproject.toml"):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        source = project["name"].removeprefix("horde-sdk-").replace("-", "_")
        for requirement in project["dependencies"]:
            if requirement.startswith("horde-sdk-"):
                target = re.split(r"[<>=!~ \[]", requirement)[0].removeprefix("horde-sdk-").replace("-", "_")
                declared.add((source, target))
    assert drawn == declared
