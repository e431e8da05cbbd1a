"""The horde's bridge table as data: what a bridge agent is sent, the default agent, and the lines operators read.

The expected values are the facts of ../shared/ai_horde/BEHAVIOUR.md, "What the horde sends to which worker".
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from horde_sdk.deploy_config import KNOWN_WORKER_KINDS, ImageWorkerDeployConfig, TextWorkerDeployConfig
from horde_sdk.generation_parameters import KNOWN_IMAGE_SOURCE_PROCESSING, ImageGenerationFeatureFlags
from horde_sdk.worker import bridge_reference_data
from horde_sdk.worker.__about__ import __version__
from horde_sdk.worker.backends import DEMO_IMAGE_FEATURES
from horde_sdk.worker.bridge_capabilities import (
    COMPATIBILITY_BRIDGE,
    SDK_BRIDGE_NAME,
    BridgeVersion,
    bridge_agent_for,
    bridge_grants,
    bridge_reference_source,
    default_bridge_agent,
    describe_image_bridge,
    describe_text_bridge,
    describe_unrunnable_image_requests,
    never_sent_image_requests,
    parse_bridge_agent,
    suggest_bridge_agent,
)

REPO = Path(__file__).resolve().parents[3]
TXT2IMG_ONLY = ImageGenerationFeatureFlags(samplers=("k_euler_a",))
REGEN = "AI Horde Worker reGen"
OLD = "AI Horde Worker"
WEBUI = "SD-WebUI Stable Horde Worker Bridge"
GATED = ("r2", "img2img", "inpainting", "post-processing", "lora", "textual_inversion", "controlnet", "hires_fix")


# --- reading an agent as the horde does ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "name", "version"),
    [
        (f"{REGEN}:9.1.0:https://github.com/Haidra-Org/horde-worker-reGen", REGEN, "9.1.0"),
        (f"{REGEN}:9:https://x:8080/a", REGEN, "9"),  # the url may hold colons
        (f"{REGEN}:9", "unknown", "0"),  # two parts: the horde cannot read it
        (f"{REGEN}:v9:https://x", "unknown", "0"),  # not a version
        ("unknown:0:unknown", "unknown", "0"),
    ],
)
def test_agents_are_read_as_the_horde_reads_them(agent: str, name: str, version: str) -> None:
    read_name, read_version = parse_bridge_agent(agent)
    assert (read_name, read_version) == (name, BridgeVersion.parse(version))


def test_versions_compare_as_versions_not_text() -> None:
    def version(text: str) -> BridgeVersion:
        parsed = BridgeVersion.parse(text)
        assert parsed is not None
        return parsed

    assert version("13") > version("9.5")
    assert version("9") == version("9.0.0")
    assert version("10.0.0-rc.1") < version("10.0.0") < version("10.0.1")
    assert version("10.0.0-rc.2") < version("10.0.0-rc.10") < version("10.0.0-rc.a")
    assert str(version("9.1")) == "9.1"
    assert BridgeVersion.parse("01") is None
    assert BridgeVersion.parse("9.1.0.4") is None


# --- what an agent is sent ---------------------------------------------------------------------------------------


def test_an_unknown_bridge_gets_no_feature_and_the_samplers_of_ai_horde_worker_23() -> None:
    grants = bridge_grants(f"{SDK_BRIDGE_NAME}:{__version__}:https://github.com/Haidra-Org/horde-sdk")
    assert not grants.known
    assert not grants.r2
    assert grants.capabilities == frozenset()
    assert grants.post_processors == frozenset()
    old = bridge_grants(f"{OLD}:23:x")
    assert (grants.samplers_with_karras, grants.samplers_without_karras) == (
        old.samplers_with_karras,
        old.samplers_without_karras,
    )
    features = grants.image_features()
    assert features.source_processing == (KNOWN_IMAGE_SOURCE_PROCESSING.txt2img,)
    assert not any((features.post_processing, features.loras, features.controlnet, features.hires_fix))


@pytest.mark.parametrize(
    ("agent", "granted", "not_granted"),
    [
        (f"{REGEN}:1:x", ("r2", "img2img", "inpainting", "post-processing", "hires_fix", "tiling"), ("lora",)),
        (f"{REGEN}:2:x", ("lora", "textual_inversion"), ("lora_versions", "extra_source_images")),
        (f"{REGEN}:5.0.1:x", ("lora_versions", "extra_source_images"), ("qr_code", "flux")),
        (f"{REGEN}:13:x", ("flux", "layer_diffuse", "RestoreFormer", "GFPGANv1.3"), ()),
        (f"{OLD}:7:x", ("img2img", "inpainting", "post-processing", "GFPGAN"), ("r2", "CodeFormers")),
        (f"{OLD}:8:x", ("r2",), ("hires_fix",)),
        (f"{OLD}:24:x", ("textual_inversion", "lora", "image_is_control"), ("tiling",)),
        (f"{WEBUI}:1:x", ("r2", "inpainting", "CodeFormers"), ("img2img", "post-processing", "tiling")),
        (f"{WEBUI}:4:x", ("tiling", "r2_source", "clip_skip"), ()),
        ("HordeAutoWebBridge:2:x", ("img2img", "painting", "tiling"), ("r2",)),
    ],
)
def test_known_bridges_get_their_features_by_version(
    agent: str, granted: tuple[str, ...], not_granted: tuple[str, ...]
) -> None:
    grants = bridge_grants(agent)
    assert grants.known
    assert all(grants.grants(capability) for capability in granted)
    assert not any(grants.grants(capability) for capability in not_granted)


def test_samplers_and_post_processors_follow_the_table() -> None:
    webui = bridge_grants(f"{WEBUI}:1:x")
    assert "plms" in webui.samplers_without_karras
    assert "plms" not in webui.samplers_with_karras  # without the karras schedule only
    assert "dpmsolver" not in webui.samplers_without_karras
    assert webui.post_processors == frozenset()  # CodeFormers alone, without post-processing, is never sent
    old = bridge_grants(f"{OLD}:9:x")
    assert old.post_processors == {"GFPGAN", "RealESRGAN_x4plus", "CodeFormers"}
    assert old.samplers_without_karras == frozenset()  # AI Horde Worker gets samplers from version 11
    assert "k_dpmpp_sde" in bridge_grants(f"{OLD}:12:x").samplers_with_karras
    assert "lcm" in bridge_grants(f"{REGEN}:3:x").samplers_with_karras
    assert "lcm" not in bridge_grants(f"{REGEN}:2.9:x").samplers_with_karras


def test_the_table_says_where_it_comes_from() -> None:
    assert bridge_reference_data.SOURCE == "Haidra-Org/AI-Horde/horde/bridge_reference.py"
    assert len(bridge_reference_data.SOURCE_COMMIT) == 40
    assert bridge_reference_data.SOURCE_SERVER_VERSION == "5.1.5"
    assert bridge_reference_source().startswith("Haidra-Org/AI-Horde/horde/bridge_reference.py at ")
    assert bridge_reference_data.VALIDATED_TEXT_BACKENDS == (
        "AI Horde Worker",
        "AI Horde Worker~aphrodite~kai",
        "AI Horde Worker~aphrodite~oai",
        "KoboldCppEmbedWorker",
        "TabbyAPI",
    )


# --- the default agent and the configured one ----------------------------------------------------------------------


def test_the_default_image_agent_is_a_known_bridge_that_gets_the_default_request_and_names_the_sdk() -> None:
    agent = default_bridge_agent()
    assert agent.startswith(f"{COMPATIBILITY_BRIDGE[0]}:{COMPATIBILITY_BRIDGE[1]}:")
    assert agent.endswith(f"{SDK_BRIDGE_NAME} {__version__} https://github.com/Haidra-Org/horde-sdk")
    grants = bridge_grants(agent)
    assert grants.r2
    assert "k_euler_a" in grants.samplers_without_karras  # the default sampler of every client
    # Nothing a backend would have to fake: no img2img (so no inpainting either), post-processing, LoRAs...
    features = grants.image_features()
    assert features.source_processing == (KNOWN_IMAGE_SOURCE_PROCESSING.txt2img,)
    assert not any(getattr(features, name) for name in ("post_processing", "loras", "textual_inversion", "hires_fix"))
    assert not any(getattr(features, name) for name in ("controlnet", "tiling", "clip_skip", "extra_source_images"))
    # Text and alchemy workers announce the SDK under its own name.
    for kind in (KNOWN_WORKER_KINDS.scribe, KNOWN_WORKER_KINDS.alchemist):
        assert default_bridge_agent(kind) == f"{SDK_BRIDGE_NAME}:{__version__}:https://github.com/Haidra-Org/horde-sdk"


def test_the_configured_agent_is_used_for_every_kind_and_completed_to_three_parts() -> None:
    config = ImageWorkerDeployConfig(bridge_agent="My Engine:2.0")
    agent = bridge_agent_for(config, KNOWN_WORKER_KINDS.dreamer)
    assert agent == f"My Engine:2.0:{SDK_BRIDGE_NAME} {__version__} https://github.com/Haidra-Org/horde-sdk"
    assert parse_bridge_agent(agent)[0] == "My Engine"  # three parts: the horde reads the name
    full = TextWorkerDeployConfig(bridge_agent="TabbyAPI:0.9:https://example.com")
    assert bridge_agent_for(full, KNOWN_WORKER_KINDS.scribe) == "TabbyAPI:0.9:https://example.com"
    assert bridge_agent_for(ImageWorkerDeployConfig(), KNOWN_WORKER_KINDS.dreamer) == default_bridge_agent()


# --- the lines operators read ----------------------------------------------------------------------------------------


def test_an_unknown_bridge_is_told_it_never_gets_the_default_request_and_what_to_set() -> None:
    line = describe_image_bridge(f"{SDK_BRIDGE_NAME}:{__version__}:x", TXT2IMG_ONLY, configured=True)
    assert line.startswith("the horde will never send this worker r2 image requests (the default of every client)")
    assert f"because it does not know the bridge '{SDK_BRIDGE_NAME}'" in line
    assert f"set bridge_agent to '{WEBUI}:1'" in line
    assert "\n" not in line


def test_the_line_names_only_what_the_worker_could_serve() -> None:
    wanted = ImageGenerationFeatureFlags(
        source_processing=(KNOWN_IMAGE_SOURCE_PROCESSING.img2img,),
        post_processing=True,
        post_processors=("GFPGAN", "RealESRGAN_x2plus"),
        hires_fix=True,
        samplers=("k_euler_a", "lcm"),
    )
    missing = never_sent_image_requests(bridge_grants(f"{OLD}:13:x"), wanted)
    assert missing == ("post-processor RealESRGAN_x2plus", "sampler lcm")
    line = describe_image_bridge(f"{OLD}:13:x", wanted, configured=True)
    assert line.startswith(
        "the horde will never send this worker requests for the post-processor RealESRGAN_x2plus, "
        "or requests for the sampler lcm, because it does not trust bridge 'AI Horde Worker' version 13 with them;"
    )
    # The suggestion grants all of it, with the fewest other features.
    assert suggest_bridge_agent(wanted) == f"{REGEN}:3"
    assert describe_image_bridge(f"{REGEN}:3:x", wanted, configured=True).startswith("bridge agent: the horde sends")


def test_the_default_agent_line_for_the_demo_says_it_is_the_default_and_what_else_to_set() -> None:
    served = ImageWorkerDeployConfig(dreamer_name="d").image_feature_flags()
    line = describe_image_bridge(default_bridge_agent(), served, configured=False)
    assert line.startswith("the horde will never send this worker img2img, post-processing, hires fix")
    assert "r2 image requests" not in line
    assert f"(the default: the horde does not know the bridge '{SDK_BRIDGE_NAME}')" in line
    assert f"set bridge_agent to '{REGEN}:13'" in line
    # A txt2img backend is sent all it serves with the default.
    assert describe_image_bridge(default_bridge_agent(), TXT2IMG_ONLY, configured=False).startswith(
        "bridge agent: the horde sends this worker every image request it serves"
    )


def test_what_an_agent_claims_beyond_the_backend_is_named() -> None:
    line = describe_unrunnable_image_requests(f"{REGEN}:2:x", TXT2IMG_ONLY)
    assert line is not None
    assert line.startswith(
        "the horde may send this worker textual inversions, hires fix, tiling or clip skip requests"
    )
    assert describe_unrunnable_image_requests(f"{REGEN}:13:x", DEMO_IMAGE_FEATURES) is None


def test_text_line_names_the_validated_backends() -> None:
    assert "validated text backend" in describe_text_bridge("TabbyAPI:0.9:x")
    line = describe_text_bridge(default_bridge_agent(KNOWN_WORKER_KINDS.scribe))
    assert line.startswith("the horde will never send this worker text requests that ask for validated backends")
    assert "KoboldCppEmbedWorker" in line


# --- the refresh tool ---------------------------------------------------------------------------------------------

SERVER_FILE = """
import semver
BRIDGE_CAPABILITIES = {
    "New Bridge": {2: {"lora"}, 1: {"img2img", "r2", "post-processing", "GFPGAN"}},
}
BRIDGE_SAMPLERS = {
    "New Bridge": {1: {"karras": {"k_euler"}, "no karras": {}}, 3: {"karras": {}, "no karras": {"DDIM"}}},
}
LLM_VALIDATED_BACKENDS = {"TabbyAPI"}
def not_data(): return 1
"""


def _refresh_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "refresh_bridge_reference", REPO / "tools/refresh_bridge_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_refresh_tool_reads_the_server_tables_without_running_them() -> None:
    tool = _refresh_tool()
    tables = tool._literal_tables(SERVER_FILE)
    features = tool.features_from(tables["BRIDGE_CAPABILITIES"])
    samplers = tool.samplers_from(tables["BRIDGE_SAMPLERS"])
    assert features == {"New Bridge": {"GFPGAN": "1", "img2img": "1", "post-processing": "1", "r2": "1", "lora": "2"}}
    assert samplers == {"New Bridge": {"DDIM": (None, "3"), "k_euler": ("1", "1")}}
    text = tool.render(features, samplers, ("TabbyAPI",), commit="c" * 40, date="2026-01-02", server="9.9.9")
    namespace: dict[str, object] = {}
    exec(compile(ast.parse(text), "generated", "exec"), namespace)  # noqa: S102 - the module just rendered
    assert namespace["BRIDGE_FEATURES"] == features
    assert namespace["BRIDGE_SAMPLERS"] == samplers
    assert namespace["SOURCE_COMMIT"] == "c" * 40
    # The data module in the package is the tool's own output.
    shipped = (REPO / "packages/horde-sdk-worker/src/horde_sdk/worker/bridge_reference_data.py").read_text()
    regenerated = tool.render(
        bridge_reference_data.BRIDGE_FEATURES,
        bridge_reference_data.BRIDGE_SAMPLERS,
        bridge_reference_data.VALIDATED_TEXT_BACKENDS,
        commit=bridge_reference_data.SOURCE_COMMIT,
        date=bridge_reference_data.SOURCE_DATE,
        server=bridge_reference_data.SOURCE_SERVER_VERSION,
    )
    refreshed = [line for line in shipped.splitlines() if not line.startswith("Refreshed on")]
    assert refreshed == [line for line in regenerated.splitlines() if not line.startswith("Refreshed on")]


# --- the documentation -------------------------------------------------------------------------------------------

GETTING_STARTED = REPO / "docs/worker/getting_started.md"


def _block_after(text: str, marker: str, language: str) -> str:
    return text.split(marker, 1)[1].split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_documented_line_and_example_are_what_the_worker_prints_and_reads() -> None:
    text = GETTING_STARTED.read_text(encoding="utf-8")
    documented = _block_after(text, "## What the horde will send it: the bridge agent", "text").strip()
    served = ImageWorkerDeployConfig(dreamer_name="d").image_feature_flags()  # narrowed to the demo's: the same
    assert documented == "warning: " + describe_image_bridge(default_bridge_agent(), served, configured=False)
    example = _block_after(text, "<!-- bridge-agent-example -->", "yaml")
    config = ImageWorkerDeployConfig.model_validate({**yaml_mapping(example), "dreamer_name": "d"})
    assert bridge_grants(bridge_agent_for(config, KNOWN_WORKER_KINDS.dreamer)).grants("img2img")


def yaml_mapping(text: str) -> dict[str, object]:
    import yaml

    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_the_documented_refresh_command_reads_a_checkout(tmp_path: Path) -> None:
    import subprocess

    runtime_page = (REPO / "docs/worker/runtime.md").read_text(encoding="utf-8")
    command = _block_after(runtime_page, "**Keeping the SDK's copy current.**", "bash").splitlines()[1].split()
    assert command[:2] == ["python", "tools/refresh_bridge_reference.py"]
    checkout = tmp_path / "AI-Horde"
    (checkout / "horde").mkdir(parents=True)
    (checkout / "horde/bridge_reference.py").write_text(SERVER_FILE, encoding="utf-8")
    (checkout / "horde/consts.py").write_text('HORDE_VERSION = "9.9.9"\n', encoding="utf-8")
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "server"], check=True)
    output = tmp_path / "data.py"
    arguments = [sys.executable, str(REPO / command[1]), "--checkout", str(checkout), "--output", str(output)]
    assert subprocess.run([*arguments, "--check"], capture_output=True, check=False).returncode == 1
    assert subprocess.run(arguments, capture_output=True, check=False).returncode == 0
    assert "server version 9.9.9" in output.read_text(encoding="utf-8")
    result = subprocess.run([*arguments, "--check"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip().endswith("is up to date")) == (0, True)
