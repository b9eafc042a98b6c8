"""Encoding, decoding and running components for the tests.

Encoding and decoding here do not use the library, so the tests check its framing against an
independent implementation.
"""

import io
import json
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import msgpack
import pytest

TRANSCRIPTS = Path(__file__).resolve().parent.parent.parent / "spec" / "transcripts"
SERIALIZERS = ("msgpack", "json")


def encode(messages: List[Any], serializer: str) -> bytes:
    if serializer == "msgpack":
        return b"".join(msgpack.packb(m, use_bin_type=True) for m in messages)
    return b"".join((json.dumps(m) + "\nend\n").encode() for m in messages)


def decode(data: bytes, serializer: str) -> List[Any]:
    if serializer == "msgpack":
        return list(msgpack.Unpacker(io.BytesIO(data), raw=False, strict_map_key=False))
    frames = data.decode().split("\nend\n")
    assert frames[-1] == "", f"output does not end with an end line: {frames[-1]!r}"
    return [json.loads(frame) for frame in frames[:-1]]


def handshake(pid_dir: Path, offer: bool = True, context: Optional[dict] = None) -> dict:
    message = {
        "pidDir": str(pid_dir),
        "conf": {"topology.name": "test"},
        "context": context or {"taskid": 3, "componentid": "under-test"},
    }
    if offer:
        message["squall"] = {"version": 1}
    return message


def tuple_message(tup_id: str, values: list, comp: str = "source", stream: str = "default") -> dict:
    return {"id": tup_id, "comp": comp, "stream": stream, "task": 7, "tuple": values}


HEARTBEAT = {"id": "hb", "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}
TICK = {"id": "tick", "comp": "__system", "stream": "__tick", "task": -1, "tuple": [5]}


def run_component(
    make: Callable[..., Any], host_input: bytes, serializer: str = "msgpack", **kwargs: Any
) -> Tuple[int, List[Any]]:
    """Run a component over ``host_input`` until it exits; return (exit code, messages written)."""
    output = io.BytesIO()
    component = make(
        input_stream=io.BytesIO(host_input), output_stream=output, serializer=serializer, **kwargs
    )
    with pytest.raises(SystemExit) as exit_info:
        component.run()
    return exit_info.value.code, decode(output.getvalue(), serializer)


def converse(
    make: Callable[..., Any],
    messages: List[Any],
    tmp_path: Path,
    offer: bool = True,
    serializer: str = "msgpack",
    **kwargs: Any,
) -> Tuple[int, List[Any]]:
    """Handshake (in ``tmp_path``), send ``messages``, then EOF; return the code and the
    messages written after the handshake reply."""
    host_input = encode([handshake(tmp_path, offer)] + messages, serializer)
    code, written = run_component(make, host_input, serializer, **kwargs)
    assert "pid" in written[0]
    return code, written[1:]
