"""A fake ComfyUI: ``/object_info``, ``/upload/image``, ``/prompt``, ``/history/{id}``, ``/view``, ``/queue``,
``/interrupt``, ``/embeddings``.

``POST /prompt`` validates the graph as ComfyUI 0.3.64 does (see ``../shared/comfyui/README.md``): unknown or
missing ``class_type`` (``invalid_prompt``), no output node (``prompt_no_outputs``), and per node, every error in
one 400 answer: ``required_input_missing``, ``exception_during_inner_validation`` (a link to a missing node),
``return_type_mismatch``, ``invalid_input_type``, ``value_smaller_than_min`` / ``value_bigger_than_max``,
``value_not_in_list`` (list-form choices only; ``["COMBO", {"options"}]`` inputs fail when the graph runs), and
``custom_validation_failed`` for a ``LoadImage`` of a file never uploaded. Stricter than the real server: an
input the node does not declare is refused (``fake_unknown_input``), so a typo cannot pass unnoticed.

An accepted prompt "runs" symbolically: each ``SaveImage`` gets a PNG of the size its branch makes (latent sizes,
latent upscales, model upscales by the factor in the model's name), coloured by the seed of its ``KSampler``.
The history entry appears after `polls_before_done` polls (an empty ``{}`` before, like the real server).

`failure`: ``"500"`` (``POST /prompt`` answers 500), ``"oom"`` (the prompt fails with torch's out-of-memory
message), ``"hang"`` (it runs and never finishes), ``"stuck"`` (it waits in the queue forever), ``"drop"`` (the
history poll's connection is closed unanswered). ``GET /queue`` lists the unfinished prompts as running (or
pending when stuck).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from engine_fakes.common import FakeHandler, FakeServerBase, image_of, png, seed_colour

OBJECT_INFO_FILE = Path(__file__).parent / "data" / "comfyui_object_info.json"
OOM_MESSAGE = "Allocation on device 0 would exceed allowed memory. (out of memory)"

FACE_RESTORE_NODES: dict[str, Any] = {
    # Modelled on the facerestore_cf custom nodes (not in the real server's excerpt).
    "FaceRestoreModelLoader": {
        "input": {"required": {"model_name": [["codeformer-v0.1.0.pth", "GFPGANv1.4.pth"]]}},
        "output": ["FACERESTORE_MODEL"],
        "output_node": False,
    },
    "FaceRestoreCFWithModel": {
        "input": {
            "required": {
                "facerestore_model": ["FACERESTORE_MODEL"],
                "image": ["IMAGE"],
                "facedetection": [["retinaface_resnet50", "retinaface_mobile0.25", "YOLOv5l", "YOLOv5n"]],
                "codeformer_fidelity": ["FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.05}],
            }
        },
        "output": ["IMAGE"],
        "output_node": False,
    },
}

_EMBEDDING = re.compile(r"embedding:([^\s:()]+)")
_SCALE = re.compile(r"(\d+)x|x(\d+)", re.IGNORECASE)


def _error(
    kind: str, message: str, details: str = "", input_name: str = "", received: object = None
) -> dict[str, Any]:
    return {
        "type": kind,
        "message": message,
        "details": details,
        "extra_info": {"input_name": input_name, "input_config": None, "received_value": received},
    }


class FakeComfyUI(FakeServerBase):
    """A fake ComfyUI server (see the module documentation)."""

    def __init__(
        self,
        *,
        checkpoints: tuple[str, ...] = ("dummy-sd15.safetensors", "random-sd15.safetensors"),
        loras: tuple[str, ...] = ("dummy-lora.safetensors",),
        upscale_models: tuple[str, ...] = ("RealESRGAN_x2plus.pth", "4x_AnimeSharp.pth"),
        face_restore: bool = False,
        embeddings: tuple[str, ...] = ("dummy-ti",),
        polls_before_done: int = 1,
    ) -> None:
        super().__init__()
        nodes = json.loads(OBJECT_INFO_FILE.read_text(encoding="utf-8"))["nodes"]
        nodes["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = list(checkpoints)
        nodes["LoraLoader"]["input"]["required"]["lora_name"][0] = list(loras)
        nodes["LoraLoaderModelOnly"]["input"]["required"]["lora_name"][0] = list(loras)
        nodes["UpscaleModelLoader"]["input"]["required"]["model_name"][1]["options"] = list(upscale_models)
        if face_restore:
            nodes.update(copy.deepcopy(FACE_RESTORE_NODES))
        self.object_info: dict[str, Any] = nodes
        self.embeddings = list(embeddings)
        self.uploads: dict[str, bytes] = {}
        self.prompts: list[dict[str, Any]] = []
        self.refusals: list[dict[str, Any]] = []
        self.outputs: dict[str, bytes] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}
        self.polls_before_done = polls_before_done
        self.deleted: list[str] = []
        self.interrupted: list[str] = []

    # ----------------------------------------------------------------------------------------------
    def handle(self, request: FakeHandler, method: str) -> None:
        parts = urlsplit(request.path)
        path = parts.path
        with self.lock:
            self.requests.append((method, path))
        if method == "GET" and path == "/object_info":
            request.send_json(200, self.object_info)
        elif method == "GET" and path == "/embeddings":
            request.send_json(200, self.embeddings)
        elif method == "POST" and path == "/upload/image":
            self._upload(request)
        elif method == "POST" and path == "/prompt":
            self._prompt(request)
        elif method == "GET" and path.startswith("/history/"):
            self._history(request, path.removeprefix("/history/"))
        elif method == "GET" and path == "/view":
            query = parse_qs(parts.query)
            data = self.outputs.get(query.get("filename", [""])[0])
            if data is None or query.get("type", ["output"])[0] != "output":
                request.send_bytes(404, b"404: Not Found", "text/plain")
            else:
                request.send_bytes(200, data, "image/png")
        elif method == "GET" and path == "/queue":
            request.send_json(200, self._queue())
        elif method == "POST" and path == "/queue":
            self.deleted += json.loads(request.body()).get("delete", [])
            request.send_json(200, {})
        elif method == "POST" and path == "/interrupt":
            self.interrupted.append(json.loads(request.body() or b"{}").get("prompt_id", ""))
            self.released.set()
            request.send_json(200, {})
        else:
            request.send_bytes(404, b"404: Not Found", "text/plain")

    def _queue(self) -> dict[str, Any]:
        """``GET /queue``: the unfinished prompts, running (or pending when stuck); a deletion only affects pending."""
        unfinished = [
            (number, prompt_id)
            for number, prompt_id in enumerate(self.history)
            if prompt_id not in self.interrupted
            and (self.failure in {"hang", "stuck"} or self.polls[prompt_id] <= self.polls_before_done)
        ]
        if self.failure == "stuck":
            pending = [
                [number, prompt_id, {}, {}, []] for number, prompt_id in unfinished if prompt_id not in self.deleted
            ]
            return {"queue_running": [], "queue_pending": pending}
        return {
            "queue_running": [[number, prompt_id, {}, {}, []] for number, prompt_id in unfinished],
            "queue_pending": [],
        }

    def _upload(self, request: FakeHandler) -> None:
        content_type = request.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body()
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            assert isinstance(name, str), name
            fields[name] = (part.get_filename(), part.get_payload(decode=True))
        if "image" not in fields or not fields["image"][0]:
            request.send_bytes(400, b"", "text/plain")
            return
        filename, data = fields["image"]
        image_of(data)  # a real server decodes it
        self.uploads[filename] = data
        request.send_json(200, {"name": filename, "subfolder": "", "type": "input"})

    # ----------------------------------------------------------------------------------------------
    def _prompt(self, request: FakeHandler) -> None:
        if self.failure == "500":
            request.send_bytes(500, b"500 Internal Server Error\n\nServer got itself in trouble", "text/plain")
            return
        try:
            body = json.loads(request.body())
        except ValueError:
            request.send_bytes(500, b"500 Internal Server Error", "text/plain")
            return
        graph = body.get("prompt") if isinstance(body, dict) else None
        answer = self.validate(graph)
        if answer is not None:
            self.refusals.append(answer)
            request.send_json(400, answer)
            return
        assert isinstance(graph, dict)
        prompt_id = str(uuid.uuid4())
        self.prompts.append(graph)
        self.polls[prompt_id] = 0
        self.history[prompt_id] = self._run(prompt_id, graph)
        request.send_json(200, {"prompt_id": prompt_id, "number": len(self.prompts), "node_errors": {}})

    def validate(self, graph: object) -> dict[str, Any] | None:
        """Return the 400 answer ComfyUI gives for `graph`, or None when it would queue it."""
        if not isinstance(graph, dict):
            return {"error": _error("no_prompt", "No prompt provided"), "node_errors": {}}
        for node_id, node in graph.items():
            class_type = node.get("class_type") if isinstance(node, dict) else None
            if class_type not in self.object_info:
                message = f"Cannot execute because node {class_type} does not exist."
                if class_type is None:
                    message = (
                        f"Cannot execute because a node is missing the class_type property.: Node ID '#{node_id}'"
                    )
                return {"error": _error("invalid_prompt", message), "node_errors": {}}
        if not any(self.object_info[node["class_type"]].get("output_node") for node in graph.values()):
            return {"error": _error("prompt_no_outputs", "Prompt has no outputs"), "node_errors": {}}
        node_errors: dict[str, Any] = {}
        for node_id, node in graph.items():
            errors = self._node_errors(graph, node)
            if errors:
                node_errors[node_id] = {"errors": errors, "dependent_outputs": [], "class_type": node["class_type"]}
        if not node_errors:
            return None
        return {
            "error": _error("prompt_outputs_failed_validation", "Prompt outputs failed validation"),
            "node_errors": node_errors,
        }

    def _node_errors(self, graph: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
        definition = self.object_info[node["class_type"]]["input"]
        declared = {**definition.get("required", {}), **definition.get("optional", {})}
        inputs = node.get("inputs", {})
        errors = [
            _error("fake_unknown_input", "Input not declared by the node", name, name, inputs[name])
            for name in inputs
            if name not in declared and name not in definition.get("hidden", {})
        ]
        for name, spec in declared.items():
            if name not in inputs:
                if name in definition.get("required", {}):
                    errors.append(_error("required_input_missing", "Required input is missing", name, name))
                continue
            error = self._input_error(graph, name, spec, inputs[name])
            if error is not None:
                errors.append(error)
        if node["class_type"] == "CLIPTextEncode" and isinstance(inputs.get("text"), str):
            # Stricter than ComfyUI (which warns and goes on): an embedding the server does not have is refused.
            errors.extend(
                _error("fake_unknown_embedding", "Embedding not found", name, "text", name)
                for name in _EMBEDDING.findall(inputs["text"])
                if name not in self.embeddings
            )
        if node["class_type"] in {"LoadImage", "LoadImageMask"} and inputs.get("image") not in self.uploads:
            errors.append(
                _error(
                    "custom_validation_failed",
                    "Custom validation failed for node",
                    "image",
                    "image",
                    inputs.get("image"),
                )
            )
        return errors

    def _input_error(  # noqa: PLR0911 - one return per kind of validation error, as ComfyUI has
        self, graph: dict[str, Any], name: str, spec: list[Any], value: Any
    ) -> dict[str, Any] | None:
        kind = spec[0]
        limits = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
        if isinstance(value, list):
            if len(value) != 2 or str(value[0]) not in graph:
                return _error(
                    "exception_during_inner_validation", "Exception when validating inner node", "", name, value
                )
            source = self.object_info[graph[str(value[0])]["class_type"]]
            outputs = source.get("output", [])
            if not isinstance(value[1], int) or not 0 <= value[1] < len(outputs):
                return _error(
                    "exception_during_inner_validation", "Exception when validating inner node", "", name, value
                )
            expected = "COMBO" if isinstance(kind, list) else kind
            if outputs[value[1]] != expected:
                return _error("return_type_mismatch", "Return type mismatch between linked nodes", "", name, value)
            return None
        if isinstance(kind, str) and kind in {"INT", "FLOAT"}:
            if isinstance(value, bool):
                return _error("invalid_input_type", "Failed to convert an input value", "", name, value)
            try:
                number = int(value) if kind == "INT" else float(value)
            except (TypeError, ValueError):
                return _error("invalid_input_type", "Failed to convert an input value", "", name, value)
            if "min" in limits and number < limits["min"]:
                return _error("value_smaller_than_min", "Value smaller than min", f"{name}", name, value)
            if "max" in limits and number > limits["max"]:
                return _error("value_bigger_than_max", "Value bigger than max", f"{name}", name, value)
            return None
        if kind == "STRING":
            return None if isinstance(value, str) else _error("invalid_input_type", "Not a string", "", name, value)
        if isinstance(kind, list) and not limits.get("image_upload") and value not in kind:
            # (LoadImage and LoadImageMask validate their file with their own check, below.)
            return _error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {kind}", name, value)
        return None

    # ----------------------------------------------------------------------------------------------
    def _run(self, prompt_id: str, graph: dict[str, Any]) -> dict[str, Any]:
        """Execute the graph symbolically: the history entry it will have."""
        messages: list[Any] = [["execution_start", {"prompt_id": prompt_id}]]
        failing: tuple[str, str, str] | None = None
        if self.failure == "oom":
            node_id = next(key for key, node in graph.items() if node["class_type"] == "KSampler")
            failing = (node_id, "KSampler", f"torch.OutOfMemoryError: {OOM_MESSAGE}")
        for node_id, node in graph.items():
            if node["class_type"] == "UpscaleModelLoader":
                options = self.object_info["UpscaleModelLoader"]["input"]["required"]["model_name"][1]["options"]
                if node["inputs"]["model_name"] not in options:
                    failing = (node_id, "UpscaleModelLoader", f"FileNotFoundError: {node['inputs']['model_name']}")
        if failing is not None:
            node_id, node_type, text = failing
            exception_type, _, exception_message = text.partition(": ")
            messages.append(
                [
                    "execution_error",
                    {
                        "prompt_id": prompt_id,
                        "node_id": node_id,
                        "node_type": node_type,
                        "exception_message": exception_message,
                        "exception_type": exception_type,
                        "traceback": ["..."],
                        "current_inputs": {},
                    },
                ]
            )
            return {
                "prompt": [],
                "outputs": {},
                "status": {"status_str": "error", "completed": False, "messages": messages},
            }
        outputs: dict[str, Any] = {}
        for node_id, node in graph.items():
            if node["class_type"] == "SaveImage":
                width, height, seed = self._evaluate(graph, node["inputs"]["images"])
                filename = f"horde_{len(self.outputs) + 1:05d}_.png"
                self.outputs[filename] = png(width, height, seed_colour(seed))
                outputs[node_id] = {"images": [{"filename": filename, "subfolder": "", "type": "output"}]}
        messages.append(["execution_success", {"prompt_id": prompt_id}])
        return {
            "prompt": [],
            "outputs": outputs,
            "status": {"status_str": "success", "completed": True, "messages": messages},
        }

    def _evaluate(self, graph: dict[str, Any], link: list[Any]) -> tuple[int, int, int]:
        """(width, height, seed) of the image or latent a link carries."""
        node = graph[str(link[0])]
        inputs = node["inputs"]
        kind = node["class_type"]
        if kind == "EmptyLatentImage":
            return int(inputs["width"]), int(inputs["height"]), 0
        if kind in {"LoadImage", "LoadImageMask"}:
            image = image_of(self.uploads[inputs["image"]])
            return image.width, image.height, 0
        if kind == "KSampler":
            width, height, _ = self._evaluate(graph, inputs["latent_image"])
            return width, height, int(inputs["seed"])
        if kind == "LatentUpscale":
            _, _, seed = self._evaluate(graph, inputs["samples"])
            return int(inputs["width"]), int(inputs["height"]), seed
        if kind == "ImageUpscaleWithModel":
            width, height, seed = self._evaluate(graph, inputs["image"])
            model = graph[str(inputs["upscale_model"][0])]["inputs"]["model_name"]
            match = _SCALE.search(model)
            factor = int(match.group(1) or match.group(2)) if match else 4
            return width * factor, height * factor, seed
        for name in ("samples", "pixels", "image", "images"):
            if name in inputs:
                return self._evaluate(graph, inputs[name])
        raise AssertionError(f"the fake cannot evaluate {kind}")

    def _history(self, request: FakeHandler, prompt_id: str) -> None:
        if self.failure == "drop":
            request.drop()
            return
        entry = self.history.get(prompt_id)
        if entry is None:
            request.send_json(200, {})
            return
        self.polls[prompt_id] += 1
        if self.failure in {"hang", "stuck"} or self.polls[prompt_id] <= self.polls_before_done:
            request.send_json(200, {})  # still queued or running
            return
        request.send_json(200, {prompt_id: entry})
