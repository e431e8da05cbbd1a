"""A local AI Horde for hermetic tests of clients and workers.

- :class:`LocalHorde`: the state and switches of one horde (users, workers, requests, rate limits, faults);
- :func:`create_app`: its ASGI app (use it in-process with ``httpx.ASGITransport``);
- :class:`LocalHordeServer`: the app served by uvicorn on ``127.0.0.1`` from a background thread;
- :class:`ScriptedWorker` / :class:`AsyncScriptedWorker`: workers built from the SDK's pop and submit models;
- :class:`ScriptedFault`: "fail the next N matching requests" (``LocalHorde.script_faults``);
- :class:`ScriptedRewrite`: "send this JSON instead of the next N matching answers" (``script_rewrites``);
- :class:`WorkerCounts`: what happened to a worker's popped generations (``LocalHorde.worker_counts``);
- :class:`HordeConfig`, :class:`FaultConfig`, :class:`ApiKey`, :class:`Role`, :class:`ManualClock`: set-up.

The ``local-horde`` command (``hatch run local-horde --port 7001``) serves one from the command line.
"""

from __future__ import annotations

from horde_local.app import create_app
from horde_local.clock import Clock, ManualClock, SystemClock
from horde_local.config import ANONYMOUS_KEY, ApiKey, FaultConfig, HordeConfig, Role, parse_api_key
from horde_local.faults import ScriptedFault, ScriptedFaultHit, ScriptedRewrite
from horde_local.horde import LocalHorde
from horde_local.server import LocalHordeServer
from horde_local.state import WorkerCounts
from horde_local.worker import (
    SCRIPTED_WORKER_BRIDGE_AGENT,
    AsyncScriptedWorker,
    Behaviour,
    ScriptedWorker,
    WorkerTally,
    fake_image,
)

__all__ = [
    "ANONYMOUS_KEY",
    "SCRIPTED_WORKER_BRIDGE_AGENT",
    "ApiKey",
    "AsyncScriptedWorker",
    "Behaviour",
    "Clock",
    "FaultConfig",
    "HordeConfig",
    "LocalHorde",
    "LocalHordeServer",
    "ManualClock",
    "Role",
    "ScriptedFault",
    "ScriptedFaultHit",
    "ScriptedRewrite",
    "ScriptedWorker",
    "SystemClock",
    "WorkerCounts",
    "WorkerTally",
    "create_app",
    "fake_image",
    "parse_api_key",
]
