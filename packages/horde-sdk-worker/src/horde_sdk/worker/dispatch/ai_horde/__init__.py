"""AI Horde dispatch: pop requests, pop answers to jobs, submit requests and model meta entries.

* `pop`: pop requests built from a deploy configuration.
* `conversion`: pop answers to `DispatchedJob` (generation parameters plus `AIHordeDispatchParameters`),
  `DispatchFault` (an unusable job, to submit as faulted) or `EmptyDispatch`.
* `submit`: submit requests of finished or faulted generations, and the upload to presigned R2 URLs.
* `model_resolution`: ``top N``, ``all sdxl``... resolved against ``/v2/status/models`` and the image stats.
"""

from horde_sdk.worker.dispatch.ai_horde.conversion import (
    AIHordeDispatchParameters,
    DispatchedJob,
    DispatchFault,
    DispatchOutcome,
    EmptyDispatch,
    ImageToDownload,
    convert_alchemy_pop,
    convert_image_pop,
    convert_text_pop,
    is_url,
    validate_image_reference,
)
from horde_sdk.worker.dispatch.ai_horde.finished import (
    JobNotFinishedError,
    build_alchemy_job_submits,
    build_image_job_submits,
    build_text_job_submits,
)
from horde_sdk.worker.dispatch.ai_horde.model_resolution import (
    INPAINTING_NAME_MARKER,
    ResolvedModels,
    fetch_and_resolve_models,
    fetch_and_resolve_models_async,
    resolve_config_models,
    resolve_model_instructions,
)
from horde_sdk.worker.dispatch.ai_horde.pop import (
    BRIDGE_AGENT_NAME,
    BRIDGE_AGENT_URL,
    build_alchemy_pop_request,
    build_image_pop_request,
    build_text_pop_request,
    get_bridge_agent,
)
from horde_sdk.worker.dispatch.ai_horde.submit import (
    FAULTED_IMAGE_SEED,
    R2_UPLOAD_CONTENT_TYPE,
    R2UploadError,
    build_alchemy_submit,
    build_faulted_submits,
    build_image_submit,
    build_text_submit,
    image_metadata,
    text_metadata,
    upload_to_r2,
    upload_to_r2_async,
)

__all__ = [
    "BRIDGE_AGENT_NAME",
    "BRIDGE_AGENT_URL",
    "FAULTED_IMAGE_SEED",
    "INPAINTING_NAME_MARKER",
    "R2_UPLOAD_CONTENT_TYPE",
    "AIHordeDispatchParameters",
    "DispatchFault",
    "DispatchOutcome",
    "DispatchedJob",
    "EmptyDispatch",
    "ImageToDownload",
    "JobNotFinishedError",
    "R2UploadError",
    "ResolvedModels",
    "build_alchemy_job_submits",
    "build_alchemy_pop_request",
    "build_alchemy_submit",
    "build_faulted_submits",
    "build_image_job_submits",
    "build_image_pop_request",
    "build_image_submit",
    "build_text_job_submits",
    "build_text_pop_request",
    "build_text_submit",
    "convert_alchemy_pop",
    "convert_image_pop",
    "convert_text_pop",
    "fetch_and_resolve_models",
    "fetch_and_resolve_models_async",
    "get_bridge_agent",
    "image_metadata",
    "is_url",
    "resolve_config_models",
    "resolve_model_instructions",
    "text_metadata",
    "upload_to_r2",
    "upload_to_r2_async",
    "validate_image_reference",
]
