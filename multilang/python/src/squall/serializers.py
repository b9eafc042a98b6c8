"""Framing of protocol messages on the child's stdin and stdout.

Two serializers exist, chosen by name: ``"msgpack"`` (msgpack objects back to back, the
default) and ``"json"`` (Storm's framing: each message's JSON, a newline, the line ``end``).
"""

import json
import os
from functools import partial
from typing import IO, Any, Callable, Dict, Iterator, List, Type

import msgpack

from .errors import HostWentAway

#: Bytes asked for per read. A Linux pipe holds 64 KiB, so one read drains it.
READ_CHUNK = 64 * 1024


def _chunk_reader(stream: IO[bytes]) -> Callable[[], bytes]:
    """Return a function that reads whatever is available, at most READ_CHUNK bytes.

    A real file descriptor is read with ``os.read`` (no Python-level buffering, returns as
    soon as anything is there); other streams, such as ``io.BytesIO`` in tests, through
    ``read1`` when they have it.
    """
    try:
        return partial(os.read, stream.fileno(), READ_CHUNK)
    except (AttributeError, OSError):  # io.UnsupportedOperation is an OSError
        read = getattr(stream, "read1", None) or stream.read
        return partial(read, READ_CHUNK)


def _byte_writer(stream: IO[bytes]) -> Callable[[bytes], None]:
    """Return a function that writes all the bytes given and flushes them."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError):

        def write_stream(data: bytes) -> None:
            stream.write(data)
            stream.flush()

        return write_stream

    def write_fd(data: bytes) -> None:
        written = os.write(fd, data)
        if written < len(data):  # a pipe may take a large write in several parts
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(fd, view) :]

    return write_fd


class Serializer:
    """Reads and writes framed messages on a pair of binary streams.

    Subclasses define :meth:`messages` and :meth:`encode`.
    """

    #: The name used to pick this serializer (``serializer=`` or ``SQUALL_MULTILANG_SERIALIZER``).
    name = ""

    def __init__(self, input_stream: IO[bytes], output_stream: IO[bytes]) -> None:
        self._read_chunk = _chunk_reader(input_stream)
        self._write_bytes = _byte_writer(output_stream)

    def _read(self) -> bytes:
        chunk = self._read_chunk()
        if not chunk:
            raise HostWentAway("EOF on the input stream")
        return chunk

    def messages(self) -> Iterator[Any]:
        """Yield host messages as they arrive; raise :class:`HostWentAway` at EOF."""
        raise NotImplementedError

    def encode(self, message: Any) -> bytes:
        """Return the framed bytes of one message."""
        raise NotImplementedError

    def write(self, message: Any) -> None:
        """Write one message and flush it."""
        try:
            self._write_bytes(self.encode(message))
        except BrokenPipeError as exc:
            raise HostWentAway("the output stream was closed") from exc


class MsgpackSerializer(Serializer):
    """msgpack objects one after another, with no delimiter (pystorm's framing)."""

    name = "msgpack"

    def __init__(self, input_stream: IO[bytes], output_stream: IO[bytes]) -> None:
        super().__init__(input_stream, output_stream)
        self.encode = msgpack.Packer(use_bin_type=True).pack  # type: ignore[method-assign]

    def messages(self) -> Iterator[Any]:
        # Non-string map keys are legal inside user values, so don't insist on str keys.
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        read = self._read
        while True:
            unpacker.feed(read())
            yield from unpacker


class JsonSerializer(Serializer):
    """Storm's framing: the message's JSON text, ``\\n``, the line ``end``, ``\\n``."""

    name = "json"

    def encode(self, message: Any) -> bytes:
        return (json.dumps(message) + "\nend\n").encode("utf-8")

    def messages(self) -> Iterator[Any]:
        read = self._read
        partial_line: List[bytes] = []  # pieces of the line not yet ended by a newline
        message_lines: List[bytes] = []  # complete lines of the message being read
        while True:
            chunk = read()
            partial_line.append(chunk)
            if b"\n" not in chunk:
                continue
            *lines, rest = b"".join(partial_line).split(b"\n")
            partial_line = [rest]
            for line in lines:
                if line.rstrip(b"\r") == b"end":
                    if message_lines:
                        yield json.loads(b"\n".join(message_lines))
                        message_lines = []
                elif message_lines or line.strip():  # blank lines between messages are skipped
                    message_lines.append(line)


SERIALIZERS: Dict[str, Type[Serializer]] = {
    MsgpackSerializer.name: MsgpackSerializer,
    JsonSerializer.name: JsonSerializer,
}


def make_serializer(name: str, input_stream: IO[bytes], output_stream: IO[bytes]) -> Serializer:
    """Create the serializer called ``name`` over the given streams."""
    try:
        cls = SERIALIZERS[name]
    except KeyError:
        known = ", ".join(sorted(SERIALIZERS))
        raise ValueError(f"unknown serializer {name!r} (known: {known})") from None
    return cls(input_stream, output_stream)


__all__ = ["Serializer", "MsgpackSerializer", "JsonSerializer", "SERIALIZERS", "make_serializer"]
