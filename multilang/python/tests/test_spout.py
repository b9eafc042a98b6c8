"""Spout conversations: lockstep legacy, credits in extension mode."""

import pytest
from helpers import converse

from squall import Spout


class Counter(Spout):
    """Emits ids 0, 1, ... up to ``limit``; records every hook call."""

    limit = 3

    def initialize(self, conf, context):
        self.calls = []
        self.next_id = 0
        self.task_ids = []

    def next_tuple(self):
        self.calls.append("next_tuple")
        if self.next_id < self.limit:
            self.task_ids.append(self.emit([f"value {self.next_id}"], tup_id=self.next_id))
            self.next_id += 1

    def ack(self, tup_id):
        self.calls.append(("ack", tup_id))

    def fail(self, tup_id):
        self.calls.append(("fail", tup_id))

    def activate(self):
        self.calls.append("activate")

    def deactivate(self):
        self.calls.append("deactivate")


def run_counter(tmp_path, messages, offer):
    spout = None

    def make(**kwargs):
        nonlocal spout
        spout = Counter(**kwargs)
        return spout

    code, written = converse(make, messages, tmp_path, offer)
    assert code == 2
    return spout, written


SYNC = {"command": "sync"}
NEXT = {"command": "next", "id": ""}


def emit(n, **fields):
    return {"command": "emit", "id": n, "tuple": [f"value {n}"], **fields}


def test_legacy_answers_every_command_with_sync_and_reads_task_ids(tmp_path):
    spout, written = run_counter(tmp_path, [
        {"command": "activate", "id": ""},
        NEXT, [4],
        {"command": "ack", "id": 0},
        {"command": "fail", "id": "x"},
        {"command": "deactivate", "id": ""},
    ], offer=False)
    assert written == [SYNC, emit(0), SYNC, SYNC, SYNC, SYNC]
    assert spout.calls == ["activate", "next_tuple", ("ack", 0), ("fail", "x"), "deactivate"]
    assert spout.task_ids == [[4]]


def test_legacy_next_calls_next_tuple_once_even_with_credits(tmp_path):
    spout, written = run_counter(tmp_path, [{**NEXT, "credits": 3}, [4]], offer=False)
    assert written == [emit(0), SYNC]
    assert spout.calls == ["next_tuple"]


def test_extension_next_uses_credits_and_stops_at_the_first_empty_call(tmp_path):
    spout, written = run_counter(tmp_path, [
        {**NEXT, "credits": 2},
        {**NEXT, "credits": 5},
        NEXT,  # no credits: one call
    ], offer=True)
    assert written == [
        {"command": "batch", "messages": [emit(0), emit(1), SYNC]},
        {"command": "batch", "messages": [emit(2), SYNC]},
        SYNC,
    ]
    assert spout.calls == ["next_tuple"] * 5
    assert spout.task_ids == [None, None, None]


def test_extension_acks_fails_and_activation_get_no_sync(tmp_path):
    spout, written = run_counter(tmp_path, [
        {"command": "activate", "id": ""},
        {"command": "acks", "ids": [0, 2]},
        {"command": "fails", "ids": ["a"]},
        {"command": "ack", "id": 1},
        {"command": "fail", "id": 3},
        {"command": "deactivate", "id": ""},
    ], offer=True)
    assert written == []
    assert spout.calls == [
        "activate", ("ack", 0), ("ack", 2), ("fail", "a"), ("ack", 1), ("fail", 3), "deactivate",
    ]


def test_extension_spout_can_still_ask_for_task_ids(tmp_path):
    class Asking(Spout):
        def next_tuple(self):
            self.got = self.emit(["v"], need_task_ids=True)

    spout = None

    def make(**kwargs):
        nonlocal spout
        spout = Asking(**kwargs)
        return spout

    code, written = converse(make, [NEXT, [7]], tmp_path)
    assert written == [{"command": "emit", "tuple": ["v"], "need_task_ids": True}, SYNC]
    assert spout.got == [7]


@pytest.mark.parametrize("offer", [True, False])
def test_unknown_commands_are_protocol_errors(tmp_path, offer):
    messages = [{"command": "acks", "ids": [1]}] if not offer else [{"command": "rewind"}]
    code, written = converse(Counter, messages, tmp_path, offer)
    assert code == 1
    assert "ProtocolError: a spout cannot handle" in written[0]["msg"]


def test_emit_options(tmp_path):
    class Options(Spout):
        def next_tuple(self):
            self.emit(["unreliable"])
            self.emit(["named"], tup_id="n", stream="lines")
            self.emit(["direct"], tup_id="d", direct_task=4)

    code, written = converse(Options, [NEXT], tmp_path)
    assert written == [{"command": "batch", "messages": [
        {"command": "emit", "tuple": ["unreliable"]},
        {"command": "emit", "id": "n", "stream": "lines", "tuple": ["named"]},
        {"command": "emit", "id": "d", "task": 4, "tuple": ["direct"]},
        SYNC,
    ]}]
