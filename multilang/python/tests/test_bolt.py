"""Bolt and BasicBolt behaviour in both modes."""

import os

import pytest
from helpers import HEARTBEAT, TICK, converse, encode, handshake, run_component, tuple_message

from squall import BasicBolt, Bolt, FailTuple
from squall.component import FLUSH_THRESHOLD


class Recorder(BasicBolt):
    """Emits each input's first value, or fails or crashes when that value says so.

    Records the task ids its emits returned.
    """

    def initialize(self, conf, context):
        self.task_ids = []

    def process(self, tup):
        action = tup.values[0]
        if action == "fail":
            raise FailTuple("asked to")
        if action == "crash":
            raise ValueError("boom")
        self.task_ids.append(self.emit([action]))


last_component = None


def make_recorder(**kwargs):
    """Make a Recorder and remember it, so tests can look at it after it exits."""
    global last_component
    last_component = Recorder(**kwargs)
    return last_component


def ack(tup_id):
    return {"command": "ack", "id": tup_id}


def emit(values, anchors, **fields):
    return {"command": "emit", "anchors": anchors, "tuple": values, **fields}


# -- BasicBolt --------------------------------------------------------------------------------


def test_basic_bolt_anchors_emits_to_the_input_and_acks_it(tmp_path):
    code, written = converse(
        make_recorder, [tuple_message("t1", ["a"]), [4], tuple_message("t2", ["b"]), [5]], tmp_path,
        offer=False,
    )
    assert code == 2
    assert written == [emit(["a"], ["t1"]), ack("t1"), emit(["b"], ["t2"]), ack("t2")]
    assert last_component.task_ids == [[4], [5]]


def test_basic_bolt_fails_the_input_on_fail_tuple_and_goes_on(tmp_path):
    code, written = converse(
        make_recorder, [tuple_message("t1", ["fail"]), tuple_message("t2", ["b"]), [4]], tmp_path,
        offer=False,
    )
    assert code == 2
    assert written == [{"command": "fail", "id": "t1"}, emit(["b"], ["t2"]), ack("t2")]


def test_basic_bolt_explicit_anchors_replace_the_automatic_one(tmp_path):
    class Unanchored(BasicBolt):
        def process(self, tup):
            self.emit(["free"], anchors=[])
            self.emit(["both"], anchors=[tup, "other-id"])

    code, written = converse(Unanchored, [tuple_message("t1", ["x"])], tmp_path)
    assert written == [
        {"command": "batch", "messages": [
            emit(["free"], []), emit(["both"], ["t1", "other-id"]), ack("t1"),
        ]}
    ]


@pytest.mark.parametrize("offer", [True, False])
def test_an_exception_is_reported_with_its_traceback_and_exits_1(tmp_path, offer):
    if offer:  # both tuples in one host message: the error joins the output of the first
        messages = [{"command": "tuples", "tuples": [
            ["t1", "source", "default", 7, ["a"]], ["t2", "source", "default", 7, ["crash"]],
        ]}]
    else:
        messages = [tuple_message("t1", ["a"]), [4], tuple_message("t2", ["crash"])]
    code, written = converse(make_recorder, messages, tmp_path, offer)
    assert code == 1
    flat = written[0]["messages"] if offer else written
    assert flat[:2] == [emit(["a"], ["t1"]), ack("t1")]  # output before the crash is not lost
    error = flat[2]
    assert error["command"] == "error"
    assert "Traceback" in error["msg"] and "ValueError: boom" in error["msg"]
    assert len(flat) == 3


def test_a_value_the_serializer_cannot_encode_is_reported(tmp_path):
    class Unencodable(BasicBolt):
        def process(self, tup):
            self.emit([{1, 2}])  # msgpack has no sets

    code, written = converse(Unencodable, [tuple_message("t1", [])], tmp_path)
    assert code == 1
    assert len(written) == 1 and "can not serialize 'set' object" in written[0]["msg"]


def test_ticks_go_to_process_tick_and_are_acked_heartbeats_are_synced(tmp_path):
    class Ticking(BasicBolt):
        def process(self, tup):
            raise AssertionError("system tuples must not reach process()")

        def process_tick(self, tup):
            assert tup.is_tick and not tup.is_heartbeat and tup.values == [5]
            self.emit(["tick"])  # unanchored: a tick is not part of any tuple tree

    code, written = converse(Ticking, [HEARTBEAT, TICK, [2]], tmp_path, offer=False)
    assert code == 2
    assert written == [{"command": "sync"}, emit(["tick"], []), ack("tick")]


# -- Bolt: emit options and task ids ----------------------------------------------------------


class Emitter(Bolt):
    """Runs each input's first value as the keyword arguments of one emit, then acks."""

    def initialize(self, conf, context):
        self.returned = []

    def process(self, tup):
        self.returned.append(self.emit(["v"], anchors=[tup], **tup.values[0]))
        self.ack(tup)


def run_emitter(tmp_path, messages, offer):
    component = None

    def make(**kwargs):
        nonlocal component
        component = Emitter(**kwargs)
        return component

    code, written = converse(make, messages, tmp_path, offer)
    assert code == 2
    return component.returned, written


def test_legacy_emit_waits_for_task_ids_and_queues_tuples_met_meanwhile(tmp_path):
    returned, written = run_emitter(tmp_path, [
        tuple_message("t1", [{}]),
        tuple_message("t2", [{"stream": "words"}]),  # pipelined before t1's task ids
        [4, 5],
        [6],
    ], offer=False)
    assert returned == [[4, 5], [6]]
    assert written == [
        emit(["v"], ["t1"]), ack("t1"), emit(["v"], ["t2"], stream="words"), ack("t2"),
    ]


def test_legacy_emit_without_task_ids_direct_and_default_stream(tmp_path):
    returned, written = run_emitter(tmp_path, [
        tuple_message("t1", [{"need_task_ids": False}]),
        tuple_message("t2", [{"direct_task": 9, "need_task_ids": True}]),
        tuple_message("t3", [{"stream": "default"}]),
        [2],
    ], offer=False)
    assert returned == [None, None, [2]]
    assert written == [
        emit(["v"], ["t1"], need_task_ids=False), ack("t1"),
        emit(["v"], ["t2"], task=9), ack("t2"),  # direct emits never get task ids
        emit(["v"], ["t3"]), ack("t3"),
    ]


def test_extension_emit_asks_for_task_ids_only_on_request_and_flushes_first(tmp_path):
    returned, written = run_emitter(tmp_path, [
        {"command": "tuples", "tuples": [
            ["t1", "source", "default", 7, [{}]],
            ["t2", "source", "default", 7, [{"need_task_ids": True}]],
        ]},
        [3],
    ], offer=True)
    assert returned == [None, [3]]
    assert written == [
        # Written before blocking on the task ids, or the host could never answer.
        {"command": "batch", "messages": [
            emit(["v"], ["t1"]), ack("t1"), emit(["v"], ["t2"], need_task_ids=True),
        ]},
        ack("t2"),
    ]


# -- extension mode ---------------------------------------------------------------------------


def test_extension_flushes_every_thousand_messages(tmp_path):
    class Passthrough(Bolt):
        def process(self, tup):
            self.emit(tup.values, anchors=[tup])
            self.ack(tup)

    count = FLUSH_THRESHOLD * 3 // 4  # 1.5 x FLUSH_THRESHOLD messages out
    entries = [[str(n), "source", "default", 7, [n]] for n in range(count)]
    code, written = converse(Passthrough, [{"command": "tuples", "tuples": entries}], tmp_path)
    assert code == 2
    assert [len(batch["messages"]) for batch in written] == [FLUSH_THRESHOLD, count * 2 - FLUSH_THRESHOLD]
    flat = [message for batch in written for message in batch["messages"]]
    assert flat[-2:] == [emit([count - 1], [str(count - 1)]), ack(str(count - 1))]


def test_refusing_the_extension_keeps_storm_behaviour(tmp_path):
    host_input = encode([handshake(tmp_path, offer=True), tuple_message("t1", ["a"]), [8]], "msgpack")
    code, written = run_component(make_recorder, host_input, accept_extension=False)
    assert code == 2
    assert written == [{"pid": os.getpid()}, emit(["a"], ["t1"]), ack("t1")]
    assert last_component.task_ids == [[8]]


def test_tuples_message_in_legacy_mode_is_a_protocol_error(tmp_path):
    code, written = converse(make_recorder, [{"command": "tuples", "tuples": []}], tmp_path, offer=False)
    assert code == 1
    assert written[0]["command"] == "error" and "ProtocolError" in written[0]["msg"]


# -- handshake and ending ---------------------------------------------------------------------


@pytest.mark.parametrize("serializer", ["msgpack", "json"])
def test_handshake_creates_the_pid_file_and_passes_conf_and_context(tmp_path, serializer):
    pid_dir = tmp_path / "pids"  # created if missing
    code, written = run_component(make_recorder, encode([handshake(pid_dir)], serializer), serializer)
    assert code == 2
    assert written == [{"pid": os.getpid(), "squall": {"version": 1}}]
    assert (pid_dir / str(os.getpid())).is_file()
    assert last_component.conf == {"topology.name": "test"}
    assert last_component.context["componentid"] == "under-test"
    assert last_component.extension_mode


def test_eof_before_the_handshake_exits_2_quietly():
    assert run_component(make_recorder, b"") == (2, [])


def test_exception_in_initialize_is_reported_after_the_handshake_reply(tmp_path):
    class Broken(Bolt):
        def initialize(self, conf, context):
            self.log("starting")
            raise RuntimeError("no config")

    code, written = run_component(Broken, encode([handshake(tmp_path, offer=False)], "msgpack"))
    assert code == 1
    assert written[0] == {"pid": os.getpid()}
    assert written[1] == {"command": "log", "msg": "starting", "level": 2}
    assert "RuntimeError: no config" in written[2]["msg"]


def test_a_bad_handshake_is_reported_instead_of_the_reply():
    code, written = run_component(make_recorder, encode([{"command": "next"}], "msgpack"))
    assert code == 1
    assert len(written) == 1 and "expected the handshake" in written[0]["msg"]


def test_serializer_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SQUALL_MULTILANG_SERIALIZER", "json")
    host_input = encode([handshake(tmp_path), tuple_message("t1", ["a"])], "json")
    code, written = run_component(make_recorder, host_input, serializer=None)
    assert code == 2
    assert written[1] == {"command": "batch", "messages": [emit(["a"], ["t1"]), ack("t1")]}
