"""Dispatch: getting jobs from a dispatch source and handing results back.

`horde_sdk.worker.dispatch.ai_horde` does it for the AI Horde: pop requests from a deploy configuration,
pop answers to generation and dispatch parameters, finished generations to submit requests, and the model
meta entries (``top 5``, ``all sdxl``) resolved against the live horde.
"""

from horde_sdk.worker.dispatch.ai_horde import (
    AIHordeDispatchParameters,
    DispatchedJob,
    DispatchFault,
    EmptyDispatch,
    ImageToDownload,
)

__all__ = [
    "AIHordeDispatchParameters",
    "DispatchFault",
    "DispatchedJob",
    "EmptyDispatch",
    "ImageToDownload",
]
