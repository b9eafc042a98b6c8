import os
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS.parent / "examples"
SRC = TESTS.parent / "src"
# SQUALL_TEST_INSTALLED=1: test the installed package (a built wheel), not the source tree.
INSTALLED = os.environ.get("SQUALL_TEST_INSTALLED") == "1"
TRANSCRIPT_PID_DIR = Path("/tmp/squall-pids")  # the pidDir written in every golden transcript

# The scenario components of the transcripts are the examples themselves.
sys.path.insert(0, str(EXAMPLES))
# The library of this tree, whatever else is installed (an editable install may point elsewhere).
if not INSTALLED:
    sys.path.insert(0, str(SRC))


def child_env(**extra: str) -> dict:
    """The environment of a component subprocess: it imports squall from the source tree, or,
    when testing the installed package, from wherever this interpreter installed it."""
    env = dict(os.environ, **extra)
    if not INSTALLED:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="session", autouse=True)
def tested_package():
    """The squall under test is the one meant: this tree's source, or the package installed in
    this interpreter's environment."""
    import squall

    location = Path(squall.__file__).resolve()
    if INSTALLED:
        assert Path(sys.prefix).resolve() in location.parents, f"SQUALL_TEST_INSTALLED=1 but squall comes from {location}, not {sys.prefix}"
    else:
        assert SRC in location.parents, f"squall comes from {location}, not from {SRC}"
    yield location


@pytest.fixture(scope="session", autouse=True)
def remove_transcript_pid_file():
    """Transcript runs create /tmp/squall-pids/<our pid>; leave /tmp as we found it."""
    existed = TRANSCRIPT_PID_DIR.exists()
    yield
    if not existed:
        shutil.rmtree(TRANSCRIPT_PID_DIR, ignore_errors=True)
    else:
        (TRANSCRIPT_PID_DIR / str(os.getpid())).unlink(missing_ok=True)
