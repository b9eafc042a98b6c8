#!/usr/bin/env python3
"""A sentence splitter written the way Storm's own storm.py components are: no squall library.

It speaks exactly what Apache Storm's host speaks: JSON framing (each message, then a line
``end``), a ``{"pid"}`` reply that ignores the squall offer, and a blocking read of the task
ids after every emit. Squall hosts must run components like this one unmodified; it behaves
like the bolt of ``multilang/spec/transcripts/bolt-legacy-split``.
"""

import json
import os
import sys
from collections import deque

# Task-id arrays and other host messages can arrive interleaved: each kind waits in its queue.
pending_messages = deque()
pending_task_ids = deque()


def read_message():
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line:
            sys.exit(2)  # the host went away
        line = line.rstrip("\n")
        if line == "end":
            if any(part.strip() for part in lines):
                return json.loads("\n".join(lines))
            lines = []
        else:
            lines.append(line)


def send(message):
    sys.stdout.write(json.dumps(message) + "\nend\n")
    sys.stdout.flush()


def read_command():
    while True:
        message = pending_messages.popleft() if pending_messages else read_message()
        if isinstance(message, list):
            pending_task_ids.append(message)
        else:
            return message


def read_task_ids():
    if pending_task_ids:
        return pending_task_ids.popleft()
    while True:
        message = read_message()
        if isinstance(message, list):
            return message
        pending_messages.append(message)


def emit(values, anchors):
    send({"command": "emit", "anchors": anchors, "tuple": values})
    return read_task_ids()


def log(text):
    send({"command": "log", "msg": text, "level": 2})


counts = {"sentences": 0, "words": 0}


def process(tup):
    if tup["comp"] == "__system" and tup["stream"] == "__tick":
        log("split %(sentences)d sentences into %(words)d words so far" % counts)
        return
    words = tup["tuple"][0].split()
    for word in words:
        emit([word], [tup["id"]])
    counts["sentences"] += 1
    counts["words"] += len(words)


def main():
    handshake = read_message()
    pid = os.getpid()
    send({"pid": pid})
    open(os.path.join(handshake["pidDir"], str(pid)), "w").close()
    while True:
        tup = read_command()
        if tup["task"] == -1 and tup["stream"] == "__heartbeat":
            send({"command": "sync"})
            continue
        try:
            process(tup)
        except Exception as exc:
            send({"command": "error", "msg": "split failed: %r" % exc})
            send({"command": "fail", "id": tup["id"]})
        else:
            send({"command": "ack", "id": tup["id"]})


if __name__ == "__main__":
    main()
