"""The model service over real loopback HTTP: uvicorn in a thread, httpx as the client."""

import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler
from subprocesses import default_sigint

from kmlab import KMeans
from kmlab.cli import main
from kmlab.io import LOADABLE_CLASSES, load, model_class, save
from kmlab.serve import Predictor, _csv_rows, bind, create_app, server

FEATURES = ["income", "age", "visits", "tenure"]


def _frame(seed, n=300):
    rng = np.random.default_rng(seed)
    scales = np.array([20_000.0, 15.0, 4.0, 3.0])
    centres = rng.normal(size=(4, 4)) * scales * 3 + np.array([60_000.0, 45.0, 10.0, 5.0])
    values = centres[rng.integers(0, 4, n)] + rng.normal(size=(n, 4)) * scales
    return pd.DataFrame(values, columns=FEATURES)


class Running:
    """A uvicorn server in a thread on a free loopback port."""

    def __init__(self, app):
        sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = server(app, log_level="warning")
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def stop(self):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    frame = _frame(0)
    model = make_pipeline(StandardScaler(), KMeans(n_clusters=4, random_state=0)).fit(frame)
    path = save(model, tmp_path_factory.mktemp("model") / "customers.kmlab")
    running = Running(create_app(path))
    yield running, model, path
    running.stop()


def _expected(model, frame):
    """The model's own labels, and the distances to the assigned centres after its scaler."""
    labels = model.predict(frame[FEATURES])
    scaled = model[:-1].transform(frame[FEATURES])
    distances = np.linalg.norm(scaled - model[-1].cluster_centers_[labels], axis=1)
    return labels, distances


def test_health_model_and_docs(served):
    running, model, path = served
    assert running.client.get("/health").json() == {"status": "ok"}
    info = running.client.get("/model").json()
    assert info["class"] == "kmlab.KMeans" and info["n_clusters"] == 4 and info["n_features"] == 4
    assert info["feature_names"] == FEATURES and info["scaler"] == "StandardScaler"
    assert info["params"]["random_state"] == 0
    np.testing.assert_allclose(info["centers"], model[0].inverse_transform(model[-1].cluster_centers_))
    assert info["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info["file"]["format_version"] == 1 and info["file"]["name"] == "customers.kmlab"

    docs = running.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    schema = running.client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    record = body["application/json"]["schema"]["properties"]["rows"]["items"]["oneOf"][1]
    assert record["required"] == FEATURES
    assert {"200", "400", "413", "415", "422"} <= set(schema["paths"]["/predict"]["post"]["responses"])


def test_predict_lists_records_and_csv_agree_with_the_model(served):
    running, model, _ = served
    frame = _frame(1, n=200)
    labels, distances = _expected(model, frame)
    answers = [
        running.client.post("/predict", json={"rows": frame.to_numpy().tolist()}),
        # Records: keys in any order, keys the model does not use are ignored.
        running.client.post("/predict", json={"rows": [
            {"id": i, **dict(reversed(list(row.items())))} for i, row in enumerate(frame.to_dict("records"))
        ]}),  # fmt: skip
        # CSV: columns found by name, others ignored.
        running.client.post(
            "/predict",
            content=frame[FEATURES[::-1]].assign(name="x").to_csv(index=False),
            headers={"content-type": "text/csv; charset=utf-8"},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["clusters"] == labels.tolist()
        np.testing.assert_allclose(result["distances"], distances, rtol=1e-12)


def test_csv_rows_come_in_the_order_the_kernels_take(served):
    # C order and writable: the predictor scales them in place, and numba would compile
    # every assignment kernel again for column-major rows (25 s at a first request).
    frame = _frame(2, n=7)
    for body in (frame.to_csv(index=False), frame[FEATURES[::-1]].assign(name="x").to_csv(index=False)):
        rows = _csv_rows(body.encode(), FEATURES, len(FEATURES))
        assert rows.dtype == np.float64 and rows.flags.c_contiguous and rows.flags.writeable
        assert_array_equal(rows, frame[FEATURES].to_numpy())


def test_integer_rows_and_one_row(served):
    running, model, _ = served
    frame = _frame(2, n=1).round(0)
    answer = running.client.post("/predict", json={"rows": [[int(v) for v in frame.to_numpy()[0]]]})
    assert answer.status_code == 200
    assert answer.json()["clusters"] == model.predict(frame).tolist()


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"rows": [[1.0, 2.0, 3.0]]}, 422, "row 0 has 3 values; the model takes 4 (income, age, visits, tenure)"),
        ({"rows": [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0]]}, 422, "row 1 has 5 values"),
        ({"rows": [[1.0, "2", 3.0, 4.0]]}, 422, 'row 0, value 1 (age) is "2"; expected a number'),
        ({"rows": [[1.0, 2.0, None, 4.0]]}, 422, "row 0, value 2 (visits) is null; expected a number"),
        ({"rows": [[1.0, 2.0, 3.0, True]]}, 422, "row 0, value 3 (tenure) is true; expected a number"),
        ('{"rows": [[1.0, NaN, 3.0, 4.0]]}', 422, "row 0, value 1 (age) is nan; only finite numbers"),
        ('{"rows": [[1.0, 2.0, Infinity, 4.0]]}', 422, "row 0, value 2 (visits) is inf"),
        ('{"rows": [[1, 2, 3, 1' + "0" * 400 + "]]}", 422, "row 0, value 3 (tenure) is an integer too large"),
        ({"rows": [[1, 2, [3], 4]]}, 422, "row 0, value 2 (visits) is a list; expected a number"),
        ({"rows": []}, 422, '"rows" is empty'),
        ({"data": [[1, 2, 3, 4]]}, 422, 'must be an object with a "rows" list'),
        ({"rows": [[1, 2, 3, 4]], "extra": 1}, 422, "unexpected keys ['extra']"),
        ({"rows": "1,2,3,4"}, 422, '"rows" must be a list of rows, not a string'),
        ({"rows": [[1, 2, 3, 4], {"income": 1}]}, 422, "row 1 is an object; send every row as a list"),
        ({"rows": [{"income": 1, "age": 2, "visits": 3, "tenure": 4}, [1, 2, 3, 4]]}, 422, "row 1 is a list"),
        ([[1, 2, 3, 4]], 422, 'must be an object with a "rows" list'),
        ({"rows": [{"income": 1, "age": 2, "visits": 3}]}, 422, "row 0 has no 'tenure'"),
        ({"rows": [{"income": 1, "age": "old", "visits": 3, "tenure": 4}]}, 422, "row 0, 'age' is \"old\""),
        ('{"rows": [[1, 2', 400, "the body is not valid JSON"),
        ("", 400, "the body is not valid JSON"),
    ],
)
def test_bad_json_gets_a_clear_4xx(served, body, status, message):
    running, _, _ = served
    content = body if isinstance(body, str) else json.dumps(body)
    answer = running.client.post("/predict", content=content, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert message in answer.json()["detail"]


@pytest.mark.parametrize(
    "body, status, message",
    [
        ("income,age,visits\n1,2,3\n", 422, "the CSV has no column 'tenure'"),
        ("income,age,visits,tenure\n1,abc,3,4\n", 422, "CSV column 'age' holds \"abc\" in row 1"),
        ("income,age,visits,tenure\n1,2,,4\n5,6,7,8\n", 422, "missing or infinite values in 1 row: column visits in row 1"),
        ("income,age,visits,tenure\n", 422, "the CSV body has no rows"),
        ("", 400, "the body is not CSV"),
    ],
)
def test_bad_csv_gets_a_clear_4xx(served, body, status, message):
    running, _, _ = served
    answer = running.client.post("/predict", content=body, headers={"content-type": "text/csv"})
    assert answer.status_code == status
    assert message in answer.json()["detail"]


def test_other_content_types_and_too_many_rows(served, tmp_path):
    running, model, _ = served
    answer = running.client.post("/predict", content="1,2,3,4", headers={"content-type": "text/plain"})
    assert answer.status_code == 415 and "send application/json or text/csv" in answer.json()["detail"]
    small = Running(create_app(model, max_rows=2))
    try:
        answer = small.client.post("/predict", json={"rows": [[1, 2, 3, 4]] * 3})
        assert answer.status_code == 413 and answer.json() == {"detail": "3 rows; send at most 2 per request"}
        # An in-memory model has no file to describe.
        assert small.client.get("/model").json()["file"] is None
    finally:
        small.stop()


def test_model_without_column_names(tmp_path):
    X = _frame(3).to_numpy()
    model = KMeans(n_clusters=3, random_state=0).fit(X)
    running = Running(create_app(save(model, tmp_path / "plain.kmlab")))
    try:
        answer = running.client.post("/predict", json={"rows": X[:5].tolist()})
        assert answer.json()["clusters"] == model.predict(X[:5]).tolist()
        answer = running.client.post("/predict", json={"rows": [{"a": 1}]})
        assert answer.status_code == 422 and "fitted without column names" in answer.json()["detail"]
        csv = pd.DataFrame(X[:5], columns=list("abcd")).to_csv(index=False)
        answer = running.client.post("/predict", content=csv, headers={"content-type": "text/csv"})
        assert answer.json()["clusters"] == model.predict(X[:5]).tolist()
    finally:
        running.stop()


def test_missing_fastapi_says_how_to_install(monkeypatch, tmp_path):
    path = save(KMeans(n_clusters=2, random_state=0).fit(_frame(2)), tmp_path / "m.kmlab")
    monkeypatch.setitem(sys.modules, "fastapi", None)
    with pytest.raises(ImportError, match=r'kmlab.serve needs FastAPI and uvicorn \(fastapi is missing\): '
                                          r'pip install "kmlab\[serve\]"'):  # fmt: skip
        create_app(path)


def _models():
    """(model, rows) for every clusterer and scaler the service may get."""
    frame = _frame(4)
    cases = []
    for key in LOADABLE_CLASSES:
        cls = model_class(key)
        if key.startswith("kmlab.") and cls is not None:
            for scaler in (StandardScaler(), RobustScaler()):
                cases.append(pytest.param(make_pipeline(scaler, cls(n_clusters=4, random_state=0)), frame,
                                          id=f"{type(scaler).__name__}-{cls.__name__}"))  # fmt: skip
    cases.append(pytest.param(KMeans(n_clusters=4, random_state=0), frame, id="bare-KMeans"))
    cases.append(pytest.param(KMeans(n_clusters=4, random_state=0), frame.to_numpy(np.float32), id="float32-KMeans"))
    return cases


@pytest.mark.parametrize("model, X", _models())
def test_predictor_gives_the_models_labels_bit_for_bit(tmp_path, model, X):
    model.fit(X)
    loaded = load(save(model, tmp_path / "m.kmlab"))
    # Requests (JSON or CSV numbers) arrive as float64, as the rows `kmlab predict` reads.
    rows = np.asarray(X, dtype=np.float64)
    table = pd.DataFrame(rows, columns=FEATURES) if isinstance(X, pd.DataFrame) else rows
    clusters, distances = Predictor(loaded)(rows.copy())
    assert np.array_equal(clusters, model.predict(table))
    if hasattr(model, "steps"):
        assert np.array_equal(model[:-1].transform(table), _scaled(Predictor(loaded), rows))
    expected = model.transform(table)[np.arange(len(clusters)), clusters]
    np.testing.assert_allclose(distances, expected, rtol=1e-9, atol=1e-9)


def _scaled(predictor, rows):
    rows = rows.copy()
    for operation, values in predictor.scaling:
        operation(rows, values, out=rows)
    return rows


def test_serve_command_errors(tmp_path, capsys, served):
    _, _, path = served
    (tmp_path / "bad.kmlab").write_text("{}")
    assert main(["serve", str(tmp_path / "bad.kmlab")]) == 1
    assert "not a kmlab model file" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["serve", str(path), "--port", str(taken.getsockname()[1])]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kmlab serve: error: cannot listen on 127.0.0.1:") and err.count("\n") == 1
    assert main(["serve", str(path), "--port", "70000"]) == 2


def test_kmlab_serve_in_its_own_process(served):
    _, model, path = served
    command = [sys.executable, "-m", "kmlab", "serve", str(path), "--port", "0", "--log-level", "warning"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint
    ) as process:
        try:
            line = process.stdout.readline()
            url = re.search(r"on (http://127\.0\.0\.1:\d+) \(API docs: \1/docs\)", line)
            assert url, line + process.stderr.read()
            with httpx.Client(base_url=url.group(1), timeout=30) as client:
                assert client.get("/health").json() == {"status": "ok"}
                frame = _frame(5, n=20)
                answer = client.post("/predict", content=frame.to_csv(index=False), headers={"content-type": "text/csv"})
                assert answer.json()["clusters"] == model.predict(frame).tolist()
            process.send_signal(signal.SIGINT)  # Ctrl+C: uvicorn shuts down, then the command says so
            assert process.wait(timeout=30) == 130
            assert process.stderr.read().splitlines()[-1] == "kmlab serve: interrupted"
        finally:
            if process.poll() is None:
                process.kill()
