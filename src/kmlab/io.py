"""Files: safe ``.kmlab`` model files, and the tables the command line reads.

Model files
-----------
:func:`save` writes a fitted clusterer, alone or behind its scaler in a
:class:`sklearn.pipeline.Pipeline`, to a ``.kmlab`` file; :func:`load` reads it
back.  A model file is a zip archive holding

- ``metadata.json``: the format's name and version, the kmlab version that
  wrote it, the creation time, the feature (column) names, and for each step its
  class, its parameters (those that JSON can hold; the others are listed under
  ``dropped_params`` and come back with their defaults) and its fitted
  attributes (numbers and strings inline, arrays as members); plus the SHA-256,
  size, dtype and shape of every member;
- ``arrays/<step>/<attribute>.npy``: each fitted array, written by
  :func:`numpy.save` with ``allow_pickle=False``.

Loading never unpickles and never imports a class named by the file: only the
classes of :data:`LOADABLE_CLASSES` can be rebuilt.  It checks the format and
its version, the list of members (nothing missing, nothing extra, no unsafe
name), each member's declared size before reading it, the checksums, and each
array's dtype (numbers only) and shape; a truncated, corrupted, foreign or
too-new file raises one :class:`ValueError` that says which.  The rebuilt model
gives bit-identical centres, ``predict`` and ``transform``.

Tables
------
:func:`read_table` reads CSV, TSV and Parquet files with pandas (and pyarrow);
:func:`feature_columns` picks the numeric columns; :func:`find_missing` and
:func:`missing_message` locate and describe missing values.
"""

import datetime
import hashlib
import io as _io
import json
import re
import struct
import zipfile
import zlib
from importlib import import_module
from pathlib import Path

import numpy as np

from . import __version__
from ._optional import import_optional

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LOADABLE_CLASSES",
    "ModelFileMixin",
    "feature_columns",
    "feature_names",
    "find_missing",
    "load",
    "load_with_metadata",
    "missing_message",
    "model_class",
    "read_metadata",
    "read_table",
    "save",
    "table_format",
    "write_table",
]

FORMAT_NAME = "kmlab-model"
#: The model file format this kmlab writes; it reads this version and older ones.
FORMAT_VERSION = 1

#: Class name written in the file -> (module, attribute).  Nothing else can be loaded.
LOADABLE_CLASSES = {
    "kmlab.KMeans": ("kmlab._kmeans", "KMeans"),
    "kmlab.MiniBatchKMeans": ("kmlab._minibatch", "MiniBatchKMeans"),
    "kmlab.KMedoids": ("kmlab._kmedoids", "KMedoids"),
    "kmlab.SphericalKMeans": ("kmlab._spherical", "SphericalKMeans"),
    "sklearn.preprocessing.StandardScaler": ("sklearn.preprocessing", "StandardScaler"),
    "sklearn.preprocessing.RobustScaler": ("sklearn.preprocessing", "RobustScaler"),
}
_SCALERS = ("sklearn.preprocessing.StandardScaler", "sklearn.preprocessing.RobustScaler")
# The scalers' per-feature arrays, checked against the number of features on loading.
_SCALER_ARRAYS = ("mean_", "var_", "scale_", "center_")
# Parameters that only steer fitting: when JSON cannot hold them (a callback, a
# random generator, an init array), the file goes without them.  Any other
# parameter JSON cannot hold (a metric given as a function) would change the
# predictions, and the model is refused.
_FIT_ONLY_PARAMS = ("callback", "init", "random_state")

_METADATA = "metadata.json"
_MAX_METADATA_BYTES = 16 * 2**20
#: Default cap on the bytes :func:`load` accepts to unpack (all arrays together).
MAX_BYTES = 2**31
_MEMBER_NAME = re.compile(r"arrays/[0-9]+/[A-Za-z_][A-Za-z0-9_]*\.npy")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
# What can go wrong while unpacking a damaged archive, besides ValueError.
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, struct.error, OSError, RuntimeError,
    NotImplementedError, OverflowError, KeyError, IndexError, TypeError, AttributeError, RecursionError,
)  # fmt: skip


# --- model files: writing -----------------------------------------------------------


class _Unencodable(Exception):
    """A value that a model file cannot hold (a callable, a random generator, ...)."""


def model_class(key):
    """The class a model file names ``key`` (a key of :data:`LOADABLE_CLASSES`), or None if not installed.

    Examples
    --------
    >>> model_class("kmlab.KMeans")
    <class 'kmlab._kmeans.KMeans'>
    """
    module, name = LOADABLE_CLASSES[key]
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _class_key(obj):
    """The LOADABLE_CLASSES key of ``obj``'s exact class (not a subclass), or None."""
    return next((key for key in LOADABLE_CLASSES if type(obj) is model_class(key)), None)


def _float_value(value):
    value = float(value)
    return value if np.isfinite(value) else str(value)


def _encode(value):
    """``value`` as JSON: numbers, strings, tuples, lists, numpy scalars and arrays of strings."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":  # before float: np.float64 is a float
        item = _float_value(value) if value.dtype.kind == "f" else value.item()
        return {"$type": "scalar", "dtype": value.dtype.str, "value": item}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else {"$type": "float", "value": str(value)}
    if isinstance(value, tuple):
        return {"$type": "tuple", "items": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if (
        isinstance(value, np.ndarray) and value.ndim == 1
        and (value.dtype.kind == "U" or (value.dtype == object and all(isinstance(v, str) for v in value)))
    ):  # fmt: skip
        return {"$type": "strings", "dtype": value.dtype.str, "items": value.tolist()}
    raise _Unencodable(type(value).__name__)


def _is_numeric_array(value):
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.dtype.fields is None


def _npy_bytes(array):
    buffer = _io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _model_steps(model):
    """[(step name or None, fitted object)] of a model :func:`save` accepts."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if type(model) is Pipeline:
        if model.memory is not None:
            raise ValueError("save: a Pipeline with memory= set cannot be saved; rebuild it with memory=None.")
        steps = list(model.steps)
        kinds = [_class_key(step) for _, step in steps]
        if len(steps) != 2 or kinds[0] not in _SCALERS or kinds[1] is None or kinds[1] in _SCALERS:
            names = [type(step).__name__ for _, step in steps]
            raise ValueError(
                f"save: a model file holds a scaler (StandardScaler or RobustScaler) followed by a kmlab clusterer; "
                f"got a Pipeline of {names}."
            )
    else:
        if _class_key(model) is None or _class_key(model) in _SCALERS:
            raise ValueError(
                f"save: cannot save a {type(model).__module__}.{type(model).__name__}; a model file holds one of "
                f"{sorted(key for key in LOADABLE_CLASSES if key not in _SCALERS)}, alone or after a scaler "
                "in a Pipeline."
            )
        steps = [(None, model)]
    for _, step in steps:
        check_is_fitted(step)
    clusterer = steps[-1][1]
    if getattr(clusterer, "metric", None) == "precomputed":
        raise ValueError(
            "save: a model fitted with metric='precomputed' cannot assign new rows, so it cannot be saved; "
            "fit it on the features instead."
        )
    return steps


def _step_record(index, name, step, arrays):
    """The metadata of step number ``index``; its numeric arrays go to ``arrays`` (member name -> array)."""
    params, dropped_params = {}, []
    for key, value in step.get_params(deep=False).items():
        try:
            params[key] = _encode(value)
        except _Unencodable:
            if key not in _FIT_ONLY_PARAMS:
                raise ValueError(
                    f"save: {type(step).__name__}'s parameter {key}={value!r} cannot be stored in a model file "
                    "(numbers, strings, booleans, None and tuples of them can); use one of those."
                ) from None
            dropped_params.append(key)
    attributes, dropped_attributes = {}, []
    for key, value in vars(step).items():
        if key in params or key in dropped_params:
            continue
        if _is_numeric_array(value):
            member = f"arrays/{index}/{key}.npy"
            arrays[member] = np.ascontiguousarray(value)
            attributes[key] = {"$type": "ndarray", "member": member}
            continue
        try:
            attributes[key] = _encode(value)
        except _Unencodable:
            dropped_attributes.append(key)
    return {
        "name": name,
        "class": _class_key(step),
        "params": params,
        "dropped_params": dropped_params,
        "attributes": attributes,
        "dropped_attributes": dropped_attributes,
    }


def feature_names(model):
    """The column names a fitted model expects, or None when it was fitted on an array.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted model.

    Returns
    -------
    names : list of str or None
        ``feature_names_in_`` as a list.

    Examples
    --------
    >>> import pandas as pd
    >>> from kmlab import KMeans
    >>> frame = pd.DataFrame({"income": [1.0, 2.0, 9.0], "age": [30.0, 31.0, 60.0]})
    >>> feature_names(KMeans(n_clusters=2, random_state=0).fit(frame))
    ['income', 'age']
    """
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def save(model, path):
    """Write a fitted model to a ``.kmlab`` file (see :mod:`kmlab.io`).

    The file is written next to ``path`` under a temporary name and renamed
    when complete: ``path`` is never left half-written.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted kmlab clusterer (:class:`kmlab.KMeans`, ``MiniBatchKMeans``,
        ``KMedoids``), or a :class:`sklearn.pipeline.Pipeline` of a fitted
        ``StandardScaler`` or ``RobustScaler`` followed by one.
    path : str or Path
        The file to write (by convention ending in ``.kmlab``).

    Returns
    -------
    path : Path
        The file written.

    Raises
    ------
    ValueError
        A model of another kind, or a Pipeline of other steps.
    sklearn.exceptions.NotFittedError
        A step is not fitted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from kmlab import KMeans
    >>> from kmlab.io import load, save
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [10.0, 2.0], [10.0, 4.0]])
    >>> model = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> path = save(model, pathlib.Path(tempfile.mkdtemp()) / "model.kmlab")
    >>> loaded = load(path)
    >>> loaded
    KMeans(n_clusters=2, random_state=0)
    >>> bool(np.array_equal(loaded.predict(X), model.predict(X)))
    True
    """
    from .cli._common import atomic_file

    steps = _model_steps(model)
    arrays = {}
    records = [_step_record(index, name, step, arrays) for index, (name, step) in enumerate(steps)]
    contents = {member: _npy_bytes(array) for member, array in arrays.items()}
    members = {
        member: {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "dtype": arrays[member].dtype.str,
            "shape": list(arrays[member].shape),
        }
        for member, data in contents.items()
    }
    first = steps[0][1]
    created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kmlab_version": __version__,
        "created": created.isoformat(),
        "pipeline": steps[0][0] is not None,
        "n_features_in": int(first.n_features_in_),
        "feature_names": feature_names(model),
        "steps": records,
        "members": members,
    }
    text = json.dumps(metadata, indent=1, allow_nan=False).encode()
    stamp = created.timetuple()[:6]
    path = Path(path)
    with atomic_file(path) as tmp:
        with zipfile.ZipFile(tmp, "w") as archive:
            for name, data in [(_METADATA, text), *contents.items()]:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    return path


class ModelFileMixin:
    """Adds :meth:`save` to an estimator: ``model.save(path)`` writes a ``.kmlab`` file."""

    def save(self, path):
        """Write this fitted model to a ``.kmlab`` file; :func:`kmlab.io.load` reads it back.

        Parameters
        ----------
        path : str or Path
            The file to write.

        Returns
        -------
        path : Path
            The file written.
        """
        return save(self, path)


# --- model files: reading -----------------------------------------------------------


class _Reader:
    """Reads and checks one model file; every problem becomes a ValueError naming the file."""

    def __init__(self, path, max_bytes):
        self.path = Path(path)
        self.max_bytes = max_bytes

    def fail(self, reason):
        raise ValueError(f"{self.path}: {reason}")

    def read(self, with_model=True):
        with open(self.path, "rb") as file:  # a missing or unreadable file stays an OSError
            try:
                return self._read(file, with_model)
            except ValueError as exc:
                if str(exc).startswith(f"{self.path}: "):
                    raise
                self.fail(f"not a valid kmlab model file, or a corrupted one ({exc})")
            except _ARCHIVE_ERRORS as exc:
                self.fail(
                    "not a kmlab model file, or a truncated or corrupted one "
                    f"({type(exc).__name__}: {exc or 'damaged archive'})"
                )

    def _read(self, file, with_model):
        if not zipfile.is_zipfile(file):
            self.fail("not a kmlab model file (not a zip archive): it may be truncated, or another kind of file")
        archive = zipfile.ZipFile(file)
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if _METADATA not in names:
            self.fail(f"not a kmlab model file: the zip archive has no {_METADATA}")
        if len(set(names)) != len(names):
            self.fail("damaged model file: the archive lists a member twice")
        by_name = {info.filename: info for info in infos}
        metadata = self._metadata(archive, by_name[_METADATA])
        declared = metadata["members"]
        if not isinstance(declared, dict):
            self.fail("damaged model file: malformed member list")
        unsafe = [name for name in list(declared) + names if name != _METADATA and not _MEMBER_NAME.fullmatch(name)]
        if unsafe:
            self.fail(f"damaged or unsafe model file: unexpected member name {unsafe[0]!r}")
        if set(names) - {_METADATA} != set(declared):
            missing = sorted(set(declared) - set(names))
            extra = sorted(set(names) - {_METADATA} - set(declared))
            self.fail(f"damaged model file: members missing {missing}, unexpected {extra}")
        total = sum(by_name[name].file_size for name in declared)
        if total > self.max_bytes:
            self.fail(
                f"refused: its arrays would unpack to {total} bytes, more than max_bytes={self.max_bytes}; "
                "pass a larger max_bytes if you trust this file"
            )
        if not with_model:
            return None, metadata
        arrays = {name: self._array(archive, by_name[name], declared[name]) for name in declared}
        return self._model(metadata, arrays), metadata

    def _metadata(self, archive, info):
        if info.file_size > _MAX_METADATA_BYTES:
            self.fail(f"refused: its {_METADATA} declares {info.file_size} bytes (at most {_MAX_METADATA_BYTES})")
        with archive.open(info) as member:
            text = member.read(_MAX_METADATA_BYTES + 1)
        if len(text) > _MAX_METADATA_BYTES:
            self.fail(f"refused: its {_METADATA} is larger than declared")
        try:
            metadata = json.loads(text)
        except (ValueError, RecursionError) as exc:
            self.fail(f"not a valid kmlab model file: {_METADATA} is not JSON ({exc})")
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
            self.fail(f"not a kmlab model file: {_METADATA} does not say format {FORMAT_NAME!r}")
        version = metadata.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.fail(f"damaged model file: bad format_version {version!r}")
        if version > FORMAT_VERSION:
            self.fail(
                f"written by a newer kmlab ({metadata.get('kmlab_version')!r}, model format version {version}); "
                f"kmlab {__version__} reads format version {FORMAT_VERSION} and older: upgrade kmlab "
                '(pip install -U kmlab)'
            )
        return metadata

    def _array(self, archive, info, entry):
        dtype = np.dtype(entry["dtype"])
        shape = tuple(entry["shape"])
        if dtype.kind not in "biuf" or dtype.fields is not None or not all(isinstance(n, int) and n >= 0 for n in shape):
            self.fail(f"damaged or unsafe model file: member {info.filename} declares dtype {entry['dtype']!r}, shape {shape}")
        # The .npy header is at most a few hundred bytes: anything much larger than
        # the data itself is refused before it is unpacked.
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        size = entry["size"]
        if info.file_size != size or not expected <= size <= expected + 4096:
            self.fail(
                f"damaged model file: member {info.filename} holds {info.file_size} bytes, "
                f"its entry says {size} for a {dtype.name} array of shape {shape}"
            )
        with archive.open(info) as member:
            data = member.read(size + 1)
        if len(data) != size or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            self.fail(f"corrupted model file: member {info.filename} does not match its SHA-256 checksum")
        array = np.load(_io.BytesIO(data), allow_pickle=False)
        if array.dtype != dtype or array.shape != shape:
            self.fail(f"damaged model file: member {info.filename} is not the {dtype.name} array of shape {shape} it declares")
        return array

    def _decode(self, value, arrays):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self._decode(item, arrays) for item in value]
        kind = value["$type"]
        if kind == "float":
            return _NON_FINITE[value["value"]]
        if kind == "scalar":
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "biuf":
                self.fail(f"damaged or unsafe model file: scalar of dtype {value['dtype']!r}")
            item = value["value"]
            return dtype.type(_NON_FINITE[item] if isinstance(item, str) else item)
        if kind == "tuple":
            return tuple(self._decode(item, arrays) for item in value["items"])
        if kind == "ndarray":
            return arrays[value["member"]]
        if kind == "strings":
            dtype = np.dtype(value["dtype"])
            items = value["items"]
            if dtype.kind not in "OU" or not all(isinstance(item, str) for item in items):
                self.fail("damaged or unsafe model file: malformed list of names")
            return np.asarray(items, dtype=dtype)
        self.fail(f"damaged model file: unknown value type {kind!r}")

    def _step(self, record, arrays):
        key = record["class"]
        if key not in LOADABLE_CLASSES:
            self.fail(f"refused: class {key!r} is not one a model file may hold ({sorted(LOADABLE_CLASSES)})")
        cls = model_class(key)
        if cls is None:
            self.fail(f"holds a {key}, which kmlab {__version__} does not have: upgrade kmlab")
        params = {key: self._decode(value, {}) for key, value in record["params"].items()}  # no arrays
        known = cls().get_params(deep=False)
        unknown = sorted(set(params) - set(known))
        if unknown:
            self.fail(f"holds a {key} with parameters {unknown} that this kmlab does not know: upgrade kmlab")
        step = cls(**params)
        step._validate_params()
        for attribute, value in record["attributes"].items():
            # Only data attributes: never a parameter, a method or anything else the class defines.
            if not _ATTRIBUTE_NAME.fullmatch(attribute) or attribute.startswith("__") or attribute in known or hasattr(cls, attribute):
                self.fail(f"damaged or unsafe model file: attribute name {attribute!r}")
            setattr(step, attribute, self._decode(value, arrays))
        return record["name"], step

    def _model(self, metadata, arrays):
        records = metadata["steps"]
        pipeline = metadata["pipeline"]
        if not isinstance(records, list) or len(records) != (2 if pipeline is True else 1):
            self.fail("damaged model file: malformed list of steps")
        referenced = set()
        for record in records:
            for value in record["attributes"].values():
                if isinstance(value, dict) and value.get("$type") == "ndarray":
                    referenced.add(value["member"])
        if referenced != set(arrays):
            self.fail("damaged model file: the arrays do not match the attributes that use them")
        steps = [self._step(record, arrays) for record in records]
        kinds = [record["class"] for record in records]
        if (kinds[0] in _SCALERS) != pipeline or kinds[-1] in _SCALERS:
            self.fail("damaged model file: a model file holds a clusterer, optionally after one scaler")
        self._check_shapes(metadata, [step for _, step in steps])
        if not pipeline:
            return steps[0][1]
        from sklearn.pipeline import Pipeline

        return Pipeline(steps)

    def _check_shapes(self, metadata, steps):
        n_features = metadata["n_features_in"]
        names = metadata["feature_names"]
        for step in steps:
            if getattr(step, "n_features_in_", None) != n_features:
                self.fail(f"damaged model file: {type(step).__name__} does not have {n_features} features")
        first_names = getattr(steps[0], "feature_names_in_", None)
        if (names is None) != (first_names is None) or (names is not None and list(first_names) != names):
            self.fail("damaged model file: the feature names disagree")
        for attribute in _SCALER_ARRAYS:
            value = getattr(steps[0], attribute, None) if len(steps) == 2 else None
            if value is not None and np.shape(value) != (n_features,):
                self.fail(f"damaged model file: the scaler's {attribute} does not have {n_features} values")
        centers = getattr(steps[-1], "cluster_centers_", None)
        if centers is not None and (centers.ndim != 2 or centers.shape[1] != n_features):
            self.fail(f"damaged model file: cluster_centers_ has shape {centers.shape}, not (k, {n_features})")


def load(path, *, max_bytes=MAX_BYTES):
    """Read a model written by :func:`save`, safely (see :mod:`kmlab.io`).

    Parameters
    ----------
    path : str or Path
        The ``.kmlab`` file.
    max_bytes : int, default=MAX_BYTES (2 GiB)
        Refuse files whose arrays would unpack to more bytes than this.

    Returns
    -------
    model : estimator or Pipeline
        The clusterer, or a ``Pipeline(scaler, clusterer)`` that takes the raw
        rows (a DataFrame with the model's columns, or an array with its
        columns in that order), exactly as saved.

    Raises
    ------
    ValueError
        The file is not a kmlab model file, is truncated or corrupted, was
        written by a newer kmlab, or holds something this kmlab refuses.
    OSError
        The file cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kmlab.io import load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.kmlab"
    >>> _ = path.write_text("not a model")
    >>> load(path)
    Traceback (most recent call last):
    ...
    ValueError: .../notes.kmlab: not a kmlab model file (not a zip archive): it may be truncated, or another kind of file
    """
    return _Reader(path, max_bytes).read()[0]


def read_metadata(path):
    """The metadata of a model file, without unpacking its arrays.

    The format, version and member list are checked as by :func:`load`; the
    arrays' checksums are not.

    Parameters
    ----------
    path : str or Path
        The ``.kmlab`` file.

    Returns
    -------
    metadata : dict
        The parsed ``metadata.json`` (see :mod:`kmlab.io`).
    """
    return _Reader(path, MAX_BYTES).read(with_model=False)[1]


def load_with_metadata(path, *, max_bytes=MAX_BYTES):
    """:func:`load` and :func:`read_metadata` from one reading of the file.

    Returns
    -------
    model : estimator or Pipeline
    metadata : dict
    """
    return _Reader(path, max_bytes).read()


# --- tables ---------------------------------------------------------------------------

_TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSION_SUFFIXES = {".gz", ".bz2", ".xz", ".zst", ".zip"}


def _pandas():
    return import_optional("pandas", "reading tables needs pandas and pyarrow", "io")


def table_format(path):
    """'csv', 'tsv' or 'parquet', from the file name (a compression suffix is skipped).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    format : str

    Examples
    --------
    >>> table_format("customers.csv"), table_format("log.tsv.gz"), table_format("x.parquet")
    ('csv', 'tsv', 'parquet')
    """
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    kind = _TABLE_SUFFIXES.get(suffixes[-1] if suffixes else "")
    if kind is None:
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its name; use a file ending in "
            ".csv, .tsv or .parquet (.csv.gz and other compressed CSV/TSV work too)"
        )
    return kind


def read_table(path):
    """Read a CSV, TSV or Parquet file into a pandas DataFrame.

    Parameters
    ----------
    path : str or Path
        The file; its format comes from its name (see :func:`table_format`).

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    ValueError
        An unknown format, an empty file, or one that cannot be parsed.
    OSError
        The file cannot be opened.
    """
    pd = _pandas()
    kind = table_format(path)
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="," if kind == "csv" else "\t")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise ValueError(f"cannot read {str(path)!r} as {kind.upper()}: {exc}") from exc
    except ImportError as exc:
        raise ImportError(f'reading {str(path)!r} needs pyarrow: pip install "kmlab[io]"') from exc
    if frame.shape[0] == 0:
        raise ValueError(f"{str(path)!r} has no rows")
    return frame


def write_table(frame, path, kind):
    """Write ``frame`` (without its index) as ``kind`` ('csv', 'tsv' or 'parquet') to ``path``.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or Path
    kind : {'csv', 'tsv', 'parquet'}
    """
    if kind == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep="," if kind == "csv" else "\t", index=False)


def feature_columns(frame, columns=None):
    """The columns to cluster: those named, or every numeric one.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : list of str, default=None
        The columns wanted; None means every numeric column (booleans excluded).

    Returns
    -------
    used : list of str
        The feature columns, in the table's order when ``columns`` is None.
    skipped : list of str
        The columns left out because they are not numeric (empty when
        ``columns`` is given).

    Raises
    ------
    ValueError
        A named column is missing or not numeric, or no column is numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"name": ["a", "b"], "income": [1.0, 2.0], "age": [30, 40]})
    >>> feature_columns(frame)
    (['income', 'age'], ['name'])
    """
    pd = _pandas()

    def numeric(name):
        dtype = frame[name].dtype
        return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) and dtype.kind != "c"

    names = [str(name) for name in frame.columns]
    if columns is None:
        used = [name for name in names if numeric(name)]
        if not used:
            raise ValueError(f"no numeric column to cluster among {names}")
        return used, [name for name in names if name not in used]
    absent = [name for name in columns if name not in names]
    if absent:
        raise ValueError(f"no column named {', '.join(map(repr, absent))}; the columns are {names}")
    not_numeric = [name for name in columns if not numeric(name)]
    if not_numeric:
        raise ValueError(
            f"column {', '.join(map(repr, not_numeric))} is not numeric (dtype {frame[not_numeric[0]].dtype}); "
            "K-Means needs numbers: encode it or leave it out"
        )
    return list(columns), []


def find_missing(frame):
    """The rows of each column that are missing (NaN, empty) or infinite.

    Parameters
    ----------
    frame : pandas.DataFrame
        Numeric columns.

    Returns
    -------
    missing : dict
        Column name -> ndarray of the 0-based positions of its bad rows; only
        columns that have some.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> find_missing(pd.DataFrame({"a": [1.0, np.nan], "b": [np.inf, 2.0], "c": [1, 2]}))
    {'a': array([1]), 'b': array([0])}
    """
    missing = {}
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            missing[str(name)] = bad
    return missing


def missing_message(missing, *, limit=5):
    """One line describing :func:`find_missing`'s result; rows counted from 1 after the header.

    Parameters
    ----------
    missing : dict
        What :func:`find_missing` returned (not empty).
    limit : int, default=5
        Rows listed per column before "and N more".

    Returns
    -------
    message : str

    Examples
    --------
    >>> import numpy as np
    >>> missing_message({"age": np.array([2, 16]), "income": np.arange(10)})
    'missing or infinite values in 11 rows: column age in rows 3, 17; column income in rows 1, 2, 3, 4, 5 and 5 more (rows counted from 1 after the header)'
    """
    n_rows = np.unique(np.concatenate(list(missing.values()))).size
    parts = []
    for name, rows in missing.items():
        listed = ", ".join(str(row + 1) for row in rows[:limit])
        more = f" and {rows.size - limit} more" if rows.size > limit else ""
        parts.append(f"column {name} in row{'s' if rows.size > 1 else ''} {listed}{more}")
    plural = "s" if n_rows > 1 else ""
    return f"missing or infinite values in {n_rows} row{plural}: {'; '.join(parts)} (rows counted from 1 after the header)"
