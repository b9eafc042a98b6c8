#!/usr/bin/env python3
"""Throughput of one Python bolt process behind a pipe, measured from a fake host.

Starts ``examples/passthrough_bolt.py`` as a real subprocess and plays the host, in one
thread: it keeps up to ``--window`` tuples in flight, reads what the bolt writes and counts
acks. Prints one JSON line per mode:

    {"name": "python-passthrough-pipe", ..., "tuples_per_s": ..., "tuples_per_child_cpu_s": ...}

``tuples_per_s`` is wall-clock throughput; ``tuples_per_child_cpu_s`` divides by the bolt
process's own CPU time, so it stays meaningful on a busy machine.

Modes:
  ext     the squall extension with msgpack: tuples go in pre-encoded ``tuples`` messages of
          ``--batch`` tuples, the bolt answers with one ``batch`` per message (no task ids).
  legacy  Storm's conversation with JSON: one message per tuple, and the bolt waits for the
          task ids of every emit, which the host sends back as soon as it reads the emit.
"""

import argparse
import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, List, Tuple

import msgpack

HERE = Path(__file__).resolve().parent
BOLT = HERE.parent / "examples" / "passthrough_bolt.py"
SRC = HERE.parent / "src"
VALUES = ["snow", 42]  # a small two-field tuple, as in PERF.md §2


def msgpack_encode(message: object) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def json_encode(message: object) -> bytes:
    return (json.dumps(message) + "\nend\n").encode()


class JsonFrames:
    """Storm's JSON framing, with the feed/iterate interface of msgpack.Unpacker."""

    def __init__(self) -> None:
        self._pending = b""
        self._frames: List[bytes] = []

    def feed(self, data: bytes) -> None:
        *frames, self._pending = (self._pending + data).split(b"\nend\n")
        self._frames.extend(frames)

    def __iter__(self) -> Iterator[object]:
        frames, self._frames = self._frames, []
        return (json.loads(frame) for frame in frames)


def read_messages(decoder, fd: int, once: bool = False) -> Iterator[object]:
    """Yield decoded messages from ``fd``: what one read brings if ``once``, else forever."""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise EOFError("the bolt closed its stdout")
        decoder.feed(chunk)
        yield from decoder
        if once:
            return


def run(mode: str, total: int, batch: int, window: int) -> Tuple[float, float]:
    """Push ``total`` tuples through the bolt.

    Return (tuples acked per wall-clock second, tuples per second of the bolt's own CPU time).
    The second figure does not depend on what else the machine is doing.
    """
    cpu_before = children_cpu_seconds()
    extension = mode == "ext"
    per_message = batch if extension else 1
    encode = msgpack_encode if extension else json_encode
    env = dict(os.environ, SQUALL_MULTILANG_SERIALIZER="msgpack" if extension else "json")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    child = subprocess.Popen(
        [sys.executable, str(BOLT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    to_child, from_child = child.stdin.fileno(), child.stdout.fileno()
    decoder = msgpack.Unpacker(raw=False) if extension else JsonFrames()

    with tempfile.TemporaryDirectory() as pid_dir:
        handshake = {"pidDir": pid_dir, "conf": {}, "context": {"taskid": 1, "componentid": "pass"}}
        if extension:
            handshake["squall"] = {"version": 1}
        os.write(to_child, encode(handshake))
        reply = next(read_messages(decoder, from_child))
        assert ("squall" in reply) == extension, reply

        # Pre-encoded input, so the host side spends its time on the bolt's output only.
        if extension:
            payloads = [
                encode({"command": "tuples", "tuples": [
                    [f"{n}-{i}", "source", "default", 2, VALUES] for i in range(batch)
                ]})
                for n in range(64)
            ]
        else:
            payloads = [
                encode({"id": str(n), "comp": "source", "stream": "default", "task": 2, "tuple": VALUES})
                for n in range(1024)
            ]
        task_ids = encode([3])

        # One thread and non-blocking writes: the host must keep reading while the child's
        # input pipe is full, or both sides block on full pipes.
        os.set_blocking(to_child, False)
        pending = bytearray()
        sent = acked = in_flight = 0
        started = time.perf_counter()
        while acked < total:
            while in_flight + per_message <= window and sent < total:
                pending += payloads[(sent // per_message) % len(payloads)]
                sent += per_message
                in_flight += per_message
            readable, writable, _ = select.select([from_child], [to_child] if pending else [], [])
            if writable:
                try:
                    del pending[: os.write(to_child, pending)]
                except BlockingIOError:
                    pass
            if readable:
                for message in read_messages(decoder, from_child, once=True):
                    items = message["messages"] if message.get("command") == "batch" else [message]
                    for item in items:
                        command = item["command"]
                        if command == "ack":
                            acked += 1
                            in_flight -= 1
                        elif command == "emit":
                            if not extension:
                                pending += task_ids
                        else:
                            raise RuntimeError(f"unexpected message from the bolt: {item}")
        elapsed = time.perf_counter() - started
        os.set_blocking(to_child, True)
        child.stdin.close()
        child.wait(timeout=10)
    return acked / elapsed, acked / (children_cpu_seconds() - cpu_before)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children only
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=["ext", "legacy", "both"], default="both")
    parser.add_argument("--tuples", type=int, default=2_000_000, help="tuples in extension mode")
    parser.add_argument("--legacy-tuples", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=100, help="tuples per tuples message")
    parser.add_argument("--window", type=int, default=4000, help="tuples in flight (ext)")
    parser.add_argument("--legacy-window", type=int, default=100, help="tuples in flight (legacy)")
    args = parser.parse_args()
    if args.mode in ("ext", "both"):
        rate, cpu_rate = run("ext", args.tuples, args.batch, args.window)
        report("python-passthrough-pipe", "ext-msgpack", rate, cpu_rate,
               batch=args.batch, window=args.window)
    if args.mode in ("legacy", "both"):
        rate, cpu_rate = run("legacy", args.legacy_tuples, 1, args.legacy_window)
        report("python-passthrough-pipe-legacy", "legacy-json", rate, cpu_rate,
               window=args.legacy_window)


def report(name: str, mode: str, rate: float, cpu_rate: float, **settings: int) -> None:
    print(json.dumps({"name": name, "mode": mode, **settings, "tuples_per_s": round(rate),
                      "tuples_per_child_cpu_s": round(cpu_rate)}), flush=True)


if __name__ == "__main__":
    main()
