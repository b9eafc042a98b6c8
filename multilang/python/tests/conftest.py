import os
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS.parent / "examples"
TRANSCRIPT_PID_DIR = Path("/tmp/squall-pids")  # the pidDir written in every golden transcript

# The scenario components of the transcripts are the examples themselves.
sys.path.insert(0, str(EXAMPLES))


@pytest.fixture(scope="session", autouse=True)
def remove_transcript_pid_file():
    """Transcript runs create /tmp/squall-pids/<our pid>; leave /tmp as we found it."""
    existed = TRANSCRIPT_PID_DIR.exists()
    yield
    if not existed:
        shutil.rmtree(TRANSCRIPT_PID_DIR, ignore_errors=True)
    else:
        (TRANSCRIPT_PID_DIR / str(os.getpid())).unlink(missing_ok=True)
