"""The manual clients and the client sessions, sync and async, against the local horde with a scripted worker.

Over real loopback HTTP (``horde``) and in-process through ``httpx.ASGITransport`` (``asgi_horde``).
"""

from __future__ import annotations

import base64

import anyio
import pytest
from horde_local import Behaviour, ManualClock, fake_image
from horde_local.testing import HordeEnv, test_config

from horde_sdk.ai_horde_api.apimodels import (
    AlchemyAsyncRequest,
    AlchemyAsyncResponse,
    AlchemyStatusRequest,
    AlchemyStatusResponse,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateStatusRequest,
    ImageGenerateStatusResponse,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateStatusRequest,
    TextGenerateStatusResponse,
)
from horde_sdk.ai_horde_api.exceptions import HordeNotFoundError

SOURCE = base64.b64encode(b"a source image").decode()


def _alchemy() -> AlchemyAsyncRequest:
    return AlchemyAsyncRequest.model_validate(
        {"source_image": SOURCE, "forms": [{"name": "caption"}, {"name": "RealESRGAN_x2plus"}]}
    )


class BoomError(Exception):
    pass


# ------------------------------------------------------------------------------------------------- sync
def test_sync_manual_client_image_text_alchemy(horde: HordeEnv) -> None:
    client = horde.client()
    image = client.submit_request(ImageGenerateAsyncRequest(prompt="sync image"), ImageGenerateAsyncResponse)
    assert image.id_ is not None
    text = client.submit_request(TextGenerateAsyncRequest(prompt="sync text"), TextGenerateAsyncResponse)
    assert text.id_ is not None
    alchemy = client.submit_request(_alchemy(), AlchemyAsyncResponse)
    assert alchemy.id_ is not None
    assert horde.worker("img").work_image() == 1
    assert horde.worker("txt", models=("koboldcpp/tiny",)).work_text() == 1
    assert horde.worker("alc", amount=2).work_alchemy() == 2
    assert client.submit_request(ImageGenerateCheckRequest(id_=image.id_), ImageGenerateCheckResponse).done
    status = client.submit_request(ImageGenerateStatusRequest(id_=image.id_), ImageGenerateStatusResponse)
    assert status.generations
    assert status.generations[0].img
    assert client.transport.send_raw("GET", status.generations[0].img).content.startswith(b"RIFF")  # type: ignore[union-attr]  # send_raw may answer a TransportFailure; a loopback fetch answers bytes
    assert client.submit_request(TextGenerateStatusRequest(id_=text.id_), TextGenerateStatusResponse).done
    assert client.submit_request(AlchemyStatusRequest(id_=alchemy.id_), AlchemyStatusResponse).is_done()


def test_sync_session_cancels_every_kind_it_left_unfinished(horde: HordeEnv) -> None:
    def abandon() -> tuple[str | None, ...]:
        with horde.session() as session:
            image = session.submit_request(ImageGenerateAsyncRequest(prompt="abandoned"), ImageGenerateAsyncResponse)
            assert image.id_ is not None
            text = session.submit_request(TextGenerateAsyncRequest(prompt="abandoned"), TextGenerateAsyncResponse)
            assert text.id_ is not None
            alchemy = session.submit_request(_alchemy(), AlchemyAsyncResponse)
            assert alchemy.id_ is not None
            assert len(session.pending_follow_up_keys) == 3
            raise BoomError(image.id_, text.id_, alchemy.id_)

    with pytest.raises(BoomError) as raised:
        abandon()
    image_id, text_id, alchemy_id = raised.value.args
    requests = horde.horde.state.requests
    assert requests[image_id].cancelled
    assert requests[text_id].cancelled
    assert requests[alchemy_id].cancelled
    assert not horde.horde.open_requests()


def test_sync_session_does_not_cancel_what_finished(horde: HordeEnv) -> None:
    with horde.session() as session:
        accepted = session.submit_request(ImageGenerateAsyncRequest(prompt="finished"), ImageGenerateAsyncResponse)
        assert accepted.id_ is not None
        horde.worker().work_image()
        assert session.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse).done
        assert session.pending_follow_up_keys == ()
    assert not horde.horde.state.requests[accepted.id_ or ""].cancelled


def test_faulted_job_is_reported_to_the_client(horde: HordeEnv) -> None:
    client = horde.client()
    accepted = client.submit_request(ImageGenerateAsyncRequest(prompt="cursed"), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    worker = horde.worker(behaviour=Behaviour.faulted)
    while worker.work_image():
        pass
    check = client.submit_request(ImageGenerateCheckRequest(id_=accepted.id_), ImageGenerateCheckResponse)
    assert check.faulted
    assert not check.done
    assert check.restarted == 4


def test_expired_request_is_a_typed_not_found(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(), clock)
    client = horde.client()
    accepted = client.submit_request(ImageGenerateAsyncRequest(prompt="forgotten"), ImageGenerateAsyncResponse)
    assert accepted.id_ is not None
    clock.advance(20 * 60 + 1)
    with pytest.raises(HordeNotFoundError):
        client.submit_request(ImageGenerateStatusRequest(id_=accepted.id_), ImageGenerateStatusResponse)
    # A session treats a request already gone as settled: leaving it tries the cancel once, gets the 404 and
    # raises nothing.
    with horde.session() as session:
        session.submit_request(ImageGenerateAsyncRequest(prompt="also forgotten"))
        clock.advance(20 * 60 + 1)
        horde.horde.recorded = []
    answers = [(method, status) for method, _, status, _ in horde.horde.recorded]
    assert answers == [("DELETE", 404)]
    assert horde.horde.open_requests() == []


# ------------------------------------------------------------------------------------------------ async
async def _image_text_alchemy_round(env: HordeEnv) -> None:
    async with env.async_client() as client, env.async_client("worker") as worker_client:
        image = await client.submit_request(
            ImageGenerateAsyncRequest(prompt="async image", r2=False), ImageGenerateAsyncResponse
        )
        assert image.id_ is not None
        text = await client.submit_request(TextGenerateAsyncRequest(prompt="async text"), TextGenerateAsyncResponse)
        assert text.id_ is not None
        alchemy = await client.submit_request(_alchemy(), AlchemyAsyncResponse)
        assert alchemy.id_ is not None
        assert await env.async_worker(worker_client, "img").work_image() == 1
        assert await env.async_worker(worker_client, "txt", models=("koboldcpp/tiny",)).work_text() == 1
        assert await env.async_worker(worker_client, "alc", amount=2).work_alchemy() == 2
        status = await client.submit_request(ImageGenerateStatusRequest(id_=image.id_), ImageGenerateStatusResponse)
        assert status.generations
        assert status.generations[0].img
        assert base64.b64decode(status.generations[0].img) == fake_image(status.generations[0].id_ or "")
        assert (await client.submit_request(TextGenerateStatusRequest(id_=text.id_), TextGenerateStatusResponse)).done
        alchemy_status = await client.submit_request(AlchemyStatusRequest(id_=alchemy.id_), AlchemyStatusResponse)
        upscaled = await client.transport.send_raw("GET", alchemy_status.get_results()["RealESRGAN_x2plus"])
        assert upscaled.content.startswith(b"RIFF")  # type: ignore[union-attr]  # send_raw may answer a TransportFailure; a loopback fetch answers bytes


@pytest.mark.anyio
async def test_async_manual_client_over_loopback_http(horde: HordeEnv) -> None:
    await _image_text_alchemy_round(horde)


@pytest.mark.anyio
async def test_async_manual_client_in_process_asgi(asgi_horde: HordeEnv) -> None:
    await _image_text_alchemy_round(asgi_horde)


async def _session_cancelled_by_task_cancellation(env: HordeEnv) -> list[str]:
    started: list[str] = []
    submitted = anyio.Event()

    async def run() -> None:
        async with env.async_session() as session:
            for kind in ("image", "text", "alchemy"):
                request = {
                    "image": ImageGenerateAsyncRequest(prompt="cancelled by the task"),
                    "text": TextGenerateAsyncRequest(prompt="cancelled by the task"),
                    "alchemy": _alchemy(),
                }[kind]
                answer = await session.submit_request(request)
                started.append(answer.id_)  # type: ignore[attr-defined]  # the three kinds answer different async responses, each with id_
            submitted.set()
            await anyio.sleep_forever()

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await submitted.wait()
        group.cancel_scope.cancel()
    return started


@pytest.mark.anyio
async def test_async_session_cleans_up_when_its_task_is_cancelled(horde: HordeEnv) -> None:
    await _assert_task_cancellation_cancels_every_kind(horde)


@pytest.mark.anyio
async def test_async_session_cleanup_in_process_asgi(asgi_horde: HordeEnv) -> None:
    await _assert_task_cancellation_cancels_every_kind(asgi_horde)


async def _assert_task_cancellation_cancels_every_kind(env: HordeEnv) -> None:
    started = await _session_cancelled_by_task_cancellation(env)
    assert len(started) == 3  # an image, a text and an alchemy request were created
    assert [env.horde.state.requests[request_id].cancelled for request_id in started] == [True, True, True]
    assert not env.horde.open_requests()
