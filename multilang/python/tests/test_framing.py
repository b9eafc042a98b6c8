"""Reading and writing frames: partial reads, several messages per read, JSON quirks."""

import io

import msgpack
import pytest
from helpers import SERIALIZERS, decode, encode

from squall import HostWentAway, JsonSerializer, MsgpackSerializer
from squall.serializers import make_serializer

MESSAGES = [
    {"id": "1", "comp": "words", "stream": "default", "task": 3, "tuple": ["snow", 42, None, 1.5]},
    [4, 5],
    {"command": "next", "id": "", "credits": 3},
    {"id": "2", "comp": "words", "stream": "default", "task": 3, "tuple": ["ünïcödé ☃", {"k": [1, 2]}]},
]


class TrickleStream(io.RawIOBase):
    """A stream that hands out at most ``size`` bytes per read, like a slow pipe."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = data
        self._size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self._data[: min(self._size, len(buffer))]
        self._data = self._data[len(piece) :]
        buffer[: len(piece)] = piece
        return len(piece)


def read_all(serializer: str, stream) -> list:
    messages = make_serializer(serializer, stream, io.BytesIO()).messages()
    received = []
    with pytest.raises(HostWentAway):
        for message in messages:
            received.append(message)
    return received


@pytest.mark.parametrize("serializer", SERIALIZERS)
@pytest.mark.parametrize("size", [1, 2, 7, 64, 1 << 20])
def test_messages_split_across_reads_or_many_per_read(serializer, size):
    stream = TrickleStream(encode(MESSAGES, serializer), size)
    assert read_all(serializer, stream) == MESSAGES


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_eof_in_the_middle_of_a_message_is_host_went_away(serializer):
    data = encode(MESSAGES[:2], serializer)
    assert read_all(serializer, io.BytesIO(data[:-3])) == MESSAGES[:1]


def test_json_skips_blank_lines_and_accepts_crlf_and_multiline_messages():
    data = (
        b"\n\n"
        b'{"command": "next", "id": ""}\nend\n'
        b"\n"
        b'{"command": "ack",\n "id": "a"}\r\nend\r\n'
        b"  \nend\n"  # a frame with nothing in it is not a message
        b'[1, 2]\nend\n'
    )
    assert read_all("json", io.BytesIO(data)) == [
        {"command": "next", "id": ""},
        {"command": "ack", "id": "a"},
        [1, 2],
    ]


def test_json_writes_storm_framing():
    out = io.BytesIO()
    JsonSerializer(io.BytesIO(), out).write({"command": "sync"})
    assert out.getvalue() == b'{"command": "sync"}\nend\n'


def test_msgpack_writes_text_as_str_and_bytes_as_bin():
    out = io.BytesIO()
    MsgpackSerializer(io.BytesIO(), out).write({"tuple": ["text", b"\x00\xff"]})
    assert out.getvalue() == msgpack.packb({"tuple": ["text", b"\x00\xff"]}, use_bin_type=True)
    assert decode(out.getvalue(), "msgpack") == [{"tuple": ["text", b"\x00\xff"]}]


def test_msgpack_accepts_non_string_map_keys_inside_values():
    data = msgpack.packb({"tuple": [{1: "one"}]})
    assert read_all("msgpack", io.BytesIO(data)) == [{"tuple": [{1: "one"}]}]


def test_unknown_serializer_name():
    with pytest.raises(ValueError, match="unknown serializer 'xml'"):
        make_serializer("xml", io.BytesIO(), io.BytesIO())


def test_broken_output_pipe_is_host_went_away():
    class ClosedPipe(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            raise BrokenPipeError

    with pytest.raises(HostWentAway):
        MsgpackSerializer(io.BytesIO(), ClosedPipe()).write({"command": "sync"})


def test_msgpack_reads_headers_of_any_size():
    """The TypeScript host writes a `tuples` list with an array32 header whatever its length."""
    entry = msgpack.packb(["7", "spout", "default", 1, ["x", 42]], use_bin_type=True)
    data = (
        b"\x82\xa7command\xa6tuples\xa6tuples"
        + b"\xdd\x00\x00\x00\x02"
        + b"\xdc\x00\x05"
        + entry[1:]
        + entry
    )
    message = {"command": "tuples", "tuples": [["7", "spout", "default", 1, ["x", 42]]] * 2}
    assert read_all("msgpack", TrickleStream(data, 3)) == [message]
