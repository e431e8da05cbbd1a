"""Which requests the AI Horde sends a worker, from the bridge agent of its pops.

A pop's ``bridge_agent`` is ``name:version:url``. The horde grants image features by the *name* and the *version*
(compared as a version), from a table in its source (its "bridge reference"), and sends a worker nothing its bridge
is not known to support. An unknown name gets no feature at all: not even the ``r2: true`` image request every
client sends by default. Nothing in the pop's ``skipped`` counters says so. The table is kept here as data
(`horde_sdk.worker.bridge_reference_data`, refreshed with ``tools/refresh_bridge_reference.py``), and this module
computes from it what a given agent is sent:

* `parse_bridge_agent` reads an agent the way the horde does; `bridge_grants` returns its `BridgeGrants` (features,
  post-processors, samplers, r2), and `BridgeGrants.image_features` the same as the supported side of
  `ImageGenerationFeatureFlags`;
* `never_sent_image_requests` names, in plain words, what a worker could serve but will never be sent, and
  `describe_image_bridge` turns that into the one line ``horde-worker`` prints;
* `default_bridge_agent` and `bridge_agent_for` choose the agent a worker announces (see below).

**The default agent.** horde-sdk-worker is a new bridge: the horde's table does not know ``horde-sdk-worker``, so
under its own name a worker would never receive the default image request. By default an image worker therefore
announces itself as compatible with the known bridge that grants the least besides that request:
``SD-WebUI Stable Horde Worker Bridge`` version 1 (`COMPATIBILITY_BRIDGE`). It grants r2 requests, the common
samplers and nothing a backend would have to fake (no img2img, post-processing, LoRAs, hires fix...), and it is not
one of the horde's official workers, so it earns no kudos bonus meant for them. The third part of the agent names
the real software (``horde-sdk-worker <version> <url>``) for anyone who reads the worker's details. A worker whose
backend runs more sets ``bridge_agent`` in its configuration to a bridge and version the horde trusts with it (the
line `describe_image_bridge` prints suggests one); the right fix is to have the bridge added to the horde's bridge
reference. Once ``horde-sdk-worker`` is there (and the data refreshed), the default becomes the SDK's own name.
Text and alchemy workers announce the SDK's own name: the horde gates no alchemy feature by bridge, and text only
by `VALIDATED_TEXT_BACKENDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import total_ordering
from typing import Final

from horde_sdk.deploy_config import (
    BRIDGE_AGENT_VERSION_PATTERN,
    KNOWN_WORKER_KINDS,
    BaseWorkerDeployConfig,
)
from horde_sdk.generation_parameters import (
    KNOWN_IMAGE_CONTROLNETS,
    KNOWN_IMAGE_MODEL_BASELINES,
    KNOWN_IMAGE_POST_PROCESSORS,
    KNOWN_IMAGE_SAMPLERS,
    KNOWN_IMAGE_SCHEDULERS,
    KNOWN_IMAGE_SOURCE_PROCESSING,
    KNOWN_IMAGE_WORKFLOWS,
    ImageGenerationFeatureFlags,
)
from horde_sdk.worker.__about__ import __version__
from horde_sdk.worker.bridge_reference_data import (
    BRIDGE_FEATURES,
    BRIDGE_SAMPLERS,
    SOURCE,
    SOURCE_COMMIT,
    SOURCE_DATE,
    VALIDATED_TEXT_BACKENDS,
)

__all__ = [
    "COMPATIBILITY_BRIDGE",
    "SDK_BRIDGE_NAME",
    "SDK_BRIDGE_URL",
    "UNKNOWN_BRIDGE_NAME",
    "UNKNOWN_BRIDGE_SAMPLERS_AS",
    "BridgeGrants",
    "BridgeVersion",
    "bridge_agent_for",
    "bridge_grants",
    "bridge_reference_source",
    "default_bridge_agent",
    "describe_image_bridge",
    "describe_text_bridge",
    "describe_unrunnable_image_requests",
    "never_sent_image_requests",
    "parse_bridge_agent",
    "suggest_bridge_agent",
    "unrunnable_image_requests",
]

SDK_BRIDGE_NAME: Final = "horde-sdk-worker"
"""The name of this software as a bridge."""

SDK_BRIDGE_URL: Final = "https://github.com/Haidra-Org/horde-sdk"
"""Where this software lives."""

COMPATIBILITY_BRIDGE: Final = ("SD-WebUI Stable Horde Worker Bridge", "1")
"""The known bridge (name, version) an image worker announces itself compatible with by default, while the horde does
not know `SDK_BRIDGE_NAME`: the one granting the least besides r2 requests (see the module docstring)."""

UNKNOWN_BRIDGE_NAME: Final = "unknown"
"""The name the horde gives an agent it cannot read (no ``name:version:url`` form, or a version it cannot parse)."""

UNKNOWN_BRIDGE_SAMPLERS_AS: Final = ("AI Horde Worker", "23")
"""The bridge (name, version) whose samplers and post-processors the horde grants a name it does not know. This is
code in the server, not table data: check it by hand after a refresh."""

_VERSION = re.compile(
    r"^(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*)(?:\.(?P<patch>0|[1-9]\d*))?)?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
assert re.fullmatch(BRIDGE_AGENT_VERSION_PATTERN, "1.2.3-rc.1+build")  # noqa: S101 - the two patterns agree

# How each capability of the table reads in a sentence, in the order sentences list them.
_PHRASES: Final = {
    "r2": "r2 image requests (the default of every client)",
    "img2img": "img2img",
    "inpainting": "inpainting",
    "post-processing": "post-processing",
    "lora": "LoRAs",
    "textual_inversion": "textual inversions",
    "controlnet": "ControlNet",
    "hires_fix": "hires fix",
    "tiling": "tiling",
    "clip_skip": "clip skip",
    "extra_source_images": "extra source images",
    "layer_diffuse": "transparent images",
    "qr_code": "QR code workflows",
    "flux": "Flux models",
}


@total_ordering
@dataclass(frozen=True, slots=True)
class BridgeVersion:
    """A bridge version as the horde compares it: a semantic version whose minor and patch may be left out."""

    major: int
    minor: int = 0
    patch: int = 0
    prerelease: tuple[int | str, ...] = ()
    """The pre-release identifiers (``10.0.0-rc.1`` -> ``("rc", 1)``); a pre-release sorts before its release."""
    text: str = field(default="", compare=False)
    """The version as written (``9``); empty when built by hand."""

    @classmethod
    def parse(cls, text: str) -> BridgeVersion | None:
        """Read `text` as the horde does.

        Args:
            text: A version such as ``9``, ``9.1`` or ``9.1.0-rc.1``.

        Returns:
            The version, or None when the horde cannot read it (it then takes the agent for an unknown bridge).
        """
        match = _VERSION.match(text)
        if match is None:
            return None
        pre = match.group("pre")
        identifiers = tuple(int(part) if part.isdigit() else part for part in pre.split(".")) if pre else ()
        minor, patch = int(match.group("minor") or 0), int(match.group("patch") or 0)
        return cls(int(match.group("major")), minor, patch, identifiers, text)

    def _key(self) -> tuple[object, ...]:
        # Semantic version precedence: a release sorts after its pre-releases; numeric identifiers sort before
        # alphanumeric ones.
        pre = tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in self.prerelease)
        return (self.major, self.minor, self.patch, not self.prerelease, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, BridgeVersion):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        if self.text:
            return self.text
        text = f"{self.major}.{self.minor}.{self.patch}"
        return f"{text}-{'.'.join(str(part) for part in self.prerelease)}" if self.prerelease else text


def parse_bridge_agent(agent: str) -> tuple[str, BridgeVersion]:
    """Read a ``bridge_agent`` the way the horde does.

    Args:
        agent: ``name:version:url``.

    Returns:
        The name and the version; ``("unknown", 0)`` when the agent has fewer than three parts or a version the
        horde cannot read (the horde then grants no feature).
    """
    parts = agent.split(":", 2)
    version = BridgeVersion.parse(parts[1]) if len(parts) == 3 else None
    if version is None:
        return UNKNOWN_BRIDGE_NAME, BridgeVersion(0)
    return parts[0], version


def _since(text: str) -> BridgeVersion:
    """Return a version of the table (always readable: the table's versions are numbers)."""
    version = BridgeVersion.parse(text)
    if version is None:
        raise ValueError(f"the bridge table holds an unreadable version {text!r}")
    return version


def _granted(table: dict[str, str], version: BridgeVersion) -> frozenset[str]:
    return frozenset(name for name, since in table.items() if _since(since) <= version)


def _samplers(name: str, version: BridgeVersion) -> tuple[frozenset[str], frozenset[str]]:
    """Return the samplers (with karras, without karras) the horde grants `name` at `version`."""
    with_karras: set[str] = set()
    without: set[str] = set()
    for sampler, (karras_since, plain_since) in BRIDGE_SAMPLERS.get(name, {}).items():
        if karras_since is not None and _since(karras_since) <= version:
            with_karras.add(sampler)
        if plain_since is not None and _since(plain_since) <= version:
            without.add(sampler)
    return frozenset(with_karras), frozenset(without)


@dataclass(frozen=True, slots=True)
class BridgeGrants:
    """What the horde sends a worker announcing a given bridge agent."""

    agent: str
    """The agent as announced."""
    name: str
    """The bridge name the horde reads (``unknown`` when it cannot read the agent)."""
    version: BridgeVersion
    """The version the horde reads."""
    known: bool
    """Whether the horde's table knows the name (an unknown name is granted no feature)."""
    capabilities: frozenset[str]
    """The capabilities granted, named as in the table (``r2``, ``img2img``, ``post-processing``, ``GFPGAN``...)."""
    samplers_with_karras: frozenset[str]
    """The samplers of requests with the karras schedule it is sent."""
    samplers_without_karras: frozenset[str]
    """The samplers of requests without the karras schedule it is sent."""

    @property
    def r2(self) -> bool:
        """Whether it is sent ``r2: true`` requests, the default of every client."""
        return "r2" in self.capabilities

    @property
    def post_processors(self) -> frozenset[str]:
        """The post-processors it is sent (none when post-processing is not granted)."""
        if "post-processing" not in self.capabilities:
            return frozenset()
        return frozenset(pp.value for pp in KNOWN_IMAGE_POST_PROCESSORS if pp.value in self.capabilities)

    def grants(self, capability: str) -> bool:
        """Return whether `capability` (named as in the table) is granted.

        Args:
            capability: For example ``img2img``, ``hires_fix`` or ``RealESRGAN_x2plus``.

        Returns:
            True when granted.
        """
        return capability in self.capabilities

    def image_features(self) -> ImageGenerationFeatureFlags:
        """Return what the horde sends this agent, as the supported side of the image feature flags.

        Returns:
            The flags; `samplers` are those of requests without karras, and the karras scheduler is listed when any
            sampler is sent with it.
        """
        grants = self.grants
        processing = [KNOWN_IMAGE_SOURCE_PROCESSING.txt2img]
        if grants("img2img"):
            processing += [KNOWN_IMAGE_SOURCE_PROCESSING.img2img, KNOWN_IMAGE_SOURCE_PROCESSING.remix]
            if grants("inpainting"):
                processing += [KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting]
        controlnet = grants("controlnet") and grants("image_is_control")
        schedulers = [KNOWN_IMAGE_SCHEDULERS.normal]
        if self.samplers_with_karras:
            schedulers.append(KNOWN_IMAGE_SCHEDULERS.karras)
        return ImageGenerationFeatureFlags(
            source_processing=tuple(processing),
            extra_source_images=grants("extra_source_images"),
            controlnet=controlnet,
            controlnet_types=tuple(KNOWN_IMAGE_CONTROLNETS) if controlnet else (),
            hires_fix=grants("hires_fix"),
            loras=grants("lora"),
            textual_inversion=grants("textual_inversion"),
            tiling=grants("tiling"),
            transparency=grants("layer_diffuse"),
            clip_skip=grants("clip_skip"),
            post_processing=bool(self.post_processors),
            post_processors=tuple(sorted(self.post_processors)),
            samplers=tuple(sorted(self.samplers_without_karras)),
            schedulers=tuple(schedulers),
            extra_texts=True,  # the horde does not gate extra texts by bridge
            workflows=(KNOWN_IMAGE_WORKFLOWS.qr_code,) if controlnet and grants("qr_code") else (),
            baselines=tuple(
                baseline
                for baseline in KNOWN_IMAGE_MODEL_BASELINES
                if baseline != KNOWN_IMAGE_MODEL_BASELINES.flux_1 or grants("flux")
            ),
        )


def bridge_grants(agent: str) -> BridgeGrants:
    """Return what the horde sends a worker announcing `agent`.

    Args:
        agent: The pop's ``bridge_agent`` (``name:version:url``).

    Returns:
        The grants. An unknown name gets no capability; its samplers are those of `UNKNOWN_BRIDGE_SAMPLERS_AS`.
    """
    name, version = parse_bridge_agent(agent)
    known = name in BRIDGE_FEATURES
    capabilities = _granted(BRIDGE_FEATURES[name], version) if known else frozenset()
    sampler_name, sampler_version = name, version
    if name not in BRIDGE_SAMPLERS:
        sampler_name, sampler_version = UNKNOWN_BRIDGE_SAMPLERS_AS[0], _since(UNKNOWN_BRIDGE_SAMPLERS_AS[1])
    with_karras, without = _samplers(sampler_name, sampler_version)
    return BridgeGrants(
        agent=agent,
        name=name,
        version=version,
        known=known,
        capabilities=capabilities,
        samplers_with_karras=with_karras,
        samplers_without_karras=without,
    )


def bridge_reference_source() -> str:
    """Return where and when the bridge table was read: ``Haidra-Org/AI-Horde/... at <commit> (<date>)``."""
    return f"{SOURCE} at {SOURCE_COMMIT[:12]} ({SOURCE_DATE})"


# ---------------------------------------------------------------------------------------------------------------
# What a worker wants and does not get
# ---------------------------------------------------------------------------------------------------------------


def _wanted_capabilities(wanted: ImageGenerationFeatureFlags) -> list[str]:
    """Return the table capabilities a worker able to serve `wanted` needs, r2 first (every worker serves it)."""
    processing = set(wanted.source_processing)
    needs = ["r2"]
    if processing & {KNOWN_IMAGE_SOURCE_PROCESSING.img2img, KNOWN_IMAGE_SOURCE_PROCESSING.remix}:
        needs.append("img2img")
    if processing & {KNOWN_IMAGE_SOURCE_PROCESSING.inpainting, KNOWN_IMAGE_SOURCE_PROCESSING.outpainting}:
        needs += ["img2img", "inpainting"]
    flags = {
        "post-processing": wanted.post_processing and bool(wanted.post_processors),
        "lora": wanted.loras,
        "textual_inversion": wanted.textual_inversion,
        "controlnet": wanted.controlnet,
        "hires_fix": wanted.hires_fix,
        "tiling": wanted.tiling,
        "clip_skip": wanted.clip_skip,
        "extra_source_images": wanted.extra_source_images,
        "layer_diffuse": wanted.transparency,
        # QR codes are a ControlNet workflow. Flux is granted by the worker's models, not by requests: not asked.
        "qr_code": wanted.controlnet and KNOWN_IMAGE_WORKFLOWS.qr_code in wanted.workflows,
    }
    needs += [capability for capability, on in flags.items() if on]
    if wanted.controlnet:
        needs.append("image_is_control")
    return list(dict.fromkeys(needs))


def _phrase(capability: str) -> str | None:
    return _PHRASES.get(capability)


def never_sent_image_requests(grants: BridgeGrants, wanted: ImageGenerationFeatureFlags) -> tuple[str, ...]:
    """Name, in plain words, the image requests a worker could serve but the horde will never send it.

    Args:
        grants: What the horde grants the worker's agent (`bridge_grants`).
        wanted: What the worker could serve: its configuration's features narrowed to its backend's.

    Returns:
        One phrase per missing feature (``"img2img"``, ``"hires fix"``, ``"post-processor RealESRGAN_x2plus"``,
        ``"sampler lcm"``...), r2 requests first; empty when it is sent everything it serves.
    """
    missing = [
        phrase
        for capability in _wanted_capabilities(wanted)
        if not grants.grants(capability) and (phrase := _phrase(capability)) is not None
    ]
    if wanted.post_processing and grants.post_processors:
        missing += [f"post-processor {pp}" for pp in wanted.post_processors if pp not in grants.post_processors]
    sent_samplers = grants.samplers_without_karras | grants.samplers_with_karras
    missing += [f"sampler {sampler}" for sampler in wanted.samplers if sampler not in sent_samplers]
    return tuple(dict.fromkeys(missing))


_REQUESTABLE_SAMPLERS: Final = frozenset(sampler.value for sampler in KNOWN_IMAGE_SAMPLERS)

_UNGATED: Final = ("textual_inversion", "hires_fix", "tiling", "clip_skip", "extra_source_images")
"""Granted capabilities the pop has no ``allow_*`` field to refuse (LoRAs, img2img, painting, post-processing and
ControlNet follow the pop's flags)."""


def unrunnable_image_requests(grants: BridgeGrants, backend: ImageGenerationFeatureFlags) -> tuple[str, ...]:
    """Name the image requests the horde may send a worker although its backend cannot run them.

    Only what the pop cannot turn off counts: textual inversions, hires fix, tiling, clip skip, extra source
    images, and samplers. Such jobs reach the backend, which fails them (and the horde hands them to another worker).

    Args:
        grants: What the horde grants the worker's agent.
        backend: What the backend runs (`ImageBackend.features`).

    Returns:
        One phrase per such feature; empty when there is none.
    """
    supported = {
        "textual_inversion": backend.textual_inversion,
        "hires_fix": backend.hires_fix,
        "tiling": backend.tiling,
        "clip_skip": backend.clip_skip,
        "extra_source_images": backend.extra_source_images,
    }
    unrunnable = [
        _PHRASES[capability] for capability in _UNGATED if grants.grants(capability) and not supported[capability]
    ]
    # Only the samplers a request can name (the horde refuses others, such as the table's old "plms").
    sent = sorted((grants.samplers_without_karras | grants.samplers_with_karras) & _REQUESTABLE_SAMPLERS)
    unrunnable += [f"sampler {sampler}" for sampler in sent if sampler not in backend.samplers]
    return tuple(unrunnable)


def suggest_bridge_agent(wanted: ImageGenerationFeatureFlags) -> str | None:
    """Return the known bridge (``name:version``) granting everything `wanted` needs with the fewest other features.

    Args:
        wanted: What the worker could serve.

    Returns:
        The bridge as ``name:version``, or None when no known bridge grants it all.
    """
    known_capabilities = {capability for table in BRIDGE_FEATURES.values() for capability in table}
    known_samplers = {sampler for table in BRIDGE_SAMPLERS.values() for sampler in table}
    needs = set(_wanted_capabilities(wanted))
    if wanted.post_processing:
        needs |= {str(pp) for pp in wanted.post_processors} & known_capabilities
    samplers = {str(sampler) for sampler in wanted.samplers} & known_samplers
    best: tuple[int, int, str] | None = None
    for order, (name, table) in enumerate(BRIDGE_FEATURES.items()):
        sampler_versions = {v for grant in BRIDGE_SAMPLERS.get(name, {}).values() for v in grant if v is not None}
        for since in sorted(set(table.values()) | sampler_versions, key=_since):
            grants = bridge_grants(f"{name}:{since}:")
            sent_samplers = grants.samplers_without_karras | grants.samplers_with_karras
            if needs <= grants.capabilities and samplers <= sent_samplers and sent_samplers:
                candidate = (len(grants.capabilities - needs), order, f"{name}:{since}")
                best = candidate if best is None or candidate[:2] < best[:2] else best
                break
    return None if best is None else best[2]


def _join(phrases: Iterable[str]) -> str:
    items = list(phrases)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _what(missing: tuple[str, ...]) -> str:
    """Return ``"img2img or tiling requests, or requests for the samplers lcm, DDIM"`` from the phrases."""
    parts: list[str] = []
    features = [phrase for phrase in missing if not phrase.startswith(("sampler ", "post-processor "))]
    r2 = _PHRASES["r2"]
    if r2 in features:
        features.remove(r2)
        parts.append(f"{r2}, {_join(features)} requests" if features else r2)
    elif features:
        parts.append(f"{_join(features)} requests")
    for kind in ("post-processor", "sampler"):
        names = [phrase.removeprefix(f"{kind} ") for phrase in missing if phrase.startswith(f"{kind} ")]
        if names:
            parts.append(f"requests for the {kind}{'s' if len(names) > 1 else ''} {', '.join(names)}")
    return ", or ".join(parts)


def describe_image_bridge(agent: str, wanted: ImageGenerationFeatureFlags, *, configured: bool) -> str:
    """Return the one line saying which image requests the horde will never send this worker, and what to change.

    Args:
        agent: The agent the worker announces.
        wanted: What the worker could serve (its configuration narrowed to its backend).
        configured: Whether `agent` comes from the configuration's ``bridge_agent`` (else it is the default).

    Returns:
        The line, in plain words.
    """
    grants = bridge_grants(agent)
    missing = never_sent_image_requests(grants, wanted)
    who = f"bridge {grants.name!r} version {grants.version}"
    if not missing:
        return f"bridge agent: the horde sends this worker every image request it serves ({who})"
    what = _what(missing)
    if grants.name == UNKNOWN_BRIDGE_NAME:
        because = f"it cannot read the bridge agent {agent!r} (a 'name:version:url' with a version such as 9.1.0)"
    elif not grants.known:
        because = f"it does not know the bridge {grants.name!r}"
    else:
        because = f"it does not trust {who} with them"
        if not configured:
            because += f" (the default: the horde does not know the bridge {SDK_BRIDGE_NAME!r})"
    suggestion = suggest_bridge_agent(wanted)
    if suggestion is not None and not suggestion.startswith(f"{grants.name}:{grants.version}"):
        fix = (
            f"set bridge_agent to '{suggestion}' in the configuration if your backend runs what that bridge runs, "
            "or have your bridge added to the horde's bridge reference"
        )
    else:
        fix = "have your bridge added to the horde's bridge reference (no bridge it knows is trusted with them all)"
    return f"the horde will never send this worker {what}, because {because}; {fix}"


def describe_unrunnable_image_requests(agent: str, backend: ImageGenerationFeatureFlags) -> str | None:
    """Return the line naming the image requests the horde may send although the backend does not run them.

    Args:
        agent: The agent the worker announces.
        backend: What the backend runs (`ImageBackend.features`).

    Returns:
        The line, or None when the agent claims nothing the backend lacks (see `unrunnable_image_requests`).
    """
    unrunnable = unrunnable_image_requests(bridge_grants(agent), backend)
    if not unrunnable:
        return None
    return (
        f"the horde may send this worker {_what(unrunnable)} although its image backend does not declare them "
        "(the bridge agent claims them and the pop cannot refuse them)"
    )


def describe_text_bridge(agent: str) -> str:
    """Return the one line saying whether the horde sends this text worker the requests asking for validated backends.

    Args:
        agent: The agent the worker announces.

    Returns:
        The line, in plain words.
    """
    name, _version = parse_bridge_agent(agent)
    if name in VALIDATED_TEXT_BACKENDS:
        return f"bridge agent: {name!r} is a validated text backend; the horde sends this worker every text request"
    return (
        "the horde will never send this worker text requests that ask for validated backends, and pays it less "
        f"kudos, because {name!r} is not one of its validated text backends ({', '.join(VALIDATED_TEXT_BACKENDS)}); "
        "set bridge_agent to the validated backend your worker really is, if it is one"
    )


# ---------------------------------------------------------------------------------------------------------------
# The agent a worker announces
# ---------------------------------------------------------------------------------------------------------------


def _sdk_identity() -> str:
    return f"{SDK_BRIDGE_NAME} {__version__} {SDK_BRIDGE_URL}"


def default_bridge_agent(kind: KNOWN_WORKER_KINDS = KNOWN_WORKER_KINDS.dreamer) -> str:
    """Return the agent a worker announces when its configuration sets no ``bridge_agent``.

    Args:
        kind: The kind of worker popping (``dreamer``, ``scribe`` or ``alchemist``).

    Returns:
        For images, while the horde does not know `SDK_BRIDGE_NAME`:
        ``SD-WebUI Stable Horde Worker Bridge:1:horde-sdk-worker <version> <url>`` (see the module docstring);
        otherwise ``horde-sdk-worker:<version>:<url>``.
    """
    if kind == KNOWN_WORKER_KINDS.dreamer and SDK_BRIDGE_NAME not in BRIDGE_FEATURES:
        name, version = COMPATIBILITY_BRIDGE
        return f"{name}:{version}:{_sdk_identity()}"
    return f"{SDK_BRIDGE_NAME}:{__version__}:{SDK_BRIDGE_URL}"


def bridge_agent_for(config: BaseWorkerDeployConfig, kind: KNOWN_WORKER_KINDS) -> str:
    """Return the agent a worker announces in the pops of `kind`.

    Args:
        config: The deploy configuration; its ``bridge_agent``, when set, is used for every kind (completed with
            ``horde-sdk-worker <version> <url>`` as its third part when it has none: the horde needs three parts).
        kind: The kind of pop.

    Returns:
        The agent, ``name:version:url``.
    """
    configured = config.bridge_agent
    if configured is None:
        return default_bridge_agent(kind)
    if configured.count(":") < 2:
        return f"{configured}:{_sdk_identity()}"
    return configured
