"""Content decoding of response bodies, each step bounded in output (private: the transport's helper).

HTTP libraries decode a compressed chunk whole: 10 KiB of gzip can hold 10 MiB of zeros, so a body cap
checked on decoded chunks lets one small chunk (a "gzip bomb") fill memory before the check runs. The
transport therefore reads the raw (still encoded) stream and decodes it here, where every call of a
decompressor returns at most :data:`DECODE_STEP` bytes. The transport checks its cap before appending
each such piece, so a body in memory never passes the cap, and what is decoded beyond it is at most one
step per encoding.

Supported: ``gzip`` (also ``x-gzip``, several members one after the other), ``deflate`` (zlib-wrapped as
RFC 9110 says, or raw deflate as some servers send it, told apart by the zlib header) and ``identity``,
alone or chained (``Content-Encoding: gzip, deflate`` is decoded deflate first). Brotli and zstd are never
advertised (:data:`ACCEPT_ENCODING`), since their optional Python bindings cannot all bound their output;
an answer that uses them anyway, or any other encoding, fails with :class:`ContentDecodingError` before
its body is read. Corrupt and truncated data fail the same way.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = [
    "ACCEPT_ENCODING",
    "DECODE_STEP",
    "MAX_ENCODINGS",
    "BodyDecoder",
    "ContentDecodingError",
]

DECODE_STEP = 64 * 1024
"""The most bytes one call of a decompressor produces."""

ACCEPT_ENCODING = "gzip, deflate"
"""The ``Accept-Encoding`` header every request carries unless its caller set one: what can be decoded bounded."""

MAX_ENCODINGS = 3
"""The most encodings (other than ``identity``) one ``Content-Encoding`` header may chain."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS
_NAMES = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
_MAX_SHOWN = 40


class ContentDecodingError(Exception):
    """The body cannot be decoded: an encoding this client does not decode, corrupt or truncated data.

    The message names the encoding and what went wrong, never any body content.
    """


def _is_zlib_header(first: int, second: int) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950: method 8, window <= 32 KiB, check bits)."""
    return first & 0x0F == 8 and first >> 4 <= 7 and ((first << 8) | second) % 31 == 0


class _ZlibStage:
    """One gzip or deflate layer, decoded one bounded step at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._decompressor: zlib._Decompress | None = (
            zlib.decompressobj(_GZIP_WBITS) if name == "gzip" else None  # deflate: chosen by its first two bytes
        )
        self._head = b""  # deflate's first byte, kept until the second one tells zlib from raw deflate
        self._fed = False

    def _error(self, what: str) -> ContentDecodingError:
        return ContentDecodingError(f"the {self.name} response body is {what}")

    def decode(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded bytes of ``data``, at most :data:`DECODE_STEP` at a time."""
        if not data:
            return
        self._fed = True
        decompressor = self._decompressor
        if decompressor is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self._head = b""
            wbits = _ZLIB_WBITS if _is_zlib_header(data[0], data[1]) else _RAW_DEFLATE_WBITS
            decompressor = self._decompressor = zlib.decompressobj(wbits)
        while True:
            if decompressor.eof:
                if not data:
                    return
                if self.name != "gzip":
                    raise self._error("followed by data after the end of its stream")
                # RFC 1952: a gzip file may hold several members, one after the other.
                decompressor = self._decompressor = zlib.decompressobj(_GZIP_WBITS)
            try:
                piece = decompressor.decompress(data, DECODE_STEP)
            except zlib.error as error:
                raise self._error(f"corrupt ({error})") from None
            data = decompressor.unused_data if decompressor.eof else decompressor.unconsumed_tail
            if piece:
                yield piece
            # A full step may leave output inside zlib with no input left: ask again until a short step.
            if not data and not decompressor.eof and len(piece) < DECODE_STEP:
                return

    def finish(self) -> None:
        """Check that the stream ended (its output was all yielded by then); nothing fed at all is an empty body."""
        if not self._fed:
            return
        decompressor = self._decompressor
        if decompressor is None or not decompressor.eof:
            raise self._error("truncated")


class BodyDecoder:
    """Decodes a response body as its ``Content-Encoding`` header says, one bounded step at a time.

    Args:
        content_encoding: The header's value (None or empty: not encoded).

    Raises:
        ContentDecodingError: An encoding other than gzip, x-gzip, deflate and identity, or more than
            :data:`MAX_ENCODINGS` of them.
    """

    def __init__(self, content_encoding: str | None) -> None:
        names = [name.strip().lower() for name in (content_encoding or "").split(",")]
        names = [name for name in names if name not in ("", "identity")]
        for name in names:
            if name not in _NAMES:
                shown = name if len(name) <= _MAX_SHOWN else name[:_MAX_SHOWN] + "..."
                raise ContentDecodingError(
                    f"the response is encoded with {shown!r}; this client decodes gzip and deflate only"
                )
        if len(names) > MAX_ENCODINGS:
            raise ContentDecodingError(f"the response chains {len(names)} content encodings (at most {MAX_ENCODINGS})")
        # The header lists encodings in the order they were applied: the last one is undone first.
        self._stages = [_ZlibStage(_NAMES[name]) for name in reversed(names)]

    @property
    def identity(self) -> bool:
        """Whether the body is not encoded (pieces are the chunks as they came)."""
        return not self._stages

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        """Yield the decoded pieces of one raw chunk (each at most :data:`DECODE_STEP` bytes when encoded)."""
        if not self._stages:
            if chunk:
                yield chunk
            return
        yield from self._through(0, chunk)

    def finish(self) -> None:
        """Check, once the raw body ended, that no encoded stream was cut short.

        Raises:
            ContentDecodingError: A stream was truncated.
        """
        for stage in self._stages:
            stage.finish()

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        """Pass ``data`` through the stages from ``index`` on; each stage holds at most one step at a time."""
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].decode(data):
            yield from self._through(index + 1, piece)
