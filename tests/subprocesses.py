"""Helpers for the tests that run kmlab's commands in a process of their own."""

import json
import signal
import subprocess
import sys


def default_sigint():
    """``subprocess.Popen``'s ``preexec_fn``: the child takes Ctrl+C as it would in a terminal.

    A shell starts a background job (``pytest ... &``) with SIGINT ignored, and
    children inherit that: the command would then shut down on the test's
    SIGINT (uvicorn catches it) but never see it as an interrupt.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_fresh(code, env=None):
    """Run ``code`` in a new interpreter (environment ``env``, default this one's) and return
    what it prints on its last line, parsed as JSON."""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])
