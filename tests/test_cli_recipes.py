"""The recipe commands, driven through the real command line."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_sample_image
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from test_anomaly import blobs_with_outliers
from test_recipes_docs import topic_corpus

from kmlab.cli import main
from kmlab.recipes import quantize


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "photo.png"
    Image.fromarray(load_sample_image("china.jpg")[100:180, 200:320]).save(path)
    return path


def test_quantize_writes_the_image_and_prints_the_palette(photo_file, tmp_path, capsys):
    out = tmp_path / "small.png"
    assert main(["quantize", str(photo_file), "--colors", "5", "-o", str(out), "--preview", "--seed", "3"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{out}: 5 colours (from ")
    with Image.open(out) as image, Image.open(photo_file) as original:
        written = np.asarray(image.convert("RGB"))
        expected = quantize(np.asarray(original.convert("RGB")), 5, random_state=3)
    np.testing.assert_array_equal(written, expected.image)
    assert [line.split()[0] for line in printed[1:]] == expected.hex_palette()
    with Image.open(tmp_path / "small-preview.png") as preview:
        assert preview.size == (2 * written.shape[1], written.shape[0])


def test_quantize_to_jpeg_with_dithering(photo_file, tmp_path, capsys):
    out = tmp_path / "dithered.jpg"
    assert main(["quantize", str(photo_file), "--colors", "4", "-o", str(out), "--dither", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    with Image.open(out) as image:
        assert image.format == "JPEG"


@pytest.mark.parametrize(
    "make_args, code, message",
    [
        (lambda d, p: ["quantize", str(d / "missing.png"), "--colors", "4", "-o", str(d / "o.png")], 1, "no such image"),
        (lambda d, p: ["quantize", str(p), "--colors", "4", "-o", str(d / "o.xyz")], 1, "unknown image format"),
        (lambda d, p: ["quantize", str(d / "broken.png"), "--colors", "4", "-o", str(d / "o.png")], 1, "cannot read"),
        (lambda d, p: ["quantize", str(p), "--colors", "0", "-o", str(d / "o.png")], 2, "--colors"),
        (lambda d, p: ["quantize", str(p), "-o", str(d / "o.png")], 2, "--colors"),
    ],
    ids=["missing", "format", "broken", "zero-colours", "no-colours"],
)
def test_quantize_errors(photo_file, tmp_path, capsys, make_args, code, message):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    assert main(make_args(tmp_path, photo_file)) == code
    err = capsys.readouterr().err
    assert err.startswith("kmlab quantize: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "o.xyz").exists()


# --- kmlab docs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus(5)


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory, corpus):
    """The corpus as .txt and .md files in nested folders, plus an empty file and files that are not documents."""
    folder = tmp_path_factory.mktemp("corpus")
    texts, truth = corpus
    names = []
    for i, text in enumerate(texts):
        name = f"{'notes/' if i % 2 else ''}doc{i:03d}.{'md' if i % 3 == 0 else 'txt'}"
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text)
        names.append(name)
    (folder / "blank.txt").write_text("\n")
    (folder / "index.csv").write_text("not,a,document\n")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "draft.txt").write_text("rocket orbit planet")
    return folder, dict(zip(names, truth))


def test_docs_on_a_folder_recovers_the_topics(corpus_folder, tmp_path, capsys):
    folder, truth = corpus_folder
    out = tmp_path / "topics"
    assert main(["docs", str(folder), "-o", str(out), "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "K = 5 (" in printed and "1 documents have no terms" in printed
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["documents.csv", "clusters.csv", "report.md", "report.html", "summary.json"]
    )
    documents = pd.read_csv(out / "documents.csv", keep_default_na=False)
    assert list(documents.columns) == ["file", "cluster", "similarity", "note"]
    assert sorted(documents["file"]) == sorted([*truth, "blank.txt"])
    blank = documents[documents["file"] == "blank.txt"].iloc[0]
    assert blank["cluster"] == "" and blank["similarity"] == "" and blank["note"].startswith("no terms")
    clustered = documents[documents["file"] != "blank.txt"]
    assert adjusted_rand_score([truth[name] for name in clustered["file"]], clustered["cluster"].astype(int)) >= 0.9
    assert (clustered["note"] == "").all()

    clusters = pd.read_csv(out / "clusters.csv")
    assert list(clusters.columns) == ["cluster", "size", "top_terms"] and len(clusters) == 5
    assert clusters["size"].sum() == len(truth)
    report = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for j, terms in enumerate(clusters["top_terms"]):
        assert terms in report and f"Cluster {j}: " in html
    assert "blank.txt" in report and "data:image/png;base64," in html
    summary = json.loads((out / "summary.json").read_text())
    assert summary["k"] == 5 and summary["k_chosen_by"] == "auto" and summary["n_without_terms"] == 1
    top = summary["clusters"][0]["representatives"][0]
    assert top["file"] in truth and top["similarity"] > 0


def test_docs_on_a_table_column(corpus, tmp_path, capsys):
    texts, truth = corpus
    table = tmp_path / "posts.tsv"
    pd.DataFrame({"id": range(len(texts)), "title": [t[:15] for t in texts], "body": texts}).to_csv(
        table, sep="\t", index=False
    )
    out = tmp_path / "out"
    assert main(["docs", str(table), "--text-column", "body", "--k", "5", "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source"] == "column body of posts.tsv" and summary["k_chosen_by"] == "user"
    assert "selection" not in summary
    documents = pd.read_csv(out / "documents.csv")
    assert list(documents["row"]) == list(range(1, len(texts) + 1))
    assert adjusted_rand_score(truth, documents["cluster"]) >= 0.9
    # Without --text-column: the first text column, and the command says which.
    assert main(["docs", str(table), "--k", "5", "-o", str(tmp_path / "titles"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    report = (tmp_path / "titles" / "report.md").read_text()
    assert "column `title` of `posts.tsv` (the first of the text columns title, body" in report


@pytest.mark.parametrize(
    "make_args, code, message",
    [
        (lambda d: ["docs", str(d / "nowhere"), "-o", str(d / "out")], 1, "no such file or folder"),
        (lambda d: ["docs", str(d / "numbers.csv"), "-o", str(d / "out")], 1, "has no text column"),
        (lambda d: ["docs", str(d / "texts.csv"), "--text-column", "body", "-o", str(d / "out")], 1,
         "no column named 'body'"),
        (lambda d: ["docs", str(d / "texts.csv"), "--text-column", "n", "-o", str(d / "out")], 1, "does not hold text"),
        (lambda d: ["docs", str(d / "no_documents"), "-o", str(d / "out")], 1, "no .txt or .md files"),
        (lambda d: ["docs", str(d / "blank_documents"), "-o", str(d / "out")], 1, "documents of"),
        (lambda d: ["docs", str(d / "header.csv"), "-o", str(d / "out")], 1, "has no rows"),
        (lambda d: ["docs", str(d / "texts.csv"), "--k", "9", "-o", str(d / "out")], 1, "n_clusters=9"),
        (lambda d: ["docs", str(d / "texts.csv"), "--k", "none", "-o", str(d / "out")], 2, "--k"),
    ],
    ids=["missing", "no-text-column", "unknown-column", "numeric-column", "empty-folder", "blank-documents",
         "no-rows", "too-many-clusters", "bad-k"],
)  # fmt: skip
def test_docs_errors(tmp_path, capsys, make_args, code, message):
    pd.DataFrame({"n": [1, 2, 3], "x": [0.5, 1.5, 2.5]}).to_csv(tmp_path / "numbers.csv", index=False)
    pd.DataFrame({"n": [1, 2, 3], "text": ["red apple", "green apple", "red cherry"]}).to_csv(
        tmp_path / "texts.csv", index=False
    )
    (tmp_path / "header.csv").write_text("text\n")
    (tmp_path / "no_documents").mkdir()
    (tmp_path / "no_documents" / "data.csv").write_text("a\n1\n")
    (tmp_path / "blank_documents").mkdir()
    for name in ("a.txt", "b.md"):
        (tmp_path / "blank_documents" / name).write_text("  \n")
    assert main(make_args(tmp_path)) == code
    err = capsys.readouterr().err
    assert err.startswith("kmlab docs: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".part")]


# --- kmlab anomalies ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outlier_table(tmp_path_factory):
    X, truth = blobs_with_outliers(11)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    frame.insert(0, "name", [f"row{i}" for i in range(len(frame))])
    path = tmp_path_factory.mktemp("tables") / "measurements.csv"
    frame.to_csv(path, index=False)
    return path, truth


def test_anomalies_flags_the_outliers(outlier_table, tmp_path, capsys):
    path, truth = outlier_table
    out = tmp_path / "found"
    assert main(["anomalies", str(path), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "skipped non-numeric: name" in printed and "K = 4 (" in printed
    rows = pd.read_csv(out / "rows.csv")
    assert list(rows.columns[-3:]) == ["cluster", "score", "is_anomaly"] and len(rows) == len(truth)
    assert roc_auc_score(truth, rows["score"]) >= 0.95
    assert rows["is_anomaly"].sum() == pytest.approx(0.01 * len(rows), abs=1.5)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_anomalies"] == rows["is_anomaly"].sum()
    assert (rows["score"][rows["is_anomaly"]] > summary["threshold"]).all()
    assert (rows["score"][~rows["is_anomaly"]] <= summary["threshold"]).all()
    # The report's top rows are the highest scores, numbered from 1 after the header.
    top_rows = [entry["row"] for entry in summary["most_anomalous"]]
    assert top_rows == list(rows["score"].sort_values(ascending=False, kind="stable").index[:10] + 1)
    report = (out / "report.md").read_text()
    assert f"**{summary['n_anomalies']} of {len(rows):,} rows flagged**" in report
    assert report.count("data:image/png;base64,") == 3  # elbow, the rows in the plane, the scores


def test_anomalies_with_missing_values_given_k_and_no_scaling(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(0, 1, 200), "b": rng.normal(0, 1, 200)})
    frame.loc[3, "a"] = np.nan
    frame.loc[7] = [9.0, 9.0]
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    args = ["anomalies", str(path), "--k", "1", "--scale", "none", "--contamination", "0.005", "-o", str(tmp_path / "o")]
    assert main(args) == 1
    assert "--drop-missing" in capsys.readouterr().err and not (tmp_path / "o").exists()
    assert main([*args, "--drop-missing", "--quiet"]) == 0
    rows = pd.read_parquet(tmp_path / "o" / "rows.parquet")
    assert pd.isna(rows.loc[3, "score"]) and pd.isna(rows.loc[3, "is_anomaly"])
    assert rows.loc[rows["is_anomaly"].fillna(False).astype(bool)].index.tolist() == [7]
    center = frame.drop(index=3).mean()
    distance = np.sqrt(((frame.loc[7] - center) ** 2).sum())
    spread = np.sqrt(((frame.drop(index=3) - center) ** 2).sum(axis=1).mean())
    assert rows.loc[7, "score"] == pytest.approx(distance / spread)


@pytest.mark.parametrize(
    "extra, code, message",
    [
        (["--columns", "x0,nope"], 1, "no column named 'nope'"),
        (["--columns", "name"], 1, "not numeric"),
        (["--contamination", "0.7"], 2, "--contamination"),
        (["--k", "5000"], 1, "n_clusters=5000"),
    ],
    ids=["unknown-column", "text-column", "contamination", "too-many-clusters"],
)
def test_anomalies_errors(outlier_table, tmp_path, capsys, extra, code, message):
    path, _ = outlier_table
    assert main(["anomalies", str(path), "-o", str(tmp_path / "out"), *extra]) == code
    err = capsys.readouterr().err
    assert err.startswith("kmlab anomalies: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
