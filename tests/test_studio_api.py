"""kmlab Studio's server, in process: security, the JSON API, the generated code, the command."""

import json
import os
import signal
import subprocess
import sys
import threading
import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from subprocesses import default_sigint

from kmlab import KMeans
from kmlab.studio import api, compute, data
from kmlab.studio.server import create_app

with warnings.catch_warnings():
    # starlette's test client prefers httpx2 and warns when it runs on httpx.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token"


@pytest.fixture(scope="module")
def app():
    return create_app(port=PORT, token=TOKEN)


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app, base_url=BASE, headers={"X-Kmlab-Token": TOKEN})


@pytest.fixture(scope="module")
def blobs(client):
    """The default data set: the tutorial's four blobs."""
    response = client.post("/api/data/preset", json={})
    assert response.status_code == 200, response.text
    return response.json()


def fit(client, **body):
    response = client.post("/api/fit", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def final_labels(result):
    return np.array(result["assignments"][result["frames"][-1]["labels"]])


def drawn(client, points):
    response = client.post("/api/data/points", json={"points": points})
    assert response.status_code == 200, response.text
    return response.json()["dataset"]


# --- security ----------------------------------------------------------------------------


def test_missing_uvicorn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ImportError, match=r'\(uvicorn is missing\): pip install "kmlab\[studio\]"'):
        create_app(token="secret")


def test_every_route_needs_the_token(app):
    anonymous = TestClient(app, base_url=BASE)
    for path in ("/", "/api/info", "/static/app.js", "/static/plotly.min.js"):
        assert anonymous.get(path).status_code == 403, path
    assert anonymous.post("/api/data/preset", json={}).status_code == 403
    wrong = anonymous.get("/api/info", headers={"X-Kmlab-Token": "guess"})
    assert wrong.status_code == 403
    assert "token" in wrong.json()["detail"]
    assert anonymous.get("/?token=guess", follow_redirects=False).status_code == 403


def test_the_url_token_becomes_a_strict_http_only_cookie(app):
    browser = TestClient(app, base_url=BASE)
    response = browser.get(f"/?token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN in cookie
    page = browser.get("/")  # the client keeps the cookie
    assert page.status_code == 200 and "kmlab Studio" in page.text
    assert browser.get("/api/info").status_code == 200
    assert browser.get("/static/plotly.min.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example:8765"},  # DNS rebinding: the attacker's name, our address
        {"Host": "127.0.0.1:9999"},
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_foreign_hosts_and_origins_are_refused_even_with_the_token(client, headers):
    response = client.get("/api/info", headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"]


def test_own_origin_is_accepted_and_security_headers_are_set(client):
    response = client.get("/api/info", headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    localhost = client.get("/api/info", headers={"Host": f"localhost:{PORT}"})
    assert localhost.status_code == 200


def test_bodies_over_the_limit_get_413():
    small = TestClient(create_app(port=PORT, token=TOKEN, max_upload_bytes=1000, allow_code=False), base_url=BASE,
                       headers={"X-Kmlab-Token": TOKEN})  # fmt: skip
    body = b"a,b\n" + b"1,2\n" * 500
    assert small.post("/api/data/upload?name=big.csv", content=body).status_code == 413
    chunked = small.post("/api/data/upload?name=big.csv", content=iter([body[:600], body[600:]]))  # no Content-Length
    assert chunked.status_code == 413
    assert "limit" in chunked.json()["detail"]


def test_code_runner_is_off_beyond_loopback_unless_allowed():
    wide = create_app(host="0.0.0.0", port=PORT, token=TOKEN)
    client = TestClient(wide, base_url=BASE, headers={"X-Kmlab-Token": TOKEN})
    info = client.get("/api/info").json()
    assert info["code"]["enabled"] is False and "--allow-code" in info["code"]["reason"]
    refused = client.post("/api/run", json={"code": "print(1)"})
    assert refused.status_code == 403 and "--allow-code" in refused.json()["detail"]
    assert create_app(host="0.0.0.0", port=PORT, allow_code=True).state.studio.runner is not None


# --- malformed requests -------------------------------------------------------------------


def test_malformed_requests_get_4xx_with_a_message(client, blobs):
    key = blobs["dataset"]
    tiny = drawn(client, [[0, 0], [1, 1], [2, 2], [3, 3]])
    same = drawn(client, [[1, 1]] * 5)
    dbscan = fit(client, dataset=key, algorithm="dbscan")["model"]
    one = fit(client, dataset=key, k=1)["model"]
    cases = [
        ("/api/fit", b"\x00\xff garbage", 422),
        ("/api/fit", b"[1, 2, 3]", 422),
        ("/api/fit", b'{"dataset": "%s", "k": 3' % key.encode(), 422),
        ("/api/fit", {"dataset": key, "k": "4"}, 422),
        ("/api/fit", {"dataset": key, "k": 4.0}, 422),
        ("/api/fit", {"dataset": key, "k": True}, 422),
        ("/api/fit", {"dataset": key, "k": 0}, 422),
        ("/api/fit", {"dataset": key, "k": 10**30}, 422),
        ("/api/fit", {"dataset": key, "algorithm": "magic"}, 422),
        ("/api/fit", {"dataset": key, "surprise": 1}, 422),
        ("/api/fit", {"k": 3}, 422),
        ("/api/fit", {"dataset": "nope"}, 404),
        ("/api/fit", {"dataset": tiny, "k": 5}, 422),
        ("/api/fit", {"dataset": same, "k": 2}, 422),
        ("/api/fit", {"dataset": key, "init": "points", "k": 2, "init_points": [[0, 0]]}, 422),
        ("/api/fit", {"dataset": key, "algorithm": "dbscan", "eps": -1.0}, 422),
        ("/api/fit", b'{"dataset": "%s", "eps": NaN, "algorithm": "dbscan"}' % key.encode(), 422),
        ("/api/data/preset", {"preset": "nope"}, 422),
        ("/api/data/preset", {"n_points": data.MAX_POINTS + 1}, 422),
        ("/api/data/preset", {"noise": 1e400}, 422),
        ("/api/data/points", {"points": []}, 422),
        ("/api/data/points", {"points": [[1, 2, 3]]}, 422),
        ("/api/data/points", {"points": [[1, "2"]]}, 422),
        ("/api/data/points", {"points": "1,2"}, 422),
        ("/api/data/table", {"table": "nope", "columns": ["a", "b"], "standardize": True}, 404),
        ("/api/predict", {"model": dbscan, "points": [[0, 0]]}, 422),
        ("/api/predict", {"model": "nope", "points": [[0, 0]]}, 404),
        ("/api/predict", {"model": one, "points": [[0, None]]}, 422),
        ("/api/silhouette", {"model": one}, 422),
        ("/api/select-k", {"dataset": same}, 422),
        ("/api/select-k", {"dataset": key, "k_max": 1000}, 422),
        ("/api/code", {"model": one, "voronoi": "yes"}, 422),
        ("/api/run", {"code": "x" * (api.MAX_CODE_CHARS + 1)}, 422),
        ("/api/run", {"code": 42}, 422),
        ("/api/data/upload?name=x.csv", b"", 400),
        ("/api/data/upload?name=x.csv", b"\x00\x01\x02binary\xff\xfe", 400),
        ("/api/data/upload?name=x.csv", b"name,city\nann,paris\nbob,rome\n", 400),
        ("/api/data/upload?name=x.csv", b"a,b\n", 400),
    ]
    for path, body, status in cases:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = client.post(path, content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == status, (path, body, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail, (path, body)
    assert client.get("/api/nope").status_code == 404
    assert client.get("/api/fit").status_code == 405


def test_messages_name_the_problem(client, blobs):
    tiny = drawn(client, [[0, 0], [1, 1], [2, 2], [3, 3]])
    response = client.post("/api/fit", json={"dataset": tiny, "k": 5})
    assert "K=5 is more than the 4 points" in response.json()["detail"]
    response = client.post("/api/fit", json={"dataset": blobs["dataset"], "k": 51})
    assert response.json()["detail"] == "k: Input should be less than or equal to 50"


# --- data ----------------------------------------------------------------------------------


def test_default_data_is_the_tutorial(blobs):
    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)
    np.testing.assert_array_equal(np.array(blobs["points"]), X)
    assert blobs["k"] == 4 and blobs["axis_titles"] == ["x", "y"] and not blobs["projected"]


@pytest.mark.parametrize("name", sorted(data.PRESETS))
def test_presets_are_reproducible_and_follow_their_knobs(name):
    preset = data.PRESETS[name]
    first = data.preset_dataset(name, n_points=123, seed=5).X
    assert first.shape == (123, 2) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, data.preset_dataset(name, n_points=123, seed=5).X)
    assert not np.array_equal(first, data.preset_dataset(name, n_points=123, seed=6).X)
    if preset.noise is not None:
        noisier = data.preset_dataset(name, n_points=123, seed=5, noise=2 * preset.noise + 0.1).X
        assert not np.array_equal(first, noisier)


def test_upload_picks_numeric_columns_standardizes_and_projects(client):
    rng = np.random.default_rng(0)
    rows = ["name,income,age,score"] + [
        f"p{i},{rng.normal(50_000, 9_000):.1f},{rng.normal(40, 9):.1f},{rng.normal(0, 1):.3f}" for i in range(60)
    ]
    rows[5] = "p4,,41,0.5"  # a missing value
    response = client.post("/api/data/upload?name=people.csv", content="\n".join(rows).encode())
    assert response.status_code == 200, response.text
    table = response.json()
    assert [column["name"] for column in table["columns"]] == ["income", "age", "score"]
    assert table["skipped"] == ["name"] and table["standardize"] is True
    dataset = table["data"]
    assert dataset["n_points"] == 59 and dataset["projected"] and dataset["axis_titles"][0].startswith("PC1")
    assert any("1 rows with missing" in note for note in dataset["notes"])
    columns = {"table": table["table"], "columns": ["age", "score"], "standardize": False}
    two = client.post("/api/data/table", json=columns)
    assert two.status_code == 200
    assert two.json()["axis_titles"] == ["age", "score"] and not two.json()["projected"]
    one = client.post("/api/data/table", json={"table": table["table"], "columns": ["age"], "standardize": False})
    assert one.status_code == 422


def test_large_tables_are_sampled_to_the_limit(client):
    body = "a,b\n" + "".join(f"{i},{i % 7}\n" for i in range(data.MAX_POINTS + 50))
    dataset = client.post("/api/data/upload?name=big.csv", content=body.encode()).json()["data"]
    assert dataset["n_points"] == data.MAX_POINTS
    assert any("random sample" in note for note in dataset["notes"])


def test_data_given_on_the_command_line_comes_first(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("u,v\n" + "".join(f"{i},{i * i % 11}\n" for i in range(30)))
    app = create_app(port=PORT, token=TOKEN, data=path, allow_code=False)
    info = TestClient(app, base_url=BASE, headers={"X-Kmlab-Token": TOKEN}).get("/api/info").json()
    assert info["initial"]["title"] == "mine.csv" and info["initial"]["n_points"] == 30


def test_store_forgets_the_least_recently_used():
    store = api.Store("model", max_items=2, max_bytes=10**6)
    first, second = store.add("a", 1), store.add("b", 1)
    assert store.get(first) == "a"  # now the most recent
    store.add("c", 1)
    assert store.get(first) == "a"
    with pytest.raises(compute.StudioError, match="unknown or expired model"):
        store.get(second)


# --- fits ----------------------------------------------------------------------------------


def test_fit_frames_replay_the_kmeans_history(client, blobs):
    result = fit(client, dataset=blobs["dataset"], k=4, n_init=1, random_state=0)
    X = np.array(blobs["points"])
    model = KMeans(n_clusters=4, n_init=1, random_state=0, record_history=True).fit(X)
    frames = result["frames"]
    assert [frame["phase"] for frame in frames] == [step["phase"] for step in model.history_]
    assert frames[0]["labels"] is None
    np.testing.assert_array_equal(final_labels(result), model.labels_)
    np.testing.assert_allclose(frames[-1]["centers"], model.cluster_centers_)
    assert result["inertia"] == pytest.approx(model.inertia_)
    assert result["n_clusters"] == 4 and result["converged"] is True and result["n_iter"] == model.n_iter_
    for assign, update in zip(frames[1::2], frames[2::2]):  # an update keeps its assignment's labels
        assert update["labels"] == assign["labels"]


def test_placed_centres_start_the_fit(client, blobs):
    placed = [[-1.5, 3.0], [1.0, 4.5], [2.0, 1.0], [-1.2, 7.8]]
    result = fit(client, dataset=blobs["dataset"], k=4, init="points", init_points=placed)
    np.testing.assert_allclose(result["frames"][0]["centers"], placed)
    model = KMeans(n_clusters=4, init=np.array(placed), n_init=1).fit(np.array(blobs["points"]))
    np.testing.assert_array_equal(final_labels(result), model.labels_)
    medoids = fit(client, dataset=blobs["dataset"], k=4, algorithm="kmedoids", init="points", init_points=placed)
    assert medoids["n_clusters"] == 4


@pytest.mark.parametrize("algorithm", ["minibatch", "kmedoids", "dbscan"])
def test_other_algorithms(client, blobs, algorithm):
    result = fit(client, dataset=blobs["dataset"], algorithm=algorithm, k=4, eps=0.5)
    labels = final_labels(result)
    assert labels.shape == (300,)
    assert result["n_clusters"] == len(set(labels.tolist()) - {-1})
    assert result["centers"] is (algorithm != "dbscan")
    if algorithm == "minibatch":
        assert result["frames"][0]["phase"] == "init" and len(result["frames"]) > 3


def test_long_histories_are_thinned_within_the_label_budget(client):
    key = client.post("/api/data/preset", json={"preset": "uniform", "n_points": 20_000}).json()["dataset"]
    result = fit(client, dataset=key, k=20, init="random", random_state=0)  # about 50 iterations
    assert result["n_steps"] > len(result["frames"])
    assert len(result["assignments"]) * 20_000 <= compute.LABEL_BUDGET
    assert result["frames"][0]["phase"] == "init" and result["frames"][-1]["phase"] in ("assign", "update")
    assert result["n_clusters"] == 20


def test_memory_bounds_of_dbscan_and_kmedoids(client):
    key = client.post("/api/data/preset", json={"preset": "uniform", "n_points": 20_000}).json()["dataset"]
    response = client.post("/api/fit", json={"dataset": key, "algorithm": "dbscan", "eps": 100.0})
    assert response.status_code == 422 and "lower eps" in response.json()["detail"]
    dataset = client.app.state.studio.datasets.get(key)
    arguments = compute.estimator_arguments(
        dataset, "kmedoids", k=3, init="k-means++", init_points=None, n_init=1, random_state=0, batch_size=100,
        eps=0.5, min_samples=5,
    )  # fmt: skip
    assert arguments["max_samples"] == compute.KMEDOIDS_MAX_SAMPLES


def test_predict_uses_the_fitted_centres(client, blobs):
    result = fit(client, dataset=blobs["dataset"], k=4)
    X = np.array(blobs["points"])
    model = KMeans(n_clusters=4, n_init=1, random_state=0).fit(X)
    points = [[0.0, 2.0], [3.0, 4.0]]
    answer = client.post("/api/predict", json={"model": result["model"], "points": points}).json()
    np.testing.assert_array_equal(answer["labels"], model.predict(points))
    np.testing.assert_allclose(answer["distances"], model.transform(points))


def test_predict_in_a_projection_maps_the_click_onto_the_plane(client):
    X, _ = make_blobs(n_samples=90, n_features=4, centers=3, random_state=1)
    body = "a,b,c,d\n" + "".join(",".join(map(str, row)) + "\n" for row in X)
    table = client.post("/api/data/upload?name=four.csv", content=body.encode()).json()
    dataset = client.app.state.studio.datasets.get(table["data"]["dataset"])
    result = fit(client, dataset=table["data"]["dataset"], k=3)
    answer = client.post("/api/predict", json={"model": result["model"], "points": [[0.5, -0.5]]}).json()
    point = dataset.pca.inverse_transform([[0.5, -0.5]])
    centers = client.app.state.studio.models.get(result["model"]).estimator.cluster_centers_
    np.testing.assert_allclose(answer["distances"][0], np.linalg.norm(centers - point, axis=1))


def test_choosing_k_finds_the_tutorial_elbow(client, blobs):
    selection = client.post("/api/select-k", json={"dataset": blobs["dataset"]}).json()
    assert selection["k_values"] == list(range(1, 11))
    assert selection["elbow_k"] == 4 and selection["best_k"] == 4
    assert selection["silhouette"][0] is None and "elbow at k=4" in selection["verdict"]
    few = drawn(client, [[0, 0], [0, 1], [5, 5]])
    assert client.post("/api/select-k", json={"dataset": few}).json()["k_values"] == [1, 2, 3]


def test_knife_plot_matches_the_silhouette_score(client, blobs):
    result = fit(client, dataset=blobs["dataset"], k=3)
    knife = client.post("/api/silhouette", json={"model": result["model"]}).json()
    labels = final_labels(result)
    assert knife["mean"] == pytest.approx(silhouette_score(np.array(blobs["points"]), labels))
    assert [cluster["label"] for cluster in knife["clusters"]] == [0, 1, 2]
    for cluster in knife["clusters"]:
        assert cluster["values"] == sorted(cluster["values"], reverse=True)
        assert len(cluster["values"]) == (labels == cluster["label"]).sum()


# --- generated code ------------------------------------------------------------------------


def run_generated(code):
    """Execute generated code (matplotlib off screen); return its namespace."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace = {}
    exec(compile(code, "<view code>", "exec"), namespace)
    plt.close("all")
    return namespace


@pytest.mark.parametrize("algorithm", ["kmeans", "minibatch", "kmedoids", "dbscan"])
def test_view_code_reproduces_the_view(client, algorithm, capsys):
    key = client.post("/api/data/preset", json={"preset": "moons", "n_points": 200, "seed": 3}).json()["dataset"]
    result = fit(client, dataset=key, algorithm=algorithm, k=3, random_state=7)
    code = client.post("/api/code", json={"model": result["model"], "voronoi": True}).json()["code"]
    namespace = run_generated(code)
    labels = namespace["model"].labels_ if "model" in namespace else namespace["labels"]
    np.testing.assert_array_equal(labels, final_labels(result))
    assert capsys.readouterr().out


def test_view_code_of_tables_and_drawn_points(client, tmp_path, monkeypatch):
    X, _ = make_blobs(n_samples=120, n_features=3, centers=3, random_state=2)
    X[:, 0] *= 1000
    frame = "x,y,z,tag\n" + "".join(f"{a},{b},{c},t{i}\n" for i, (a, b, c) in enumerate(X))
    (tmp_path / "table.csv").write_text(frame)
    monkeypatch.chdir(tmp_path)
    table = client.post("/api/data/upload?name=table.csv", content=frame.encode()).json()
    drawn_key = drawn(client, [[0.5, 1.25], [0.75, 1.0], [4.0, 4.5], [4.25, 4.0]])
    for key in (table["data"]["dataset"], drawn_key):
        result = fit(client, dataset=key, k=2)
        code = client.post("/api/code", json={"model": result["model"]}).json()["code"]
        np.testing.assert_array_equal(run_generated(code)["model"].labels_, final_labels(result))


def test_tutorial_program_runs(capsys):
    run_generated(api.codegen.TUTORIAL_PROGRAM)
    assert "predicted clusters:" in capsys.readouterr().out


# --- the code runner ----------------------------------------------------------------------


def test_run_returns_output_and_figures(client):
    program = "import matplotlib.pyplot as plt\nprint(6 * 7)\nplt.plot([1, 2])\nraise SystemExit(3)\n"
    result = client.post("/api/run", json={"code": program}).json()
    assert result["stdout"] == "42\n" and result["returncode"] == 3 and len(result["figures"]) == 1


def test_server_answers_while_a_program_loops_and_busy_runner_gives_429():
    app = create_app(port=PORT, token=TOKEN, code_timeout=60)
    client = TestClient(app, base_url=BASE, headers={"X-Kmlab-Token": TOKEN})
    runner = app.state.studio.runner
    results = []

    def loop():
        results.append(client.post("/api/run", json={"code": "while True: pass"}))

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        while runner.running < 2:
            threading.Event().wait(0.05)
        assert client.get("/api/info").status_code == 200
        busy = client.post("/api/run", json={"code": "print(1)"})
        assert busy.status_code == 429 and "already running" in busy.json()["detail"]
    finally:
        runner.shutdown()
        for thread in threads:
            thread.join()
    assert [response.json()["killed"] for response in results] == ["shutdown", "shutdown"]


# --- the command ---------------------------------------------------------------------------


def test_studio_command_serves_and_stops_on_ctrl_c():
    import httpx

    command = [sys.executable, "-m", "kmlab", "studio", "--no-browser", "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=default_sigint
    ) as process:
        try:
            line = process.stdout.readline()
            assert line.startswith("kmlab studio: open http://127.0.0.1:"), line + process.stderr.read()
            url = line.split()[-1]
            with httpx.Client() as http:  # keeps the cookie the token URL sets
                page = http.get(url, follow_redirects=True, timeout=60)
                assert page.status_code == 200 and "kmlab Studio" in page.text
                assert http.get(url.split("?")[0] + "api/info", timeout=60).status_code == 200
            assert httpx.get(url.split("?")[0] + "api/info", timeout=60).status_code == 403
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 130
        finally:
            process.kill()
