"""A canary API key must appear in no log record, repr or exception, through success, error and retry."""

from __future__ import annotations

import logging

import httpx
import pytest
import structlog

from horde_sdk.generic_api.core import RawResponse
from horde_sdk.generic_api.exceptions import HordeError
from horde_sdk.generic_api.generic_clients import GenericAsyncHordeAPISession, GenericHordeAPISession
from horde_sdk.generic_api.log import REDACTED, get_logger, redact_text
from horde_sdk.generic_api.settings import HordeClientSettings, RetryPolicy

CANARY = "canary-KEY-0f9e8d7c6b5a"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.001)

# POSTs echoing_handler has answered in this test (the first is refused with 503, the next with 401).
ECHO_POSTS = {"calls": 0}


def echoing_handler(request: httpx.Request) -> httpx.Response:
    """A hostile server: it echoes the key back in error messages and sends presigned URLs."""
    key = request.headers.get("apikey", "")
    if request.url.path.endswith("/heartbeat"):
        return httpx.Response(200, json={"message": f"hello {key} https://r2.example/x?X-Amz-Signature=zzz"})
    if request.method == "POST":
        ECHO_POSTS["calls"] += 1
        if ECHO_POSTS["calls"] == 1:
            return httpx.Response(503, json={"message": f"busy, key {key}", "rc": "Busy"})
        return httpx.Response(401, json={"message": f"Invalid API key {key}", "rc": "InvalidAPIKey"})
    return httpx.Response(400, json={"message": "bad", "errors": {"apikey": f"{key} is wrong"}})


def everything_in(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{record.getMessage()} {record.__dict__!r}" for record in records)


def test_canary_key_never_leaks_sync(api, client_kwargs, caplog):
    ECHO_POSTS["calls"] = 0
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    session = GenericHordeAPISession(
        http_client=httpx.Client(transport=httpx.MockTransport(echoing_handler)),
        api_key=CANARY,
        retry=FAST,
        **client_kwargs,
    )
    texts += [repr(session), repr(session.settings), str(session.settings)]
    with session:
        # The server echoes the key in its body; response *data* is the caller's own, but the SDK
        # must not copy it into logs.
        session.submit_request(api.HeartbeatRequest())
        with pytest.raises(HordeError) as post_error:
            session.submit_request(api.CreateJobRequest(prompt="x", apikey=CANARY))
        with pytest.raises(HordeError) as bad_request:
            session.submit_request(api.JobStatusRequest(id_="j"))
    for error in (post_error.value, bad_request.value):
        texts += [str(error), repr(error), repr(error.__dict__)]
    texts.append(repr(session.core.build(api.CreateJobRequest(prompt="x"))))
    texts.append(repr(api.CreateJobRequest(prompt="x", apikey=CANARY)))
    log_text = everything_in(caplog.records)
    assert "retrying request" in log_text  # the 503 was retried and logged
    assert "sending request" in log_text  # DEBUG records were produced
    assert CANARY not in log_text
    for text in texts:
        assert CANARY not in text


@pytest.mark.anyio
async def test_canary_key_never_leaks_async(api, client_kwargs, caplog):
    ECHO_POSTS["calls"] = 0
    caplog.set_level(logging.DEBUG)
    async with GenericAsyncHordeAPISession(
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(echoing_handler)),
        api_key=CANARY,
        retry=FAST,
        **client_kwargs,
    ) as session:
        with pytest.raises(HordeError) as caught:
            await session.submit_request(api.CreateJobRequest(prompt="x"))
    assert CANARY not in str(caught.value)
    assert CANARY not in everything_in(caplog.records)
    assert "retrying request" in everything_in(caplog.records)


def test_logger_redacts_sensitive_keys_secrets_and_url_queries(caplog):
    caplog.set_level(logging.INFO)
    log = get_logger("horde_sdk.tests.redaction", secrets=["s3cr3t"])
    log.info(
        "event with s3cr3t",
        apikey="anything",
        url="https://bucket.example/img.webp?X-Amz-Credential=abc&X-Amz-Signature=def",
        nested={"Authorization": "Bearer x", "list": ["s3cr3t"]},
    )
    (record,) = caplog.records
    text = everything_in([record])
    assert "s3cr3t" not in text
    assert "X-Amz-Signature" not in text
    assert "Bearer x" not in text
    assert record.apikey == REDACTED
    assert record.url == f"https://bucket.example/img.webp?{REDACTED}"


def test_library_logging_configures_nothing_globally(api):
    root_handlers = list(logging.getLogger().handlers)
    log = get_logger("horde_sdk.tests.global")
    log.warning("hello")
    assert not structlog.is_configured()
    assert logging.getLogger().handlers == root_handlers


def test_redact_text_keeps_urls_without_queries():
    assert redact_text("see https://aihorde.net/api/v2/status") == "see https://aihorde.net/api/v2/status"
    assert redact_text("k=abc", ["abc"]) == f"k={REDACTED}"


def test_settings_repr_hides_the_key():
    settings = HordeClientSettings(api_key=CANARY)
    assert CANARY not in repr(settings)


def test_httpx_own_log_never_shows_a_presigned_query(caplog, client_kwargs):
    from horde_sdk.generic_api.generic_clients import GenericHordeAPIManualClient

    caplog.set_level(logging.DEBUG)
    presigned = "https://r2.example.invalid/bucket/img.webp?X-Amz-Credential=abc&X-Amz-Signature=sig-canary-77"
    http_client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=b"RIFF")))
    with GenericHordeAPIManualClient(http_client=http_client, **client_kwargs) as client:
        outcome = client.transport.send_raw("GET", presigned)
    assert isinstance(outcome, RawResponse), outcome
    assert outcome.status_code == 200
    httpx_records = [record for record in caplog.records if record.name == "httpx"]
    assert httpx_records, "httpx logs each request at INFO"
    assert "sig-canary-77" not in everything_in(caplog.records)
    assert "https://r2.example.invalid/bucket/img.webp?<redacted>" in httpx_records[0].getMessage()
    # Only a filter was added: no handler, no level change.
    assert logging.getLogger("httpx").handlers == []
