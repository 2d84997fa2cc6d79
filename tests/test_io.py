"""Model files (.kmlab): exact round trips, safe refusals; table reading helpers."""

import hashlib
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from kmlab import KMeans
from kmlab.io import (
    FORMAT_VERSION,
    LOADABLE_CLASSES,
    ModelFileMixin,
    feature_columns,
    find_missing,
    load,
    missing_message,
    model_class,
    read_metadata,
    read_table,
    save,
    table_format,
    write_table,
)

FEATURES = ["income", "age", "visits"]


def _clusterers():
    """Every loadable kmlab clusterer this installation has, unfitted."""
    classes = [model_class(key) for key in LOADABLE_CLASSES if key.startswith("kmlab.")]
    return [cls(n_clusters=3, random_state=0) for cls in classes if cls is not None]


def _table(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centres = np.array([[30_000.0, 25.0, 2.0], [90_000.0, 40.0, 9.0], [50_000.0, 65.0, 4.0]])
    values = np.repeat(centres, 40, axis=0) * rng.normal(1.0, 0.08, size=(120, 3))
    return pd.DataFrame(values.astype(dtype), columns=FEATURES)


def _assert_same_model(loaded, model, X):
    assert type(loaded) is type(model)
    steps = list(zip(loaded.steps, model.steps)) if isinstance(model, Pipeline) else [((None, loaded), (None, model))]
    for (name_loaded, a), (name, b) in steps:
        assert name_loaded == name and type(a) is type(b)
        assert a.get_params() == b.get_params()
        for key, value in vars(b).items():
            if isinstance(value, np.ndarray):
                assert vars(a)[key].dtype == value.dtype, key
                assert np.array_equal(vars(a)[key], value), key
            elif key not in ("_random_state",):
                assert vars(a)[key] == value and type(vars(a)[key]) is type(value), key
    # Bit for bit, not approximately.
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert np.array_equal(loaded.transform(X), model.transform(X))


@pytest.mark.parametrize("clusterer", _clusterers(), ids=lambda est: type(est).__name__)
@pytest.mark.parametrize("scaler", [StandardScaler(), RobustScaler(), None], ids=["standard", "robust", "bare"])
def test_round_trip_is_exact(tmp_path, clusterer, scaler):
    X = _table(0)
    model = (make_pipeline(scaler, clusterer) if scaler is not None else clusterer).fit(X)
    path = save(model, tmp_path / "model.kmlab")
    _assert_same_model(load(path), model, X)


def test_round_trip_float32_array_and_fitted_attributes(tmp_path, seed):
    X = _table(seed, np.float32).to_numpy()
    model = KMeans(n_clusters=3, n_init=2, random_state=seed, tol=0.0).fit(X)
    loaded = load(save(model, tmp_path / "model.kmlab"))
    assert loaded.cluster_centers_.dtype == np.float32
    assert loaded.labels_.dtype == np.int32
    assert not hasattr(loaded, "feature_names_in_")
    _assert_same_model(loaded, model, X)
    assert loaded.score(X) == model.score(X)


def test_loaded_pipeline_takes_raw_rows(tmp_path):
    X = _table(1)
    model = make_pipeline(StandardScaler(), KMeans(n_clusters=3, random_state=0)).fit(X)
    loaded = load(save(model, tmp_path / "model.kmlab"))
    expected = model.predict(X)
    # A DataFrame: columns found by name, and checked.
    assert np.array_equal(loaded.predict(X), expected)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X[FEATURES[::-1]])
    # An array in the columns' order: scikit-learn warns that it cannot check the names.
    with pytest.warns(UserWarning, match="feature names"):
        assert np.array_equal(loaded.predict(X.to_numpy()), expected)


def test_metadata_describes_the_file(tmp_path):
    X = _table(2)
    model = make_pipeline(StandardScaler(), KMeans(n_clusters=3, random_state=0, callback=print)).fit(X)
    path = save(model, tmp_path / "model.kmlab")
    metadata = read_metadata(path)
    assert metadata["format"] == "kmlab-model" and metadata["format_version"] == FORMAT_VERSION
    assert metadata["feature_names"] == FEATURES and metadata["n_features_in"] == 3
    assert [step["class"] for step in metadata["steps"]] == ["sklearn.preprocessing.StandardScaler", "kmlab.KMeans"]
    # A callback cannot be stored: listed, and the loaded model goes without it.
    assert metadata["steps"][1]["dropped_params"] == ["callback"]
    assert load(path)[-1].callback is None
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(["metadata.json", *metadata["members"]])
        for name, entry in metadata["members"].items():
            data = archive.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            array = np.load(io.BytesIO(data), allow_pickle=False)
            assert list(array.shape) == entry["shape"] and array.dtype.str == entry["dtype"]


def test_mixin_saves_through_save(tmp_path):
    model = KMeans(n_clusters=2, random_state=0).fit(_table(3))
    path = ModelFileMixin.save(model, tmp_path / "m.kmlab")
    assert np.array_equal(load(path).cluster_centers_, model.cluster_centers_)


def test_save_replaces_a_file_whole(tmp_path):
    path = tmp_path / "m.kmlab"
    path.write_text("old")
    save(KMeans(n_clusters=2, random_state=0).fit(_table(4)), path)
    assert zipfile.is_zipfile(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.kmlab"]


@pytest.mark.parametrize(
    "model, message",
    [
        (SklearnKMeans(n_clusters=2, n_init=1), "cannot save a sklearn.cluster._kmeans.KMeans"),
        (StandardScaler(), "cannot save a sklearn.preprocessing._data.StandardScaler"),
        (make_pipeline(PCA(2), KMeans(n_clusters=2)), r"got a Pipeline of \['PCA', 'KMeans'\]"),
        (make_pipeline(StandardScaler(), RobustScaler(), KMeans(n_clusters=2)), "a scaler .* followed by a kmlab"),
    ],
)
def test_save_refuses_what_it_cannot_store(tmp_path, model, message):
    model.fit(_table(5))
    with pytest.raises(ValueError, match=message):
        save(model, tmp_path / "m.kmlab")
    assert list(tmp_path.iterdir()) == []


def _chebyshev(a, b):
    return np.abs(a - b).max()


def test_save_refuses_a_metric_it_cannot_store(tmp_path):
    # Dropping the metric would change the predictions; precomputed distances cannot assign new rows.
    KMedoids = pytest.importorskip("kmlab._kmedoids").KMedoids
    X = _table(5).to_numpy()[:30]
    with pytest.raises(ValueError, match="parameter metric=<function _chebyshev"):
        save(KMedoids(n_clusters=2, metric=_chebyshev, random_state=0).fit(X), tmp_path / "m.kmlab")
    distances = np.abs(X[:, None, 0] - X[None, :, 0])
    with pytest.raises(ValueError, match="metric='precomputed' cannot assign new rows"):
        save(KMedoids(n_clusters=2, metric="precomputed", random_state=0).fit(distances), tmp_path / "m.kmlab")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_an_unfitted_model(tmp_path):
    with pytest.raises(NotFittedError):
        save(KMeans(n_clusters=2), tmp_path / "m.kmlab")


# --- damaged, foreign and hostile files ------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    X = _table(6)
    model = make_pipeline(StandardScaler(), KMeans(n_clusters=3, random_state=0)).fit(X)
    return save(model, tmp_path / "model.kmlab"), model, X


def _rewrite(path, target, *, metadata=None, members=None):
    """Copy the model file at ``path`` to ``target``, changing its metadata and members (name -> bytes)."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(contents.pop("metadata.json"))
    if metadata is not None:
        metadata(meta)
    if members is not None:
        members(contents)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("metadata.json", json.dumps(meta))
        for name, data in contents.items():
            archive.writestr(name, data)
    return target


def test_truncated_files_are_refused(saved, tmp_path):
    path, _, _ = saved
    data = path.read_bytes()
    for size in (0, 1, 30, len(data) // 2, len(data) - 1):
        target = tmp_path / f"cut{size}.kmlab"
        target.write_bytes(data[:size])
        with pytest.raises(ValueError, match="not a kmlab model file"):
            load(target)


def test_flipped_bytes_are_refused_or_harmless(saved, tmp_path):
    # A flipped byte either makes the file fail one check, or falls in a part
    # of the zip structure that nothing reads (a timestamp, a version field):
    # then the model must come back unchanged.  Never another exception.
    path, model, X = saved
    data = path.read_bytes()
    target = tmp_path / "flipped.kmlab"
    refused = 0
    for position in range(0, len(data), 3):
        damaged = bytearray(data)
        damaged[position] ^= 0x5A
        target.write_bytes(bytes(damaged))
        try:
            loaded = load(target)
        except ValueError as error:
            assert str(error).startswith(f"{target}: ")
            refused += 1
            continue
        assert np.array_equal(loaded.predict(X), model.predict(X))
        assert np.array_equal(loaded[-1].cluster_centers_, model[-1].cluster_centers_)
    assert refused > len(data) // 6


@pytest.mark.parametrize("kind", ["pickle", "text", "random zip", "empty zip", "npz"])
def test_foreign_files_are_refused(tmp_path, kind):
    target = tmp_path / "foreign.kmlab"
    model = KMeans(n_clusters=2, random_state=0).fit(_table(7))
    if kind == "pickle":
        target.write_bytes(pickle.dumps(model))
    elif kind == "text":
        target.write_text("income,age\n1,2\n")
    elif kind == "npz":
        np.savez(target.with_suffix(".npz"), centers=model.cluster_centers_)
        target.write_bytes(target.with_suffix(".npz").read_bytes())
    else:
        with zipfile.ZipFile(target, "w") as archive:
            if kind == "random zip":
                archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match="not a kmlab model file"):
        load(target)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nowhere.kmlab")


def test_newer_format_is_refused(saved, tmp_path):
    path, _, _ = saved
    target = _rewrite(path, tmp_path / "new.kmlab", metadata=lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ValueError, match=r"written by a newer kmlab .*upgrade kmlab"):
        load(target)


def _set_member(name, data):
    return lambda contents: contents.__setitem__(name, data)


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _centers_member(metadata):
    return next(name for name in metadata["members"] if "cluster_centers_" in name)


def test_changed_array_fails_its_checksum(saved, tmp_path):
    path, model, _ = saved
    member = _centers_member(read_metadata(path))
    other = _npy(model[-1].cluster_centers_ + 1.0)  # same size, dtype and shape
    target = _rewrite(path, tmp_path / "changed.kmlab", members=_set_member(member, other))
    with pytest.raises(ValueError, match="does not match its SHA-256 checksum"):
        load(target)


def test_pickled_array_is_refused(saved, tmp_path):
    # Even with a matching checksum, an object array (a pickle inside the .npy) is never unpickled.
    path, _, _ = saved
    member = _centers_member(read_metadata(path))
    buffer = io.BytesIO()
    np.save(buffer, np.array([print, 1], dtype=object), allow_pickle=True)
    data = buffer.getvalue()

    def declare(metadata):
        metadata["members"][member].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data), dtype="|O", shape=[2])

    target = _rewrite(path, tmp_path / "pickled.kmlab", metadata=declare, members=_set_member(member, data))
    with pytest.raises(ValueError, match="unsafe model file"):
        load(target)


@pytest.mark.parametrize("name", ["../evil.npy", "/etc/evil.npy", "arrays/1/../../evil.npy", "arrays\\1\\x.npy"])
def test_unsafe_member_names_are_refused(saved, tmp_path, name):
    path, _, _ = saved
    data = _npy(np.zeros(3))

    def declare(metadata):
        metadata["members"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "dtype": "<f8", "shape": [3]}

    target = _rewrite(path, tmp_path / "traversal.kmlab", metadata=declare, members=_set_member(name, data))
    with pytest.raises(ValueError, match="unexpected member name"):
        load(target)


def test_undeclared_member_is_refused(saved, tmp_path):
    path, _, _ = saved
    target = _rewrite(path, tmp_path / "extra.kmlab", members=_set_member("arrays/1/extra_.npy", _npy(np.zeros(2))))
    with pytest.raises(ValueError, match=r"unexpected \['arrays/1/extra_.npy'\]"):
        load(target)


def test_huge_declared_member_is_refused_before_reading(saved, tmp_path):
    # The central directory says a member unpacks to 4 GB: refused from the
    # sizes alone, nothing is decompressed.
    path, _, _ = saved
    data = bytearray(path.read_bytes())
    name = _centers_member(read_metadata(path)).encode()
    position = data.find(b"PK\x01\x02")  # central directory records
    while data[position + 46 : position + 46 + len(name)] != name:
        position = data.find(b"PK\x01\x02", position + 4)
    data[position + 24 : position + 28] = struct.pack("<I", 0xFFFF0000)  # uncompressed size
    target = tmp_path / "bomb.kmlab"
    target.write_bytes(bytes(data))
    with zipfile.ZipFile(target) as archive:
        assert archive.getinfo(name.decode()).file_size == 0xFFFF0000
    with pytest.raises(ValueError, match="refused: its arrays would unpack to"):
        load(target)


def test_huge_declared_array_is_refused(saved, tmp_path):
    # Metadata and sizes that agree on an enormous array: max_bytes refuses it.
    path, model, _ = saved
    member = _centers_member(read_metadata(path))
    data = _npy(np.zeros((200, 3)))

    def declare(metadata):
        metadata["members"][member].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data), shape=[200, 3])

    target = _rewrite(path, tmp_path / "big.kmlab", metadata=declare, members=_set_member(member, data))
    with pytest.raises(ValueError, match="more than max_bytes=1000"):
        load(target, max_bytes=1000)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m["steps"][1].update({"class": "builtins.eval"}), "class 'builtins.eval' is not one"),
        (lambda m: m["steps"][1]["attributes"].update(predict=1), "attribute name 'predict'"),
        (lambda m: m["steps"][1]["attributes"].update(__class__=1), "attribute name '__class__'"),
        (lambda m: m["steps"][1]["attributes"].update(n_clusters=1), "attribute name 'n_clusters'"),
        (lambda m: m["steps"][1]["params"].update(shell="rm -rf /"), r"parameters \['shell'\]"),
        (lambda m: m["steps"][1]["params"].update(n_clusters="many"), "n_clusters"),
        (lambda m: m["steps"][1]["attributes"].update(n_iter_={"$type": "eval", "value": "1"}), "unknown value type"),
        (lambda m: m.update(feature_names=["a", "b", "c"]), "feature names disagree"),
        (lambda m: m.update(n_features_in=4), "does not have 4 features"),
        (lambda m: m.update(pipeline=False), "malformed list of steps"),
        (lambda m: m.pop("members"), "corrupted one"),
        (lambda m: m.update(format="something-else"), "does not say format 'kmlab-model'"),
    ],
)
def test_tampered_metadata_is_refused(saved, tmp_path, change, message):
    path, _, _ = saved
    target = _rewrite(path, tmp_path / "tampered.kmlab", metadata=change)
    with pytest.raises(ValueError, match=message):
        load(target)


def test_inconsistent_array_shape_is_refused(saved, tmp_path):
    path, model, _ = saved
    member = next(name for name in read_metadata(path)["members"] if "mean_" in name)
    data = _npy(np.zeros(2))

    def declare(metadata):
        metadata["members"][member].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data), shape=[2])

    target = _rewrite(path, tmp_path / "shape.kmlab", metadata=declare, members=_set_member(member, data))
    with pytest.raises(ValueError, match="scaler's mean_ does not have 3 values"):
        load(target)


# --- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, kind", [("t.csv", "csv"), ("t.tsv", "tsv"), ("t.csv.gz", "csv"), ("t.parquet", "parquet")])
def test_tables_round_trip(tmp_path, name, kind):
    frame = pd.DataFrame({"name": ["a", "b"], "income": [1.5, 2.5], "age": [30, 40]})
    assert table_format(name) == kind
    write_table(frame, tmp_path / name, kind)
    pd.testing.assert_frame_equal(read_table(tmp_path / name), frame, check_dtype=False)


def test_table_errors(tmp_path):
    with pytest.raises(ValueError, match=r"cannot tell the format of 'data.xlsx'.*\.csv, \.tsv or \.parquet"):
        table_format("data.xlsx")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="cannot read .*empty.csv' as CSV"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="has no rows"):
        read_table(tmp_path / "header.csv")
    (tmp_path / "fake.parquet").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError):
        read_table(tmp_path / "fake.parquet")


def test_feature_columns():
    frame = pd.DataFrame({"name": ["a", "b"], "flag": [True, False], "income": [1.0, 2.0], "age": [3, 4]})
    assert feature_columns(frame) == (["income", "age"], ["name", "flag"])
    assert feature_columns(frame, ["age"]) == (["age"], [])
    with pytest.raises(ValueError, match=r"no column named 'salary'; the columns are \['name', 'flag', 'income', 'age'\]"):
        feature_columns(frame, ["salary", "age"])
    with pytest.raises(ValueError, match="column 'name' is not numeric"):
        feature_columns(frame, ["name"])
    with pytest.raises(ValueError, match="no numeric column"):
        feature_columns(frame[["name"]])


def test_missing_values_are_located():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, np.inf], "b": [1, 2, 3, 4], "c": pd.array([1, None, 3, 4], dtype="Int64")})
    missing = find_missing(frame)
    assert {name: rows.tolist() for name, rows in missing.items()} == {"a": [1, 3], "c": [1]}
    assert missing_message(missing) == (
        "missing or infinite values in 2 rows: column a in rows 2, 4; column c in row 2 "
        "(rows counted from 1 after the header)"
    )
