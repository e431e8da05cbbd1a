"""A user's typed script: builds models by their Python field names, and from wire names through `model_validate`.

`test_aha_user_typing.py` type-checks this file as an SDK user would (the installed packages, strict mypy) with
pydantic's mypy plugin and without it (the `dataclass_transform` reading that pyright also does), and runs it;
`hatch run types` checks it with this repository's settings (the plugin's `init_forbid_extra` and `init_typed`
on). Each must report no error.

Fields whose wire name is a Python builtin or keyword, or not an identifier, end in `_` or are renamed
(`id_` for `id`, `type_` for `type`, `format_`, `name_`, `worker_id_`, `worker_name` for `name`,
`post_processing` for `post-processing`).
"""

from horde_sdk.ai_horde_api.apimodels import (
    AestheticRatingEntry,
    AlchemyJobPopRequest,
    AlchemyJobSubmitRequest,
    AllActiveModelsRequest,
    AllCollectionsRequest,
    AllWorkersDetailsRequest,
    CreateTeamRequest,
    DeleteImageGenerateRequest,
    ImageGenerateCheckRequest,
    ImageGenerateJobPopRequest,
    ImageGenerateJobSubmitRequest,
    ImageGenerateStatusRequest,
    ImageGenerationMetadataEntry,
    ModifyWorkerRequest,
    SendWorkerMessageRequest,
    SingleWorkerDetailsResponse,
    SingleWorkerNameDetailsRequest,
    TeamDetailsLite,
    TermsRequest,
    TextGenerateJobPopRequest,
    TextGenerationMetadataEntry,
    WorkerDetailsLite,
)
from horde_sdk.ai_horde_api.fields import GenerationID, JobID, TeamID, WorkerID

JOB = JobID("00000000-0000-4000-8000-000000000001")
GENERATION = GenerationID("00000000-0000-4000-8000-000000000002")
WORKER = WorkerID("00000000-0000-4000-8000-000000000003")

# Requests: `id_`, `type_`, `format_`, `name_`, `worker_id_` and `worker_name` by name.
check = ImageGenerateCheckRequest(id_=JOB)
status = ImageGenerateStatusRequest(id_=JOB)
cancel = DeleteImageGenerateRequest(id_=JOB)
models = AllActiveModelsRequest(type_="text", min_count=2)
workers = AllWorkersDetailsRequest(type_="image", name="Blue Heron")
collections = AllCollectionsRequest(type_="image", page=2)
terms = TermsRequest(format_="markdown")
one_worker = SingleWorkerNameDetailsRequest(worker_name="Blue Heron")
image_pop = ImageGenerateJobPopRequest(worker_name="lighthouse-keeper", models=("stable_diffusion",))
text_pop = TextGenerateJobPopRequest(worker_name="koboldcpp-box", models=("koboldcpp/tiny",))
alchemy_pop = AlchemyJobPopRequest(worker_name="alchemist", forms=("caption",))
image_submit = ImageGenerateJobSubmitRequest(id_=GENERATION, seed=7, generation="R2")
alchemy_submit = AlchemyJobSubmitRequest(id_=GENERATION, result={"caption": "a cat"}, state="ok")
team = CreateTeamRequest(name_="Direct Action", info="Anarchy is emergent order.")
renamed = ModifyWorkerRequest(worker_id=WORKER, name_="Blue Heron II")
message = SendWorkerMessageRequest(worker_id_=WORKER, message="Your worker returns black images.")

# Sub-models and responses by name.
note = ImageGenerationMetadataEntry(type_="lora", value="download_failed", ref="247778")
text_note = TextGenerationMetadataEntry(type_="censorship", value="csam")
rating = AestheticRatingEntry(id_=GENERATION, rating=8)
lite = WorkerDetailsLite(type_="image", id_=WORKER, name="Blue Heron")
team_lite = TeamDetailsLite(id_=TeamID("00000000-0000-4000-8000-000000000004"), name="Direct Action")
details = SingleWorkerDetailsResponse(type_="image", id_=WORKER, post_processing=True, bridge_agent="reGen:9:x")

# Reading the fields back gives their declared types.
job_id: JobID = check.id_
generation_id: GenerationID = image_submit.id_
worker_name: str | None = image_pop.worker_name
worker_id: WorkerID | None = lite.id_

# Wire names (as the server sends them) go through `model_validate`, which every type checker accepts.
from_wire = ImageGenerateCheckRequest.model_validate({"id": JOB})
from_wire_worker = WorkerDetailsLite.model_validate({"type": "image", "id": WORKER, "name": "Blue Heron"})
from_wire_details = SingleWorkerDetailsResponse.model_validate(
    {"type": "image", "post-processing": True, "bridge_agent": "reGen:9:x"}
)
