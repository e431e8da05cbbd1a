"""A user's typed script: builds worker deployment configurations by field name, and reads the fields back.

`test_dc_user_typing.py` type-checks this file as an SDK user would (the installed packages, strict mypy) with
pydantic's mypy plugin at its defaults and without the plugin (the `dataclass_transform` reading that pyright also
does), and runs it; `hatch run types` checks it with this repository's settings (the plugin's `init_forbid_extra`
and `init_typed` on). Each must report no error.

Fields are typed as they are stored: secrets as `SecretStr`, model lists as `ModelSelection`. The spellings of a
configuration file (`worker_name`, `image_models_to_load`, a plain list of model names, '80%') are read through
`parse_deploy_config` or `model_validate`, which every type checker accepts.
"""

from pydantic import SecretStr

from horde_sdk.deploy_config import (
    AlchemyWorkerDeployConfig,
    CombinedWorkerDeployConfig,
    ImageWorkerDeployConfig,
    MemoryAmount,
    ModelSelection,
    TextWorkerDeployConfig,
    parse_deploy_config,
)
from horde_sdk.generation_parameters import ImageGenerationParameters

# Configurations by field name, the renamed fields (`dreamer_name`, once `worker_name`) by their current names.
image = ImageWorkerDeployConfig(
    api_key=SecretStr("0000000000"),
    dreamer_name="Blue Heron",
    models_to_load=ModelSelection(names=("stable_diffusion",)),
    max_power=16,
    allow_lora=True,
    ram_to_leave_free=MemoryAmount(percent=50),
    vram_to_leave_free=MemoryAmount(megabytes=2048),
    image_model_map={"stable_diffusion": "sd15"},
)
alchemy = AlchemyWorkerDeployConfig(alchemist_name="alchemist", forms=("caption", "post-process"))
text = TextWorkerDeployConfig(scribe_name="scribe", max_length=80, model_name="koboldcpp/tiny")
combined = CombinedWorkerDeployConfig(dreamer_name="all", alchemist_name="all", scribe_name="all", nsfw=False)

# Reading the fields back gives their declared types.
dreamer_name: str | None = image.dreamer_name
max_power: int = image.max_power
names: tuple[str, ...] = image.models_to_load.names
percent: float | None = image.ram_to_leave_free.percent
key: str = image.api_key.get_secret_value()
can_serve: bool = image.can_serve_image(ImageGenerationParameters(prompt="a cat", width=512, height=512))

# A configuration file's spellings go through parse_deploy_config or model_validate.
from_file = parse_deploy_config(
    {"worker_name": "Blue Heron", "image_models_to_load": ["top 2"], "ram_to_leave_free": "80%"},
    ImageWorkerDeployConfig,
)
from_file_name: str | None = from_file.dreamer_name
validated = ImageWorkerDeployConfig.model_validate({"worker_name": "Blue Heron", "api_key": "0000000000"})
