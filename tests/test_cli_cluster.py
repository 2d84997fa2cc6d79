"""``kmlab cluster``, ``kmlab select-k`` and ``kmlab predict`` on tables written by the tests."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from kmlab.cli import main
from kmlab.io import load, model_class

# Four planted customer segments: (income in dollars, age in years).
SEGMENTS = [(40_000, 25), (40_000, 60), (80_000, 25), (80_000, 60)]


def customers(seed, n_per_segment=80):
    """Income varies by thousands of dollars, age by years: unscaled, income's noise drowns age."""
    rng = np.random.default_rng(seed)
    parts = []
    for segment, (income, age) in enumerate(SEGMENTS):
        parts.append(pd.DataFrame({
            "customer": [f"c{segment}-{i}" for i in range(n_per_segment)],
            "income": rng.normal(income, 5_000, n_per_segment).round(2),
            "age": rng.normal(age, 2.5, n_per_segment).round(1),
            "city": rng.choice(["Lyon", "Oslo"], n_per_segment),
            "segment": segment,
        }))  # fmt: skip
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def run(capsys, *argv):
    """``kmlab ARGV`` in this process: (exit code, stdout, stderr)."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "customers.csv"
    customers(0).to_csv(path, index=False)
    return path


def test_customer_segments_recovered_and_predicted_alike(tmp_path, capsys, seed):
    data = tmp_path / "customers.csv"
    frame = customers(seed)
    frame.to_csv(data, index=False)
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "cluster", data, "--columns", "income,age", "--k", "auto", "-o", out)
    assert code == 0, stderr
    assert re.search(r"^K = 4 \(", stdout, re.MULTILINE)
    rows = pd.read_csv(out / "rows.csv")
    pd.testing.assert_frame_equal(rows.drop(columns="cluster"), frame)
    assert adjusted_rand_score(frame["segment"], rows["cluster"]) == 1.0

    # Centres in dollars and years, near the planted ones.
    centers = pd.read_csv(out / "centers.csv")
    planted = np.array(SEGMENTS, dtype=float)
    found = centers[["income", "age"]].to_numpy()
    order = [np.argmin(np.abs(found / point - 1).sum(axis=1)) for point in planted]
    assert sorted(order) == [0, 1, 2, 3]
    np.testing.assert_allclose(found[order], planted, rtol=0.03)

    # The saved model, in a new process, gives the same labels to the raw rows.
    completed = subprocess.run(
        [sys.executable, "-m", "kmlab", "predict", out / "model.kmlab", data, "-o", tmp_path / "assigned.parquet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assigned = pd.read_parquet(tmp_path / "assigned.parquet")
    assert np.array_equal(assigned["cluster"].to_numpy(), rows["cluster"].to_numpy())


def test_without_scaling_income_drowns_age(table, tmp_path, capsys):
    code, _, stderr = run(capsys, "cluster", table, "--columns", "income,age", "--scale", "none", "--k", "4",
                          "--criteria", "elbow", "-o", tmp_path / "raw")  # fmt: skip
    assert code == 0, stderr
    rows = pd.read_csv(tmp_path / "raw" / "rows.csv")
    assert adjusted_rand_score(rows["segment"], rows["cluster"]) < 0.7
    # The unscaled model still takes the table's columns by name.
    assert list(load(tmp_path / "raw" / "model.kmlab").feature_names_in_) == ["income", "age"]


def test_outputs_and_report(table, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "cluster", table, "-o", out, "--k-range", "2..6", "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    # Numeric columns by default; the others are named as skipped.
    assert summary["features"] == ["income", "age", "segment"]
    assert summary["skipped_columns"] == ["customer", "city"]
    assert summary["k_chosen_by"] == "auto" and summary["k"] == summary["selection"]["best_k"]
    assert summary == json.loads((out / "summary.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["rows.csv", "centers.csv", "profile.csv", "report.md", "report.html", "model.kmlab", "summary.json"]
    )
    assert [p.name for p in tmp_path.iterdir()] == ["customers.csv", "out"]  # no temporary left

    profile = pd.read_csv(out / "profile.csv")
    assert profile["size"].sum() == 320 and np.isclose(profile["share"].sum(), 1.0)
    rows = pd.read_csv(out / "rows.csv")
    for _, entry in profile.iterrows():
        members = rows[rows["cluster"] == entry["cluster"]]
        assert entry["income_mean"] == pytest.approx(members["income"].mean())
        assert entry["age_median"] == pytest.approx(members["age"].median())
    assert {"income_smd", "age_smd", "distinguishing"} <= set(profile.columns)
    clusters = summary["clusters"]
    assert [entry["size"] for entry in clusters] == profile["size"].tolist()
    assert all(len(entry["distinguishing"]) == 3 for entry in clusters)

    html = (out / "report.html").read_text()
    markdown = (out / "report.md").read_text()
    # Self-contained: charts embedded, nothing fetched.
    # The elbow, the criteria, the 2-D view and the silhouette.
    assert html.count('<img src="data:image/png;base64,') == 4
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html) and "<script" not in html and "<link" not in html
    assert markdown.count("](data:image/png;base64,") == 4
    assert "## Number of clusters" in markdown and "distinguishing features" in markdown


def test_given_k_and_other_formats(tmp_path, capsys):
    frame = customers(1)
    for name, writer in (("c.tsv", lambda p: frame.to_csv(p, sep="\t", index=False)), ("c.parquet", frame.to_parquet)):
        writer(tmp_path / name)
        out = tmp_path / f"out-{name}"
        code, stdout, stderr = run(capsys, "cluster", tmp_path / name, "--columns", "income,age", "--k", "3",
                                   "-o", out, "--quiet")  # fmt: skip
        assert code == 0, stderr
        assert stdout == "" and stderr == ""
        summary = json.loads((out / "summary.json").read_text())
        assert summary["k"] == 3 and summary["k_chosen_by"] == "user"
        suffix = name.split(".")[1]
        rows = pd.read_parquet(out / "rows.parquet") if suffix == "parquet" else pd.read_csv(out / "rows.tsv", sep="\t")
        assert sorted(rows["cluster"].unique()) == [0, 1, 2]


@pytest.mark.parametrize("algorithm, name", [("minibatch", "MiniBatchKMeans"), ("kmedoids", "KMedoids")])
def test_other_algorithms(table, tmp_path, capsys, algorithm, name):
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "cluster", table, "--columns", "income,age", "--algorithm", algorithm,
                               "--k-range", "2..6", "--criteria", "elbow,silhouette", "-o", out)  # fmt: skip
    if model_class(f"kmlab.{name}") is None:
        assert code == 1 and f"needs kmlab.{name}, which this kmlab does not have" in stderr
        return
    assert code == 0, stderr
    rows = pd.read_csv(out / "rows.csv")
    assert adjusted_rand_score(rows["segment"], rows["cluster"]) > 0.95
    assert type(load(out / "model.kmlab")[-1]).__name__ == name


def test_missing_values(tmp_path, capsys):
    frame = customers(2)
    frame.loc[[4, 9], "income"] = np.nan
    frame.loc[9, "age"] = np.nan
    data = tmp_path / "holes.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "cluster", data, "--columns", "income,age", "-o", out)
    assert code == 1 and stdout == ""
    assert stderr == (
        "kmlab cluster: error: missing or infinite values in 2 rows: column income in rows 5, 10; column age in row 10 "
        "(rows counted from 1 after the header); fill them, or pass --drop-missing to leave those rows out\n"
    )
    assert not out.exists()

    code, stdout, stderr = run(capsys, "cluster", data, "--columns", "income,age", "--drop-missing", "--k", "4", "-o", out)
    assert code == 0, stderr
    assert "left out 2 rows with missing values" in stdout
    rows = pd.read_csv(out / "rows.csv")
    assert rows["cluster"].isna().tolist() == [i in (4, 9) for i in range(len(frame))]

    # predict refuses the same rows, or leaves them without a cluster.
    model = out / "model.kmlab"
    code, _, stderr = run(capsys, "predict", model, data, "-o", tmp_path / "p.csv")
    assert code == 1 and "column income in rows 5, 10" in stderr and "--drop-missing" in stderr
    code, stdout, stderr = run(capsys, "predict", model, data, "-o", tmp_path / "p.csv", "--drop-missing", "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["n_rows_assigned"] == len(frame) - 2
    pd.testing.assert_series_equal(pd.read_csv(tmp_path / "p.csv")["cluster"], rows["cluster"])


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["--k", "0"], 2, "Invalid value for '--k': 0 clusters"),
        (["--k", "many"], 2, "Invalid value for '--k': 'many' is neither"),
        (["--k-range", "a..b"], 2, "Invalid value for '--k-range'"),
        (["--k-range", "5..5"], 2, "give at least two different numbers"),
        (["--scale", "log"], 2, "Invalid value for '--scale'"),
        (["--criteria", "elbow,vibes"], 2, "unknown criterion vibes"),
        (["--columns", "income,salary"], 1, "no column named 'salary'"),
        (["--columns", "city"], 1, "column 'city' is not numeric"),
        (["--k", "500"], 1, "--k 500 needs at least 500 rows; the data has 320"),
    ],
)
def test_cluster_errors_are_one_line(table, tmp_path, capsys, argv, code, message):
    out = tmp_path / "out"
    returned, _, stderr = run(capsys, "cluster", table, "-o", out, *argv)
    assert returned == code
    assert stderr.startswith("kmlab cluster: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert not out.exists()


def test_unreadable_inputs(tmp_path, capsys):
    code, _, stderr = run(capsys, "cluster", tmp_path / "none.csv", "-o", tmp_path / "out")
    assert code == 1 and "No such file or directory" in stderr and stderr.count("\n") == 1
    (tmp_path / "data.xlsx").write_text("x")
    code, _, stderr = run(capsys, "cluster", tmp_path / "data.xlsx", "-o", tmp_path / "out")
    assert code == 1 and "cannot tell the format of" in stderr
    assert run(capsys, "cluster", tmp_path / "data.xlsx")[0] == 2  # -o is required


def test_select_k(table, tmp_path, capsys):
    code, stdout, stderr = run(capsys, "select-k", table, "--columns", "income,age", "--k-range", "2..7")
    assert code == 0, stderr
    assert "silhouette" in stdout and "calinski_harabasz" in stdout
    assert "best k: 4 (" in stdout

    out = tmp_path / "choice"
    code, stdout, stderr = run(capsys, "select-k", table, "--columns", "income,age", "--k-range", "2,3,4,6",
                               "--criteria", "elbow,silhouette", "-o", out, "--json")  # fmt: skip
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["selection"]["k_values"] == [2, 3, 4, 6]
    assert summary["selection"]["recommended"] == {"elbow": 4, "silhouette": 4}
    assert set(summary["selection"]) == {"k_values", "inertia", "silhouette", "recommended", "best_k", "verdict"}
    scores = pd.read_csv(out / "scores.csv")
    assert scores["k"].tolist() == [2, 3, 4, 6]
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 2


def test_predict_errors(table, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(capsys, "cluster", table, "--columns", "income,age", "--k", "4", "--criteria", "elbow", "-o", out)[0] == 0
    model = out / "model.kmlab"
    customers(3)[["customer", "age"]].to_csv(tmp_path / "no_income.csv", index=False)
    code, _, stderr = run(capsys, "predict", model, tmp_path / "no_income.csv", "-o", tmp_path / "p.csv")
    assert code == 1
    assert stderr.startswith("kmlab predict: error: ") and "does not fit the model model.kmlab: no column named 'income'" in stderr
    (tmp_path / "broken.kmlab").write_bytes(model.read_bytes()[:100])
    code, _, stderr = run(capsys, "predict", tmp_path / "broken.kmlab", table, "-o", tmp_path / "p.csv")
    assert code == 1 and "not a kmlab model file" in stderr and stderr.count("\n") == 1
    assert not (tmp_path / "p.csv").exists()

    # Reordered columns and extra ones: found by name.
    shuffled = customers(4)[["city", "age", "customer", "income"]]
    shuffled.to_csv(tmp_path / "new.csv", index=False)
    code, stdout, stderr = run(capsys, "predict", model, tmp_path / "new.csv", "-o", tmp_path / "new_out.csv")
    assert code == 0, stderr
    assert stdout.startswith("kmlab predict: 320 of 320 rows assigned; cluster sizes [")
    expected = load(model).predict(shuffled[["income", "age"]])
    assert np.array_equal(pd.read_csv(tmp_path / "new_out.csv")["cluster"].to_numpy(), expected)


def test_commands_are_listed_and_light():
    code = (
        "import sys; from kmlab.cli import main; import kmlab.cli.cluster, kmlab.cli.model; main(['--help']); "
        "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'fastapi', 'matplotlib') if m in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    for command in ("cluster", "predict", "select-k", "serve"):
        assert re.search(rf"^  {command} ", completed.stdout, re.MULTILINE)
    # numpy may come with other commands' modules; the heavy stack does not come with these.
    assert set(eval(completed.stdout.splitlines()[-1])) <= {"numpy"}
