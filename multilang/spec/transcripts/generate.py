#!/usr/bin/env python3
"""Generate the byte transcripts from each conversation.json.

For every directory beside this script that holds a ``conversation.json``, write

    <name>/msgpack/host.bin   <name>/msgpack/child.bin
    <name>/json/host.bin      <name>/json/child.bin

``host.bin`` is every host message of the conversation, framed and concatenated
(what the child reads on stdin); ``child.bin`` is every child message (what the
child writes). Needs only the standard library and ``msgpack``.

Usage: python3 generate.py [--check]
  --check  regenerate in memory and exit 1 if any file on disk differs.
"""

import json
import sys
from pathlib import Path

import msgpack

HERE = Path(__file__).resolve().parent


def frame_msgpack(message: object) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def frame_json(message: object) -> bytes:
    return (json.dumps(message) + "\nend\n").encode("utf-8")


FRAMERS = {"msgpack": frame_msgpack, "json": frame_json}


def render(conversation: list) -> dict:
    """Return {relative path: bytes} for one conversation."""
    for index, entry in enumerate(conversation):
        if entry.get("from") not in ("host", "child") or "msg" not in entry:
            raise ValueError(f"entry {index}: need 'from' (host|child) and 'msg'")
    files = {}
    for serializer, frame in FRAMERS.items():
        for side in ("host", "child"):
            files[f"{serializer}/{side}.bin"] = b"".join(
                frame(entry["msg"]) for entry in conversation if entry["from"] == side
            )
    return files


def main(argv: list) -> int:
    check = "--check" in argv
    stale = []
    for source in sorted(HERE.glob("*/conversation.json")):
        conversation = json.loads(source.read_text(encoding="utf-8"))
        for relative, data in render(conversation).items():
            target = source.parent / relative
            if check:
                if not target.exists() or target.read_bytes() != data:
                    stale.append(target)
                continue
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
        print(f"{'checked' if check else 'wrote'} {source.parent.name}")
    for target in stale:
        print(f"stale: {target.relative_to(HERE)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
