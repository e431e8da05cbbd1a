"""The transport's bounded body decoder: every step is at most DECODE_STEP bytes, and what it accepts decodes right.

The transports use it on the raw stream of every answer (tests-integration/hostile/test_hostile_compression.py
serves bombs and broken bodies to each of them); these tests pin the decoder itself, without a network.
"""

from __future__ import annotations

import gzip
import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from horde_sdk.generic_api._content_decoding import (
    DECODE_STEP,
    MAX_ENCODINGS,
    BodyDecoder,
    ContentDecodingError,
)

ZEROS = 8 * 1024 * 1024


def _raw_deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return squeezer.compress(data) + squeezer.flush()


def _bad_crc(member: bytes) -> bytes:
    """The gzip member with its CRC-32 (the trailer's first four bytes) changed."""
    return member[:-8] + bytes([member[-8] ^ 0xFF]) + member[-7:]


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "identity": lambda data: data,
}


def _decode(encoding: str | None, data: bytes, chunk: int = 4096) -> list[bytes]:
    decoder = BodyDecoder(encoding)
    pieces = [
        piece for offset in range(0, len(data), chunk) for piece in decoder.decode(data[offset : offset + chunk])
    ]
    decoder.finish()
    return pieces


def test_a_bomb_comes_out_one_bounded_step_at_a_time():
    # 8 MiB of zeros gzipped twice is a few hundred bytes: one chunk. Whole-chunk decoding made it 8 MiB at once.
    bomb = gzip.compress(gzip.compress(bytes(ZEROS), 9), 9)
    assert len(bomb) < 1024
    decoder = BodyDecoder("gzip, gzip")
    sizes = []
    for piece in decoder.decode(bomb):
        sizes.append(len(piece))
        if sum(sizes) > 2 * DECODE_STEP:
            break  # what the transport does at its cap: it stops pulling pieces
    assert max(sizes) <= DECODE_STEP
    assert sum(sizes) <= 3 * DECODE_STEP


def test_every_byte_comes_out_when_steps_end_exactly_on_a_full_step():
    # A full step can leave output inside zlib with no input left; it must still come out.
    data = bytes(DECODE_STEP * 3)
    pieces = _decode("gzip", gzip.compress(data), chunk=len(data))
    assert b"".join(pieces) == data
    assert [len(piece) for piece in pieces] == [DECODE_STEP] * 3


@pytest.mark.parametrize(
    ("encoding", "body", "expected"),
    [
        pytest.param("deflate", zlib.compress(b"zlib-wrapped"), b"zlib-wrapped", id="zlib"),
        pytest.param("deflate", _raw_deflate(b"raw deflate"), b"raw deflate", id="raw"),
        pytest.param("GZip", gzip.compress(b"any case"), b"any case", id="case"),
        pytest.param("gzip", gzip.compress(b"two ") + gzip.compress(b"members"), b"two members", id="gzip-members"),
        pytest.param("deflate, gzip", gzip.compress(zlib.compress(b"chained")), b"chained", id="chain"),
        pytest.param("identity, gzip", gzip.compress(b"identity skipped"), b"identity skipped", id="identity"),
    ],
)
def test_what_servers_send_decodes(encoding, body, expected):
    # One byte at a time: deflate's two-byte header (zlib or raw?) spans two chunks.
    assert b"".join(_decode(encoding, body, chunk=1)) == expected


@pytest.mark.parametrize("encoding", [None, "", "identity", "gzip", "deflate", "gzip, deflate"])
def test_an_empty_body_is_empty_whatever_its_encoding(encoding):
    # HEAD answers, 204 and 304 carry Content-Encoding without a body.
    assert _decode(encoding, b"") == []


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        pytest.param("gzip", gzip.compress(b"x" * 1000)[:-4], "gzip response body is truncated", id="gzip-cut"),
        pytest.param("gzip", b"\x1f\x8b\x08\x00" + bytes(30), "gzip response body is corrupt", id="gzip-bad"),
        pytest.param("gzip", _bad_crc(gzip.compress(b"x")), "corrupt", id="gzip-checksum"),
        pytest.param("gzip", gzip.compress(b"x") + b"trailing", "corrupt", id="gzip-trailing"),
        pytest.param(
            "deflate", zlib.compress(b"x" * 1000)[:-2], "deflate response body is truncated", id="deflate-cut"
        ),
        pytest.param("deflate", b"\x78", "deflate response body is truncated", id="deflate-one-byte"),
        pytest.param("deflate", zlib.compress(b"x") + b"!", "after the end of its stream", id="deflate-trailing"),
    ],
)
def test_broken_data_is_a_content_decoding_error(encoding, body, message):
    with pytest.raises(ContentDecodingError, match=message) as caught:
        _decode(encoding, body)
    assert caught.value.__cause__ is None  # no zlib.error chained: the message says it all
    assert "x" * 10 not in str(caught.value)  # no body content in the message


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br", "a" * 500])
def test_an_encoding_not_asked_for_is_refused_before_any_byte(encoding):
    with pytest.raises(ContentDecodingError, match="decodes gzip and deflate only") as caught:
        BodyDecoder(encoding)
    assert len(str(caught.value)) < 120  # a hostile header is not echoed whole


def test_a_long_chain_of_encodings_is_refused():
    with pytest.raises(ContentDecodingError, match=f"at most {MAX_ENCODINGS}"):
        BodyDecoder(", ".join(["gzip"] * (MAX_ENCODINGS + 1)))


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000) | st.integers(0, 200_000).map(os.urandom),
    encodings=st.lists(st.sampled_from(sorted(ENCODERS)), max_size=MAX_ENCODINGS),
    chunk=st.integers(1, 70_000),
)
def test_any_body_round_trips_in_any_chunking(data, encodings, chunk):
    body = data
    for name in encodings:  # applied in header order; the decoder undoes the last first
        body = ENCODERS[name](body)
    pieces = _decode(", ".join(encodings), body, chunk=chunk)
    assert b"".join(pieces) == data
    if any(name != "identity" for name in encodings):
        assert all(len(piece) <= DECODE_STEP for piece in pieces)
