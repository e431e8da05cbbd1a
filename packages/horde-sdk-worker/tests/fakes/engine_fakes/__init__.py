"""Fake image engines on loopback for the worker's tests: ComfyUI (`FakeComfyUI`) and Automatic1111 (`FakeSDWebUI`).

They are written from the engines' documented HTTP APIs and from what a real ComfyUI answered
(``data/comfyui_object_info.json`` is its ``/object_info`` for the nodes a horde job needs, see
``../shared/comfyui``). Each validates what it receives the way the real server does (and a little more
strictly: an input or field the server does not declare is refused), makes real PNG images of the size the
request asks for, coloured by seed, and fails on demand the way real engines fail.
"""

from engine_fakes.comfyui import FakeComfyUI
from engine_fakes.common import colour_is_close, http_client, image_of, png, seed_colour
from engine_fakes.sdwebui import FakeSDWebUI

__all__ = ["FakeComfyUI", "FakeSDWebUI", "colour_is_close", "http_client", "image_of", "png", "seed_colour"]
