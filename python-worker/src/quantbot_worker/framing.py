"""Length-prefixed frames: a 4-byte big-endian unsigned length, then one serialized message."""

from __future__ import annotations

import struct
import threading
from typing import BinaryIO, Protocol

# Requests are small (paths and SQL); the largest replies are inline query results, which the
# query handler caps well below this.
MAX_FRAME_BYTES = 256 * 1024 * 1024
_HEADER = struct.Struct(">I")


class FramingError(Exception):
    """The byte stream does not hold a well-formed frame; the worker must exit non-zero."""


class _Message(Protocol):
    def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> bytes | None:
    """Returns the next frame's payload, or None at a clean end of stream."""
    header = _read_exact(stream, _HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise FramingError(f"stream ended inside a frame header ({len(header)} of 4 bytes)")
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise FramingError(f"frame of {length} bytes is larger than the limit of {MAX_FRAME_BYTES}")
    payload = _read_exact(stream, length)
    if len(payload) < length:
        raise FramingError(f"stream ended inside a frame ({len(payload)} of {length} bytes)")
    return payload


def encode_frame(message: _Message) -> bytes:
    payload = message.SerializeToString()
    if len(payload) > MAX_FRAME_BYTES:
        raise FramingError(f"outgoing frame of {len(payload)} bytes is larger than {MAX_FRAME_BYTES}")
    return _HEADER.pack(len(payload)) + payload


class FrameWriter:
    """Writes whole frames; safe to share between the reader loop (Pong) and the request thread."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, message: _Message) -> None:
        data = encode_frame(message)
        with self._lock:
            self._stream.write(data)
            self._stream.flush()
