"""Helpers for the tests that run kmlab's commands in a process of their own."""

import signal


def default_sigint():
    """``subprocess.Popen``'s ``preexec_fn``: the child takes Ctrl+C as it would in a terminal.

    A shell starts a background job (``pytest ... &``) with SIGINT ignored, and
    children inherit that: the command would then shut down on the test's
    SIGINT (uvicorn catches it) but never see it as an interrupt.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
