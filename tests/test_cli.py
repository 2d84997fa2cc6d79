"""The command line's framework: exit codes, one-line errors, all-or-nothing outputs."""

import subprocess
import sys

import pytest

from kmlab.cli import main
from kmlab.cli._common import CommandError, atomic_directory, atomic_file


def test_demo_replays_the_tutorial(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "KMeans(n_clusters=4, n_init=10, random_state=42)" in out
    assert "clear elbow at k=4; silhouette agrees" in out
    assert sum(line.endswith(" points") for line in out.splitlines()) == 4


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--max-k", "1"], "kmlab demo: error: Invalid value for '--max-k'"),
        (["demo", "--bogus"], "kmlab demo: error: No such option '--bogus'"),
        (["no-such-command"], "kmlab: error: No such command 'no-such-command'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "Commands:" in capsys.readouterr().err


def test_version_and_help_exit_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("kmlab ")
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "warmup" in out


def test_installed_command_runs():
    completed = subprocess.run(
        [sys.executable, "-m", "kmlab", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("kmlab ")


def test_atomic_file_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_directory_moves_everything_or_nothing(tmp_path):
    out = tmp_path / "results"
    with pytest.raises(RuntimeError):
        with atomic_directory(out) as tmp:
            (tmp / "a.csv").write_text("1")
            raise RuntimeError("failed half way")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []

    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with atomic_directory(out) as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.csv").write_text("2")
        (tmp / "a.csv").write_text("1")
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["a.csv", "keep.txt", "sub", "sub/b.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_atomic_directory_refuses_a_file(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(CommandError, match="exists and is not a folder"):
        with atomic_directory(tmp_path / "taken"):
            pass
