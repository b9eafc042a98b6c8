"""Every golden transcript, in both serializers, against the scenario's component."""

import json
import os
import subprocess
import sys

import pytest
from helpers import SERIALIZERS, TRANSCRIPTS, run_component
from scenarios import SCENARIOS


def test_every_transcript_has_a_scenario():
    names = {path.parent.name for path in TRANSCRIPTS.glob("*/conversation.json")}
    assert names == set(SCENARIOS)


def test_transcript_bytes_are_up_to_date():
    script = TRANSCRIPTS / "generate.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("serializer", SERIALIZERS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_transcript(name, serializer):
    directory = TRANSCRIPTS / name
    conversation = json.loads((directory / "conversation.json").read_text())
    expected = [entry["msg"] for entry in conversation if entry["from"] == "child"]

    host_input = (directory / serializer / "host.bin").read_bytes()
    code, written = run_component(SCENARIOS[name], host_input, serializer)

    assert code == 2  # the transcript ends, the host "goes away"
    assert written[0]["pid"] == os.getpid()
    written[0]["pid"] = 4242
    assert written == expected
