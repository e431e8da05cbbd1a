"""A scripted fake AI Horde for ``httpx.MockTransport``: async/check/status/delete for images, texts and alchemy.

Each job follows a :class:`Script` (how many polls until done, faults, ``is_possible``, warnings, 429s...). The
fake counts every call per endpoint and per job id, with the time of the fake clock, so tests can assert
polling behaviour, and it behaves as BEHAVIOUR.md says: image cancel answers the status from before and the
next check says done; a cancelled text request keeps saying ``done: false``; cancelled alchemy forms become
``cancelled`` and the request ``partial``. Result images are served from presigned-looking R2 URLs.

Loaded by the test modules with :func:`load` (the test directory is not a package).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

R2_HOST = "r2.example.invalid"
R2_SECRET = "X-Amz-Signature=topsecret"
WORKER_ID = "00000000-0000-4000-8000-00000000beef"


TINY_WEBP = (
    b'RIFF\x1e\x00\x00\x00WEBPVP8L\x11\x00\x00\x00/\x00\x00\x00\x00\x07P\x8f"\x17\xa5\xff\x81\x88\xe8\x7f\x00\x00'
)
"""A lossless 1x1 WebP image (38 bytes)."""


@dataclass
class Script:
    """How one job behaves.

    Attributes:
        polls_until_done: Polls (check for images, status for text/alchemy) answering not done before done.
        finished_per_poll: Generations that finish with each poll (images/text), until n.
        fault_at_poll: The poll that reports ``faulted`` (None: never).
        impossible: ``is_possible: false`` on every poll.
        warnings: Warning codes of the async answer.
        wait_time: The ``wait_time`` every poll reports (images/text).
        queue_position: The ``queue_position`` of polls while waiting.
        r2: Deliver images as R2 URLs (else base64).
        download_failures: How many times each R2 GET fails with 503 before succeeding.
        download_status: A permanent status for R2 GETs (e.g. 403).
        rate_limit_check_once: The first check/status poll answers 429 with ``Retry-After``.
        retry_after: The ``Retry-After`` of that 429.
        text_form_results: Alchemy ``nsfw`` and ``interrogation`` results as JSON text, as older workers submitted
            them (the server hands back whatever a worker sent).
    """

    polls_until_done: int = 2
    finished_per_poll: int = 0
    fault_at_poll: int | None = None
    impossible: bool = False
    warnings: tuple[str, ...] = ()
    wait_time: int = 5
    queue_position: int = 3
    r2: bool = True
    download_failures: int = 0
    download_status: int | None = None
    rate_limit_check_once: bool = False
    retry_after: str = "1"
    text_form_results: bool = False


@dataclass
class Job:
    kind: str
    job_id: str
    script: Script
    n: int
    forms: list[str] = field(default_factory=list)
    polls: int = 0
    cancelled: bool = False
    collected: bool = False
    rate_limited: bool = False
    finished: int = 0

    @property
    def done(self) -> bool:
        return self.polls >= self.script.polls_until_done and self.script.fault_at_poll is None

    @property
    def open_on_server(self) -> bool:
        """Still waiting on the server: neither finished nor cancelled."""
        return not self.cancelled and not self.done


_ASYNC = {
    "/api/v2/generate/async": "image",
    "/api/v2/generate/text/async": "text",
    "/api/v2/interrogate/async": "alchemy",
}
_JOB_ROUTE = re.compile(r"^/api/v2/(generate/check|generate/status|generate/text/status|interrogate/status)/([^/]+)$")


class FakeHorde:
    """The fake server: call it with an ``httpx.Request``.

    Args:
        script: A Script for every job, or a function of (kind, index) returning one.
        clock: The clock calls are stamped with (a fake clock in sync tests).
    """

    def __init__(
        self, script: Script | Callable[[str, int], Script] | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self._script = script or Script()
        self._clock = clock or (lambda: 0.0)
        self.jobs: dict[str, Job] = {}
        self.calls: Counter[tuple[str, str, str]] = Counter()
        self.log: list[tuple[float, str, str, str]] = []
        self.requests: list[httpx.Request] = []
        self.downloads: Counter[str] = Counter()
        self.extra_routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}

    # ------------------------------------------------------------------------------------ queries
    def open_jobs(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.open_on_server]

    def count(self, method: str, route: str, job_id: str | None = None) -> int:
        return sum(
            value
            for (m, r, i), value in self.calls.items()
            if m == method and r == route and (job_id is None or i == job_id)
        )

    def times(self, method: str, route: str, job_id: str) -> list[float]:
        return [t for t, m, r, i in self.log if (m, r, i) == (method, route, job_id)]

    def total_requests(self, job_id: str) -> int:
        """Every API request about one job, its submission included (downloads not counted)."""
        return sum(value for (_, _, i), value in self.calls.items() if i == job_id)

    # ------------------------------------------------------------------------------------ serving
    def _script_for(self, kind: str) -> Script:
        if callable(self._script):
            return self._script(kind, sum(1 for job in self.jobs.values() if job.kind == kind))
        return self._script

    def _record(self, method: str, route: str, job_id: str) -> None:
        self.calls[(method, route, job_id)] += 1
        self.log.append((self._clock(), method, route, job_id))

    def __call__(self, request: httpx.Request) -> httpx.Response:  # noqa: PLR0911 - one return per route
        self.requests.append(request)
        if request.url.host == R2_HOST:
            return self._download(request)
        path = request.url.path
        route_handler = self.extra_routes.get((request.method, path))
        if route_handler is not None:
            self._record(request.method, path, "")
            return route_handler(request)
        if request.method == "POST" and path in _ASYNC:
            return self._submit(_ASYNC[path], request)
        match = _JOB_ROUTE.match(path)
        if match is None:
            return httpx.Response(404, json={"message": f"no route {path}", "rc": "NotFound"})
        route, job_id = match.groups()
        self._record(request.method, route, job_id)
        job = self.jobs.get(job_id)
        if job is None:
            return httpx.Response(404, json={"message": "request not found", "rc": "RequestNotFound"})
        if request.method == "DELETE":
            return self._cancel(job)
        if route == "generate/check":
            return self._poll(job, with_results=False)
        if route == "generate/status":
            assert job.done or job.cancelled, "image status fetched before check said done"
            job.collected = True
            return httpx.Response(200, json=self._image_status(job))
        return self._poll(job, with_results=True)

    def _submit(self, kind: str, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("dry_run"):
            self._record("POST", f"{kind}/async", "dry_run")
            return httpx.Response(200, json={"kudos": 12.5})
        job_id = f"00000000-0000-4000-8000-{len(self.jobs) + 1:012d}"
        script = self._script_for(kind)
        n = int((body.get("params") or {}).get("n") or 1)
        forms = [form["name"] for form in body.get("forms") or ()]
        job = Job(kind=kind, job_id=job_id, script=script, n=n if kind != "alchemy" else len(forms), forms=forms)
        self.jobs[job_id] = job
        self._record("POST", f"{kind}/async", job_id)
        answer: dict[str, Any] = {"id": job_id}
        if kind != "alchemy":
            answer["kudos"] = 10.0
            if script.warnings:
                answer["warnings"] = [{"code": code, "message": f"warning {code}"} for code in script.warnings]
        return httpx.Response(202, json=answer)

    def _poll(self, job: Job, *, with_results: bool) -> httpx.Response:
        script = job.script
        if script.rate_limit_check_once and not job.rate_limited:
            job.rate_limited = True
            return httpx.Response(429, headers={"Retry-After": script.retry_after}, json={"message": "slow down"})
        if not job.cancelled:
            job.polls += 1
            job.finished = job.n if job.done else min(job.n, job.finished + script.finished_per_poll)
        if job.kind == "alchemy":
            return httpx.Response(200, json=self._alchemy_status(job))
        body = self._progress(job)
        if with_results:
            body["generations"] = self._texts(job)
        return httpx.Response(200, json=body)

    def _progress(self, job: Job) -> dict[str, Any]:
        script = job.script
        faulted = script.fault_at_poll is not None and job.polls >= script.fault_at_poll
        done = job.done or (job.cancelled and job.kind == "image")
        return {
            "finished": job.finished,
            "processing": 0 if done else (1 if job.polls > 1 else 0),
            "restarted": 0,
            "waiting": 0 if done else job.n - job.finished,
            "done": done,
            "faulted": faulted,
            "wait_time": 0 if done else script.wait_time,
            "queue_position": 0 if done or job.polls > 1 else script.queue_position,
            "kudos": 10.0 if done else 0.0,
            "is_possible": not script.impossible,
        }

    def _image_status(self, job: Job) -> dict[str, Any]:
        generations = []
        for index in range(job.finished):
            image = (
                f"https://{R2_HOST}/{job.job_id}/{index}.webp?{R2_SECRET}"
                if job.script.r2
                else base64.b64encode(self.image_bytes(job.job_id, index)).decode()
            )
            generations.append(
                {
                    "img": image,
                    "seed": str(1000 + index),
                    "id": f"00000000-0000-4000-9000-{index:012d}",
                    "censored": False,
                    "worker_id": WORKER_ID,
                    "worker_name": "fake worker",
                    "model": "fake-model",
                    "state": "ok",
                    "gen_metadata": [],
                }
            )
        return {**self._progress(job), "generations": generations, "shared": False}

    def _texts(self, job: Job) -> list[dict[str, Any]]:
        return [
            {
                "text": f"text {index} of {job.job_id[-4:]}",
                "seed": index,
                "worker_id": WORKER_ID,
                "worker_name": "fake worker",
                "model": "fake-llm",
                "state": "ok",
                "gen_metadata": [],
            }
            for index in range(job.finished)
        ]

    def _alchemy_status(self, job: Job) -> dict[str, Any]:
        script = job.script
        faulted = script.fault_at_poll is not None and job.polls >= script.fault_at_poll
        forms = []
        for index, name in enumerate(job.forms):
            if job.done and not job.cancelled:
                state = "done"
            elif job.cancelled:
                state = "cancelled"
            elif faulted and index == 0:
                state = "faulted"
            else:
                state = "processing" if job.polls > 1 else "waiting"
            form: dict[str, Any] = {"form": name, "state": state}
            if state == "done":
                form["result"] = {name: self._form_result(job, name)}
            forms.append(form)
        overall = "done" if job.done and not job.cancelled else ("partial" if job.cancelled else "processing")
        return {"state": overall, "forms": forms}

    @staticmethod
    def _form_result(job: Job, name: str) -> Any:
        if name == "caption":
            return "a lighthouse at dusk"
        if name == "nsfw":
            return "false" if job.script.text_form_results else False
        if name == "interrogation":
            terms = {"tags": [{"text": "lighthouse", "confidence": 0.9}]}
            return json.dumps(terms) if job.script.text_form_results else terms
        return f"https://{R2_HOST}/{job.job_id}/{name}.webp?{R2_SECRET}"

    def _cancel(self, job: Job) -> httpx.Response:
        if job.kind == "image":
            before = self._image_status(job)
            job.cancelled = True
            return httpx.Response(200, json=before)
        job.cancelled = True
        if job.kind == "text":
            body = self._progress(job)
            body["done"] = False  # a cancelled text request keeps saying done: false
            body["generations"] = self._texts(job)
            return httpx.Response(200, json=body)
        return httpx.Response(200, json=self._alchemy_status(job))

    @staticmethod
    def image_bytes(job_id: str, index: int | str) -> bytes:
        # A real 1x1 WebP (clients check what they download), told apart by bytes after its RIFF chunk.
        return TINY_WEBP + f"-{job_id}-{index}".encode()

    def _download(self, request: httpx.Request) -> httpx.Response:
        assert "apikey" not in request.headers, "an API key was sent to a presigned URL"
        _, job_id, name = request.url.path.split("/")
        job = self.jobs[job_id]
        self.downloads[request.url.path] += 1
        if job.script.download_status is not None:
            return httpx.Response(job.script.download_status, text="denied")
        if self.downloads[request.url.path] <= job.script.download_failures:
            return httpx.Response(503, text="busy")
        index = name.removesuffix(".webp")
        return httpx.Response(200, content=self.image_bytes(job_id, index))


class FakeClock:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
