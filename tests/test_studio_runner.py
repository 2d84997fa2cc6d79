"""The Studio's code runner, with real processes: output, errors, figures, limits, faults."""

import base64
import io
import re
import threading
import time
from pathlib import Path

import pytest

from kmlab.studio.runner import CodeRunner, RunnerBusy

# Generous: the machine running the suite may be busy, and `import kmlab` takes seconds there.
SLOW_OK = 120


def alive(pid):
    """Whether process ``pid`` exists and has not ended (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def wait_until_running(runner, count=1):
    deadline = time.monotonic() + SLOW_OK
    while runner.running < count:
        assert time.monotonic() < deadline, "the program never started"
        time.sleep(0.01)


def run_in_thread(runner, code):
    """Start ``runner.run(code)`` in a thread; return (thread, holder of the result)."""
    holder = {}
    thread = threading.Thread(target=lambda: holder.update(result=runner.run(code)))
    thread.start()
    return thread, holder


def test_hello_world():
    code = "print('hello, wörld')\nimport sys\nsys.stdout.buffer.write(b'\\xff!\\n')"
    result = CodeRunner(timeout=SLOW_OK).run(code)
    assert result["stdout"] == "hello, wörld\n\ufffd!\n"  # UTF-8, undecodable bytes replaced
    assert result["stderr"] == ""
    assert result["returncode"] == 0
    assert result["figures"] == []
    assert result["killed"] is None and not result["timed_out"] and not result["truncated"]
    assert result["seconds"] > 0


def test_program_runs_isolated_as_main(monkeypatch):
    monkeypatch.setenv("KMLAB_TEST_SECRET", "do-not-pass")
    code = (
        "import os, sys\n"
        "print(__name__, sys.flags.isolated, os.environ.get('MPLBACKEND'), 'KMLAB_TEST_SECRET' in os.environ)\n"
        "print(sorted(name for name in globals() if not name.startswith('__')))\n"
        "print(os.listdir('.'))\n"
    )
    lines = CodeRunner(timeout=SLOW_OK).run(code)["stdout"].splitlines()
    assert lines == ["__main__ 1 Agg False", "['os', 'sys']", "['program.py']"]


@pytest.mark.parametrize(
    "code, line, error",
    [
        ("x = 1\ny = 2\nraise ValueError('boom')\n", 3, "ValueError: boom"),
        ("def f():\n    return 1 / 0\n\nf()\n", 2, "ZeroDivisionError: division by zero"),
        ("x = 1\nif x\n", 2, "SyntaxError"),
    ],
    ids=["raise", "in-function", "syntax"],
)
def test_traceback_names_the_programs_lines(code, line, error):
    result = CodeRunner(timeout=SLOW_OK).run(code)
    assert result["returncode"] == 1
    assert f'File "program.py", line {line}' in result["stderr"]
    assert error in result["stderr"]
    assert "_runner_child" not in result["stderr"]  # the bootstrap stays out of the traceback
    assert result["killed"] is None


@pytest.mark.parametrize(
    "code, status, message",
    [
        ("import sys; sys.exit(3)", 3, ""),
        ("import sys; sys.exit('bye')", 1, "bye\n"),
        ("import os; os._exit(4)", 4, ""),
    ],
    ids=["sys.exit", "sys.exit-message", "os._exit"],
)
def test_exit_status(code, status, message):
    result = CodeRunner(timeout=SLOW_OK).run(code)
    assert (result["returncode"], result["stderr"], result["killed"]) == (status, message, None)


def test_a_forked_child_exiting_does_not_end_the_run():
    code = (
        "import os, sys, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    print('child', flush=True)\n"
        "    sys.exit(0)\n"  # runs the atexit functions it inherited
        "os.waitpid(pid, 0)\n"
        "time.sleep(0.2)\n"
        "print('parent')\n"
    )
    result = CodeRunner(timeout=SLOW_OK).run(code)
    assert (result["stdout"], result["returncode"], result["killed"]) == ("child\nparent\n", 0, None)


def test_figures_are_pngs_bounded_in_count_and_size():
    from PIL import Image

    code = (
        "import matplotlib.pyplot as plt\n"
        "plt.figure(figsize=(50, 10)); plt.plot([1, 3, 2])\n"
        "plt.figure(); plt.scatter([0, 1], [1, 0])\n"
        "plt.figure()\n"
        "plt.show()\n"
    )
    result = CodeRunner(timeout=SLOW_OK, max_figures=2).run(code)
    assert result["returncode"] == 0, result["stderr"]
    assert len(result["figures"]) == 2
    images = [Image.open(io.BytesIO(base64.b64decode(figure))) for figure in result["figures"]]
    assert [image.format for image in images] == ["PNG", "PNG"]
    assert images[0].size == (2000, 400)  # 50 x 10 inches, scaled to 2000 pixels on the longest side
    assert images[1].size == (640, 480)  # matplotlib's default 6.4 x 4.8 inches at 100 dpi
    assert "3 figures are open; only the first 2 are shown" in result["stderr"]


def test_tutorial_program_under_the_default_memory_limit():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    code = (
        "from kmlab import KMeans\n"
        "from sklearn.datasets import make_blobs\n"
        "import matplotlib.pyplot as plt\n"
        "X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)\n"
        "kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)\n"
        "print(repr(kmeans.inertia_))\n"
        "plt.scatter(X[:, 0], X[:, 1], c=kmeans.labels_)\n"
        "plt.show()\n"
    )
    result = CodeRunner(timeout=300).run(code)  # the first fit may compile numba kernels
    assert result["returncode"] == 0, result["stderr"]
    assert result["killed"] is None
    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
    expected = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X).inertia_
    assert float(result["stdout"]) == pytest.approx(expected, rel=1e-9)
    assert len(result["figures"]) == 1


# Children the program leaves behind: a plain one, one in its own session, and a
# daemon (fork, setsid, fork again, exec with an empty environment).  The
# program prints their pids, then ends or loops forever.
_SPAWN_CHILDREN = """
import os, subprocess, time
plain = subprocess.Popen(["sleep", "120"])
detached = subprocess.Popen(["sleep", "121"], start_new_session=True)
read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(write, str(os.getpid()).encode())
        os.execvpe("sleep", ["sleep", "122"], {"PATH": os.environ["PATH"]})
    os._exit(0)
os.close(write)
daemon = int(os.read(read, 20))
print(plain.pid, detached.pid, daemon, flush=True)
"""


@pytest.mark.parametrize(
    "ending, timeout, killed",
    [("while True:\n    pass\n", 3, "timeout"), ("", SLOW_OK, None)],
    ids=["loop", "return"],
)
def test_every_process_of_the_program_is_killed(ending, timeout, killed):
    result = CodeRunner(timeout=timeout).run(_SPAWN_CHILDREN + ending)
    assert result["killed"] == killed
    assert result["timed_out"] == (killed == "timeout")
    assert result["returncode"] == (-9 if killed else 0)
    if killed:
        assert "kmlab: stopped after 3 s, the time limit." in result["stderr"]
    pids = [int(pid) for pid in result["stdout"].split()]
    assert len(pids) == 3
    assert [pid for pid in pids if alive(pid)] == []


@pytest.mark.parametrize(
    "code",
    [
        "blocks = []\nwhile True:\n    blocks.append(bytearray(10**7))\n",
        # Each process stays under RLIMIT_AS; together they pass the limit.
        "import os, time\n"
        "for _ in range(4):\n"
        "    if os.fork() == 0:\n"
        "        block = bytearray(100 * 2**20)\n"
        "        block[::4096] = b'x' * len(block[::4096])\n"
        "        time.sleep(100)\n"
        "time.sleep(100)\n",
    ],
    ids=["one-process", "four-processes"],
)
def test_memory_bomb_is_stopped_and_reported(code):
    result = CodeRunner(timeout=60, memory_mb=256).run(code)
    assert result["killed"] == "memory"
    assert "kmlab: the program ran out of memory (limit: 256 MB)." in result["stderr"]
    assert not result["timed_out"]


def test_fork_bomb_is_contained():
    code = (
        "import os, time\n"
        "for _ in range(200):\n"  # bounded, for safety, far above the limit
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        time.sleep(100)\n"
        "        os._exit(0)\n"
        "    print(pid, flush=True)\n"
        "time.sleep(100)\n"
    )
    runner = CodeRunner(timeout=60, max_processes=8)
    result = runner.run(code)
    assert result["killed"] == "processes"
    assert "started more than 8 processes" in result["stderr"]
    pids = [int(pid) for pid in result["stdout"].split()]
    assert len(pids) >= 8
    assert [pid for pid in pids if alive(pid)] == []
    assert runner.run("print('still here')")["stdout"] == "still here\n"


def test_output_flood_is_truncated():
    result = CodeRunner(timeout=60, output_limit=10_000).run("while True:\n    print('x' * 99)\n")
    assert result["truncated"]
    assert result["killed"] == "output"
    assert result["stdout"] == ("x" * 99 + "\n") * 100  # exactly 10,000 bytes
    assert "kmlab: stopped: the output passed 10,000 bytes" in result["stderr"]


def test_busy_when_the_limit_is_reached(tmp_path):
    go = tmp_path / "go"
    runner = CodeRunner(timeout=SLOW_OK, max_concurrent=1)
    code = f"import os, time\nwhile not os.path.exists({str(go)!r}):\n    time.sleep(0.01)\n"
    thread, holder = run_in_thread(runner, code)
    wait_until_running(runner)
    with pytest.raises(RunnerBusy, match="already running 1 program"):
        runner.run("print(1)")
    go.touch()
    thread.join()
    assert holder["result"]["returncode"] == 0
    assert runner.run("print(1)")["stdout"] == "1\n"  # the slot is free again


def test_two_runs_at_once(tmp_path):
    # Each waits for the other to start: they finish only if they run at the same time.
    code = (
        "import os, time\n"
        "open(os.path.join({folder!r}, {me!r}), 'w').close()\n"
        "while not os.path.exists(os.path.join({folder!r}, {other!r})):\n"
        "    time.sleep(0.01)\n"
        "print('done', {me!r})\n"
    )
    runner = CodeRunner(timeout=SLOW_OK, max_concurrent=2)
    first = run_in_thread(runner, code.format(folder=str(tmp_path), me="a", other="b"))
    second = run_in_thread(runner, code.format(folder=str(tmp_path), me="b", other="a"))
    for thread, _ in (first, second):
        thread.join()
    assert first[1]["result"]["stdout"] == "done a\n"
    assert second[1]["result"]["stdout"] == "done b\n"


def test_shutdown_kills_running_programs():
    runner = CodeRunner(timeout=SLOW_OK)
    thread, holder = run_in_thread(runner, "import os\nprint(os.getpid(), flush=True)\nwhile True:\n    pass\n")
    wait_until_running(runner)
    runner.shutdown()
    thread.join()
    result = holder["result"]
    assert result["killed"] == "shutdown"
    assert runner.running == 0
    with pytest.raises(RunnerBusy, match="shut down"):
        runner.run("print(1)")


def test_temporary_folder_is_removed():
    code = (
        "import os, tempfile\n"
        "print(os.getcwd())\n"
        "print(tempfile.gettempdir())\n"
        "os.makedirs('locked/inner')\n"
        "open('locked/inner/data.txt', 'w').write('x')\n"
        "os.chmod('locked/inner', 0)\n"
        "os.chmod('locked', 0)\n"
    )
    result = CodeRunner(timeout=SLOW_OK).run(code)
    cwd, temporary = result["stdout"].splitlines()
    assert cwd == temporary  # tempfile writes inside the run's folder too
    assert re.search(r"kmlab-run-[^/]+/work$", cwd)
    assert not Path(cwd).parent.exists()


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"timeout": 0}, ValueError, "timeout must be at least 0.1; got 0"),
        ({"timeout": "10"}, TypeError, "timeout must be a number; got '10'"),
        ({"memory_mb": 10}, ValueError, "memory_mb must be at least 64; got 10"),
        ({"memory_mb": 512.5}, TypeError, "memory_mb must be an integer"),
        ({"max_concurrent": 0}, ValueError, "max_concurrent must be at least 1"),
        ({"output_limit": True}, TypeError, "output_limit must be an integer"),
        ({"max_figures": -1}, ValueError, "max_figures must be at least 0"),
        ({"max_processes": 0}, ValueError, "max_processes must be at least 1"),
    ],
)
def test_bad_options_are_refused(options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        CodeRunner(**options)


def test_code_must_be_text():
    with pytest.raises(TypeError, match="code must be a str"):
        CodeRunner().run(b"print(1)")
