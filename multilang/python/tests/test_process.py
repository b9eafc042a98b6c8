"""Real child processes speaking the protocol through pipes."""

import json
import os
import select
import subprocess
import sys
from collections import deque

import msgpack
import pytest
from conftest import EXAMPLES, TRANSCRIPT_PID_DIR, child_env
from helpers import HEARTBEAT, SERIALIZERS, TICK, TRANSCRIPTS, decode, encode, handshake


class Child:
    """A component subprocess, driven the way a host drives it."""

    def __init__(self, script: str, serializer: str) -> None:
        env = child_env(SQUALL_MULTILANG_SERIALIZER=serializer)
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / script)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        self.serializer = serializer
        self._unpacker = msgpack.Unpacker(raw=False)
        self._json_pending = b""
        self._received = deque()

    def send(self, *messages) -> None:
        self.process.stdin.write(encode(list(messages), self.serializer))
        self.process.stdin.flush()

    def receive(self, timeout: float = 10.0):
        fd = self.process.stdout.fileno()
        while not self._received:
            if not select.select([fd], [], [], timeout)[0]:
                raise TimeoutError("the child wrote nothing")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError("the child closed its stdout")
            if self.serializer == "msgpack":
                self._unpacker.feed(chunk)
                self._received.extend(self._unpacker)
            else:
                *frames, self._json_pending = (self._json_pending + chunk).split(b"\nend\n")
                self._received.extend(json.loads(frame) for frame in frames)
        return self._received.popleft()

    def close(self) -> int:
        """Close the child's stdin, as a host does, and return its exit code."""
        self.process.stdin.close()
        return self.process.wait(timeout=10)


@pytest.fixture
def start_child():
    children = []

    def start(script: str, serializer: str) -> Child:
        children.append(Child(script, serializer))
        return children[-1]

    yield start
    for child in children:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()


def emit(word, anchor):
    return {"command": "emit", "anchors": [anchor], "tuple": [word]}


def test_split_bolt_in_extension_mode_over_msgpack(tmp_path, start_child):
    child = start_child("split_sentence_bolt.py", "msgpack")
    child.send(handshake(tmp_path, offer=True))
    assert child.receive() == {"pid": child.process.pid, "squall": {"version": 1}}
    assert (tmp_path / str(child.process.pid)).is_file()

    child.send({"command": "tuples", "tuples": [
        ["a", "sentences", "default", 4, ["snow white"]],
        ["b", "sentences", "default", 4, [""]],
        ["c", "sentences", "default", 4, ["dwarfs"]],
    ]})
    assert child.receive() == {"command": "batch", "messages": [
        emit("snow", "a"), emit("white", "a"), {"command": "ack", "id": "a"},
        {"command": "fail", "id": "b"},
        emit("dwarfs", "c"), {"command": "ack", "id": "c"},
    ]}
    child.send(HEARTBEAT)
    assert child.receive() == {"command": "sync"}
    child.send(TICK)
    assert child.receive() == {"command": "batch", "messages": [
        {"command": "log", "msg": "split 2 sentences into 3 words so far", "level": 2},
        {"command": "ack", "id": "tick"},
    ]}
    assert child.close() == 2


def test_split_bolt_in_legacy_mode_over_json(tmp_path, start_child):
    child = start_child("split_sentence_bolt.py", "json")
    child.send(handshake(tmp_path, offer=False))
    assert child.receive() == {"pid": child.process.pid}

    child.send({"id": "a", "comp": "sentences", "stream": "default", "task": 4, "tuple": ["snow white"]})
    assert child.receive() == emit("snow", "a")
    child.send([2])  # the child waits for these before it goes on
    assert child.receive() == emit("white", "a")
    child.send([3])
    assert child.receive() == {"command": "ack", "id": "a"}
    child.send(HEARTBEAT)
    assert child.receive() == {"command": "sync"}
    assert child.close() == 2


def test_print_goes_to_stderr_not_into_the_protocol(tmp_path):
    code = (
        "from squall import BasicBolt\n"
        "class Loud(BasicBolt):\n"
        "    def process(self, tup):\n"
        "        print('hello from process')\n"
        "Loud().run()\n"
    )
    env = child_env(SQUALL_MULTILANG_SERIALIZER="json")
    tuples = {"command": "tuples", "tuples": [["a", "s", "default", 4, []]]}
    result = subprocess.run(
        [sys.executable, "-c", code], input=encode([handshake(tmp_path), tuples], "json"),
        capture_output=True, env=env, timeout=20,
    )
    assert result.returncode == 2
    assert decode(result.stdout, "json")[1] == {"command": "ack", "id": "a"}
    assert b"hello from process" in result.stderr


def test_a_crashing_child_reports_and_exits_1(tmp_path, start_child):
    child = start_child("split_sentence_bolt.py", "msgpack")
    child.send(handshake(tmp_path), {"command": "tuples", "tuples": [["a", "s", "default", 4, [42]]]})
    child.receive()
    error = child.receive()
    assert error["command"] == "error" and "AttributeError" in error["msg"]
    assert child.process.wait(timeout=10) == 1


def run_transcript(script: str, name: str, serializer: str, start_child) -> None:
    """Pipe a whole transcript into a child at once and compare everything it writes."""
    directory = TRANSCRIPTS / name
    conversation = json.loads((directory / "conversation.json").read_text())
    expected = [entry["msg"] for entry in conversation if entry["from"] == "child"]
    TRANSCRIPT_PID_DIR.mkdir(exist_ok=True)  # storm.py-style children do not create it
    child = start_child(script, serializer)
    try:
        out, _ = child.process.communicate((directory / serializer / "host.bin").read_bytes(), 20)
    finally:
        (TRANSCRIPT_PID_DIR / str(child.process.pid)).unlink(missing_ok=True)
    assert child.process.returncode == 2
    written = decode(out, serializer)
    assert written[0]["pid"] == child.process.pid
    written[0]["pid"] = 4242
    assert written == expected


@pytest.mark.parametrize("serializer", SERIALIZERS)
@pytest.mark.parametrize("name", ["bolt-legacy-split", "bolt-ext-split"])
def test_split_bolt_process_replays_transcripts(name, serializer, start_child):
    run_transcript("split_sentence_bolt.py", name, serializer, start_child)


def test_storm_py_style_bolt_matches_the_legacy_transcript(start_child):
    run_transcript("legacy_storm_bolt.py", "bolt-legacy-split", "json", start_child)
