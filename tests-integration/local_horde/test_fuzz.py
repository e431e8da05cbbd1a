"""Malformed and hostile input never crashes or hangs the local horde: every answer is < 500, and every 4xx
carries a JSON ``message`` that says what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from horde_local.testing import KEYS, HordeEnv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROUTES = [
    ("POST", "/v2/generate/async"),
    ("POST", "/v2/generate/text/async"),
    ("POST", "/v2/interrogate/async"),
    ("POST", "/v2/generate/pop"),
    ("POST", "/v2/generate/submit"),
    ("POST", "/v2/generate/text/pop"),
    ("POST", "/v2/generate/text/submit"),
    ("POST", "/v2/interrogate/pop"),
    ("POST", "/v2/interrogate/submit"),
    ("GET", "/v2/generate/check/{id}"),
    ("GET", "/v2/generate/status/{id}"),
    ("DELETE", "/v2/generate/status/{id}"),
    ("GET", "/v2/generate/text/status/{id}"),
    ("DELETE", "/v2/interrogate/status/{id}"),
    ("GET", "/v2/workers/{id}"),
    ("GET", "/v2/users/{id}"),
    ("GET", "/v2/find_user"),
    ("GET", "/v2/status/models"),
    ("PUT", "/v2/generate/async"),
    ("PATCH", "/v2/nowhere/{id}"),
]
FIELDS = [
    "prompt",
    "params",
    "n",
    "steps",
    "width",
    "models",
    "name",
    "id",
    "seed",
    "generation",
    "state",
    "forms",
    "source_image",
    "result",
    "amount",
    "max_pixels",
    "r2",
    "dry_run",
    "workers",
    "payload",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)
keys = st.sampled_from([None, KEYS["alice"].key, KEYS["worker"].key, "0000000000", "not-a-key", ""])
ids = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"), min_size=1, max_size=40
)


@pytest.fixture
def http(horde: HordeEnv) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=horde.base_url, timeout=10.0) as client:
        yield client


def assert_clear_answer(answer: httpx.Response) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        body: Any = answer.json()
        assert isinstance(body, dict), body
        assert isinstance(body.get("message"), str), body
        assert body["message"], body


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    body=bodies,
    apikey=keys,
    path_id=ids,
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", None]),
)
def test_random_input_gets_clear_client_errors(  # noqa: PLR0917 - hypothesis passes the drawn values by position
    http: httpx.Client, route: tuple[str, str], body: bytes, apikey: str | None, path_id: str, content_type: str | None
) -> None:
    method, template = route
    headers = {} if apikey is None else {"apikey": apikey}
    if content_type is not None:
        headers["Content-Type"] = content_type
    path = template.replace("{id}", quote(path_id, safe=""))
    answer = http.request(method, path, content=body if method != "GET" else None, headers=headers)
    assert_clear_answer(answer)


ALICE = {"apikey": KEYS["alice"].key, "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "status", "hint"),
    [
        (b"{" * 1, 400, "JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, ""),
        (b'{"prompt": "\xff\xfe"}', 400, ""),
        (b'{"prompt": "x", "params": {"n": -1}}', 400, ""),
        (b'{"prompt": "x", "params": {"n": 1000000}}', 400, ""),
        (b'{"prompt": "x", "params": {"steps": ' + b"9" * 5000 + b"}}", 400, ""),
        (b'{"prompt": "x", "params": {"cfg_scale": NaN}}', 400, "NaN"),
        (b'{"prompt": 12}', 400, ""),
        (b"[1, 2, 3]", 400, ""),
        (b"null", 400, ""),
        (b"", 400, ""),
        (b'{"prompt": "x", "unexpected": true}', 400, ""),
    ],
)
def test_hostile_bodies(http: httpx.Client, body: bytes, status: int, hint: str) -> None:
    answer = http.post("/v2/generate/async", content=body, headers=ALICE)
    assert answer.status_code == status, answer.text[:300]
    assert_clear_answer(answer)
    assert hint in answer.json()["message"]


def test_deeply_nested_but_parseable_json_is_refused(http: httpx.Client) -> None:
    nested: Any = "leaf"
    for _ in range(500):
        nested = {"k": nested}
    answer = http.post("/v2/generate/async", json={"prompt": "x", "params": {"special": {"s": nested}}}, headers=ALICE)
    assert answer.status_code == 400
    assert "deeper" in answer.json()["message"]


def test_validation_failures_name_the_fields(http: httpx.Client) -> None:
    answer = http.post("/v2/generate/async", json={"prompt": "x", "params": {"n": -1, "width": "wide"}}, headers=ALICE)
    body = answer.json()
    assert answer.status_code == 400
    assert body["message"] == "Input payload validation failed"
    assert set(body["errors"]) == {"params.n", "params.width"}
    assert "rc" not in body


def test_huge_bodies_are_refused_with_413(http: httpx.Client) -> None:
    huge = b'{"prompt": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    assert http.post("/v2/generate/async", content=huge, headers=ALICE).status_code == 413

    def stream() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        yield b'{"prompt": "'
        for _ in range(11):
            yield b"a" * (1024 * 1024)
        yield b'"}'

    answer = http.post("/v2/generate/async", content=stream(), headers=ALICE)
    assert answer.status_code == 413
    assert_clear_answer(answer)


def test_wrong_content_type_routes_methods_and_signatures(http: httpx.Client, horde: HordeEnv) -> None:
    answer = http.post("/v2/generate/async", content=b"prompt=x", headers={**ALICE, "Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert_clear_answer(answer)
    assert http.get("/v2/nowhere").status_code == 404
    wrong = http.put("/v2/generate/async", json={})
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"
    root = horde.base_url.removesuffix("/api")
    for url in (
        f"{root}/r2/00000000-0000-4000-8000-000000000000.webp?X-Amz-Signature=forged",
        f"{root}/r2/00000000-0000-4000-8000-000000000000.webp",
        f"{root}/r2/../../etc/passwd",
    ):
        assert_clear_answer(http.get(url))
        assert_clear_answer(http.put(url, content=b"x"))
    assert http.get("/v2/users/not-a-number").status_code == 404
    assert http.get("/v2/users?page=-1").status_code == 400
    assert http.get("/v2/find_user", headers={"apikey": "k" * 8000}).status_code == 404
