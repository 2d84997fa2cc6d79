"""benchmarks.ab: two versions of kmlab timed in turns in one process (the protocol, no speeds)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kmlab
from benchmarks import ab

REPOSITORY = Path(__file__).resolve().parents[1]


def test_summary_pairs_the_rounds_times():
    times = {"kmlab": [1.0, 2.0, 6.0], ab.BASE_NAME: [2.0, 2.0, 4.0]}
    summary = ab.summarize(times)
    assert summary["ratio_median"] == 1.0
    assert (summary["ratio_min"], summary["ratio_max"], summary["rounds"]) == (0.5, 1.5, 3)
    assert summary["median_s"] == {"kmlab": 2.0, ab.BASE_NAME: 2.0}


def recording_calls(results):
    order = []

    def call(name):
        order.append(name)
        return results[name]

    return {name: (lambda name=name: call(name)) for name in results}, order


def test_rounds_alternate_the_order_after_an_untimed_call_each():
    same = (np.arange(3), np.ones((2, 2)))
    calls, order = recording_calls({"head": same, "base": tuple(a.copy() for a in same)})
    times, agree = ab.paired_rounds(calls, rounds=3)
    assert order == ["head", "base", "head", "base", "base", "head", "head", "base"]
    assert {name: len(values) for name, values in times.items()} == {"head": 3, "base": 3}
    assert agree


def test_different_answers_are_reported():
    calls, _ = recording_calls({"head": (np.arange(3),), "base": (np.array([0, 1, 3]),)})
    assert not ab.paired_rounds(calls, rounds=1)[1]


@pytest.fixture
def unload_base():
    yield
    for name in [name for name in sys.modules if name == ab.BASE_NAME or name.startswith(ab.BASE_NAME + ".")]:
        del sys.modules[name]


def test_a_copied_package_loads_under_its_own_name(unload_base):
    base = ab.load_base(ab.base_directory(str(Path(kmlab.__file__).parent)))
    assert base.__name__ == ab.BASE_NAME and base is not kmlab
    assert base.KMeans is not kmlab.KMeans
    assert Path(base.__file__).parent.name == ab.BASE_NAME
    with pytest.raises(RuntimeError, match="already loaded"):
        ab.load_base(Path(base.__file__).parents[1])


def test_a_revision_is_exported_once(tmp_path, monkeypatch):
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True).returncode != 0:
        pytest.skip("the checkout has no git metadata")
    monkeypatch.chdir(REPOSITORY)
    directory = ab.export_revision("HEAD", exports=tmp_path)
    assert (directory / ab.BASE_NAME / "_kernels" / "lloyd.py").is_file()
    assert [path.name for path in tmp_path.iterdir()] == [directory.name]  # no staging left
    archives = []
    real_run = subprocess.run
    monkeypatch.setattr(ab.subprocess, "run", lambda command, **kw: archives.append(command) or real_run(command, **kw))
    assert ab.export_revision("HEAD", exports=tmp_path) == directory
    assert not [command for command in archives if "archive" in command]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["no-such-revision-xyz", "--cases", "tutorial"], "neither a directory nor a git revision"),
        ([str(REPOSITORY / "docs"), "--cases", "tutorial"], "not a kmlab package"),
    ],
)
def test_a_base_that_is_no_kmlab_is_named(argv, message, monkeypatch, capsys):
    monkeypatch.chdir(REPOSITORY)
    assert ab.main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["HEAD", "--cases", "tutorial,nope"], "unknown cases: nope"),
        (["HEAD", "--rounds", "0"], "--rounds must be at least 1"),
        (["HEAD", "--max-iter", "0"], "--max-iter must be at least 1"),
        (["HEAD", "--what", "kmeans_plusplus", "--max-iter", "5"], "fit only"),
    ],
)
def test_bad_options_are_named(argv, message, capsys):
    with pytest.raises(SystemExit):
        ab.parse_args(argv)
    assert message in capsys.readouterr().err
