"""GL tests run in child processes on an X server of their own (Xvfb, Mesa's llvmpipe).

Qt fixes its platform when the QApplication is made, and the rest of the UI tests run
offscreen, where a QOpenGLWidget cannot live (docs/pitfalls.md). So each GL test starts
a child with the xcb platform on a private Xvfb; without Xvfb (or GL) they skip, saying
why. A crash inside GL takes the child down, not the test run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def x_display():
    """The number of a private Xvfb display, started once for the session."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("no Xvfb: install the xvfb package to run the GL renderer's tests")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "2560x1600x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        display = answer.readline().strip()
    if not display:
        server.kill()
        server.wait()
        pytest.skip("Xvfb did not start")
    yield f":{display}"
    server.terminate()
    server.wait(10)


@pytest.fixture
def gl_child(x_display):
    """Run ``python -m tests.ui.gl.probe ARGS`` on the display; (JSON answer, stderr)."""

    def run(*args: str, stdin: str = "", extra_env: dict[str, str] | None = None):
        env = dict(
            os.environ,
            DISPLAY=x_display,
            QT_QPA_PLATFORM="xcb",
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
            **(extra_env or {}),
        )
        result = subprocess.run(
            [sys.executable, "-m", "tests.ui.gl.probe", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            timeout=240,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        if "could not connect to display" in result.stderr:
            pytest.skip("the X server went away")
        return json.loads(result.stdout.splitlines()[-1]), result.stderr

    return run
