"""An HTTP service that assigns rows to the clusters of a saved model (FastAPI + uvicorn).

:func:`create_app` builds the application; :func:`bind` and :func:`run` serve
it (``kmlab serve MODEL`` does both).  Endpoints:

- ``POST /predict``: rows in, clusters out.  The body is JSON,
  ``{"rows": [[...], ...]}`` (lists of numbers in the model's column order)
  or ``{"rows": [{"income": ..., "age": ...}, ...]}`` (records: keys that are
  not model columns are ignored), or CSV with a header row
  (``Content-Type: text/csv``; columns found by name, other columns ignored).
  The answer is ``{"clusters": [...], "distances": [...]}``: each row's
  cluster and its distance to that cluster's centre, in the space the model
  clusters in (after its scaler) and in its metric (``transform``'s:
  Euclidean for K-Means, cosine distance for SphericalKMeans).  Bad input gets a 4xx status and
  ``{"detail": "what is wrong, where"}``: 400 unreadable JSON or CSV, 413 too
  many rows, 415 another content type, 422 rows that do not fit the model
  (wrong number of values, a missing column, a string, NaN or infinity, no
  rows).
- ``GET /model``: what the model is (class, parameters, K, columns, scaler,
  centres in the columns' units, and the model file's version and checksum).
- ``GET /health``: ``{"status": "ok"}``.
- ``GET /docs``: the OpenAPI documentation (``/openapi.json``: the schema).

Answers are those of the model's own ``predict`` (the same labels as ``kmlab
predict``); the service only skips the per-call checks that it has already
done on the rows (see :class:`Predictor`).
"""

import gc
import hashlib
import io
import json
import math
import socket
import sys
from pathlib import Path
from typing import Annotated

import numpy as np

from . import __version__
from ._optional import import_optional
from .io import feature_names, find_missing, load_with_metadata, missing_message

__all__ = ["Predictor", "bind", "create_app", "run"]

#: Most rows one request may send.
MAX_ROWS = 1_000_000
# Rows and columns named in an error message before "...".
_SHOWN = 5


def _import(name):
    return import_optional(name, "kmlab.serve needs FastAPI and uvicorn", "serve")


class RowsError(ValueError):
    """Rows a request cannot be answered for; ``status`` is the HTTP status to send."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# What each scaler's transform does to a dense float64 array, in order: (switch, array, operation).
_SCALING = {
    "StandardScaler": (("with_mean", "mean_", np.subtract), ("with_std", "scale_", np.true_divide)),
    "RobustScaler": (("with_centering", "center_", np.subtract), ("with_scaling", "scale_", np.true_divide)),
}


class Predictor:
    """A loaded model applied to arrays of rows that have already been checked.

    The request parsers match the columns by name and hand over a finite
    float64 array in the model's column order; this class then computes what
    the model's ``predict`` computes, without its per-call checks and DataFrame
    handling (most of the cost of a one-row request): the scaler's arithmetic
    is applied in place, in scikit-learn's order, and a :class:`kmlab.KMeans`
    assigns through its kernel directly.  Other clusterers get their own
    ``predict``.  The tests check that the labels are the model's, bit for bit.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted model, as :func:`kmlab.io.load` returns it.

    Attributes
    ----------
    feature_names : list of str or None
        The model's columns.
    n_features : int
        How many values each row has.
    """

    def __init__(self, model):
        from ._kmeans import KMeans

        steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
        self.feature_names = feature_names(model)
        self.n_features = int(steps[0].n_features_in_)
        self.scaling = []
        if len(steps) == 2:
            scaler = steps[0]
            self.scaling = [
                (operation, getattr(scaler, array))
                for switch, array, operation in _SCALING[type(scaler).__name__] if getattr(scaler, switch)
            ]  # fmt: skip
        self.clusterer = steps[-1]
        self.direct = type(self.clusterer) is KMeans
        self.centers = self.clusterer.cluster_centers_ if self.direct else None

    def __call__(self, X):
        """Clusters and distances of the rows of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features), float64, C order
            Finite values, in the model's column order; scaled in place.

        Returns
        -------
        clusters : ndarray of shape (n_rows,)
        distances : ndarray of shape (n_rows,)
            Distance to the cluster's centre, after the scaler, in the
            clusterer's metric (``transform``'s): Euclidean for K-Means.

        Examples
        --------
        >>> import numpy as np
        >>> from kmlab import KMeans
        >>> model = KMeans(n_clusters=2, random_state=0).fit(np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 8.0]]))
        >>> clusters, distances = Predictor(model)(np.array([[0.0, 0.5], [9.0, 9.0]]))
        >>> clusters, distances
        (array([1, 0], dtype=int32), array([0. , 0.5]))
        """
        for operation, values in self.scaling:
            operation(X, values, out=X)
        if not self.direct:
            clusters = self.clusterer.predict(X)
            return clusters, self.clusterer.transform(X)[np.arange(X.shape[0]), clusters]
        clusters, _ = self.clusterer._labels_inertia(X, np.ones(X.shape[0]), with_inertia=False)
        difference = X - self.centers[clusters]
        return clusters, np.sqrt(np.einsum("ij,ij->i", difference, difference))


# --- request bodies -----------------------------------------------------------------------


def _columns_text(names):
    shown = ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")
    return f" ({shown})"


def _number_error(where, value):
    """The error for a value that :func:`_is_number` refuses."""
    if type(value) is float:
        return RowsError(422, f"{where} is {value}; only finite numbers can be assigned to a cluster")
    if type(value) is int:
        return RowsError(422, f"{where} is an integer too large for a 64-bit float")
    got = json.dumps(value) if value is None or isinstance(value, (str, bool)) else _json_type(value)
    return RowsError(422, f"{where} is {got}; expected a number")


def _json_type(value):
    """The JSON name of a parsed value's type."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _is_number(value):
    """Whether a parsed JSON value is a number a float64 holds (booleans are not numbers)."""
    if type(value) is int:
        return -sys.float_info.max <= value <= sys.float_info.max  # exact: Python compares int and float exactly
    return type(value) is float and math.isfinite(value)


class _JsonRows:
    """Reads ``{"rows": [...]}``: a strict fast path for lists of numbers, then exact messages."""

    def __init__(self, names, n_features):
        from pydantic import Field, TypeAdapter

        number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
        self.lists = TypeAdapter(dict[str, list[list[number]]])
        self.names = names
        self.n_features = n_features

    def __call__(self, body):
        from pydantic import ValidationError

        try:
            payload = self.lists.validate_json(body)
        except ValidationError:
            return self._slow(body)
        return self._lists(payload)

    @staticmethod
    def _check_keys(payload):
        if not isinstance(payload, dict) or "rows" not in payload:
            raise RowsError(422, 'the JSON body must be an object with a "rows" list: {"rows": [[...], ...]}')
        if len(payload) > 1:
            raise RowsError(422, f'unexpected keys {sorted(set(payload) - {"rows"})}; send only {{"rows": [...]}}')

    def _lists(self, payload):
        self._check_keys(payload)
        rows = payload["rows"]
        if not rows:
            raise RowsError(422, '"rows" is empty; send at least one row')
        for i, row in enumerate(rows):
            if len(row) != self.n_features:
                columns = _columns_text(self.names) if self.names else ""
                raise RowsError(
                    422, f"row {i} has {len(row)} values; the model takes {self.n_features}{columns}"
                )
        return np.array(rows, dtype=np.float64)

    def _slow(self, body):
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise RowsError(400, f"the body is not valid JSON: {exc}") from None
        self._check_keys(payload)
        rows = payload["rows"]
        if not isinstance(rows, list):
            raise RowsError(422, f'"rows" must be a list of rows, not {_json_type(rows)}')
        if rows and isinstance(rows[0], dict):
            return self._records(rows)
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                raise RowsError(422, f"row {i} is {_json_type(row)}; send every row as a list of numbers, like row 0")
            for j, value in enumerate(row):
                if not _is_number(value):
                    name = f" ({self.names[j]})" if self.names and j < len(self.names) else ""
                    raise _number_error(f"row {i}, value {j}{name}", value)
        return self._lists({"rows": rows})

    def _records(self, rows):
        if self.names is None:
            raise RowsError(422, "this model was fitted without column names: send rows as lists of numbers")
        table = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise RowsError(422, f"row {i} is {_json_type(row)}; send every row as an object, like row 0")
            absent = [name for name in self.names if name not in row]
            if absent:
                raise RowsError(422, f"row {i} has no {', '.join(map(repr, absent[:_SHOWN]))}; the model needs "
                                     f"{self.n_features} columns{_columns_text(self.names)}")  # fmt: skip
            values = [row[name] for name in self.names]
            for name, value in zip(self.names, values):
                if not _is_number(value):
                    raise _number_error(f"row {i}, {name!r}", value)
            table.append(values)
        return np.array(table, dtype=np.float64)


def _csv_rows(body, names, n_features):
    """The rows of a CSV body (header first), in the model's column order."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (ValueError, pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise RowsError(400, f"the body is not CSV with a header row: {' '.join(str(exc).split())}") from None
    if len(frame) == 0:
        raise RowsError(422, "the CSV body has no rows after its header")
    columns = [str(column) for column in frame.columns]
    if names is None:
        if len(columns) != n_features:
            raise RowsError(422, f"the CSV has {len(columns)} columns; the model takes {n_features}")
        names = columns
    absent = [name for name in names if name not in columns]
    if absent:
        raise RowsError(422, f"the CSV has no column {', '.join(map(repr, absent[:_SHOWN]))}; the model needs "
                             f"{n_features} columns{_columns_text(names)}")  # fmt: skip
    values = frame[names]
    for name in names:
        column = values[name]
        if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            # The first value that is not a number (a boolean column: its first value).
            not_numbers = (pd.to_numeric(column, errors="coerce").isna() & column.notna()).to_numpy()
            row = int(np.argmax(not_numbers))
            raise RowsError(
                422, f"CSV column {name!r} holds {json.dumps(str(column.iloc[row]))} in row {row + 1} "
                "(counted from 1 after the header); expected numbers"
            )
    missing = find_missing(values)
    if missing:
        raise RowsError(422, missing_message(missing))
    # A fresh C-ordered copy, as the predictor needs (it scales the rows in place; the
    # kernels are compiled for C order): pandas hands a frame's values out column-major.
    return np.array(values, dtype=np.float64, order="C")


# --- the application -----------------------------------------------------------------------


def describe(model, metadata=None, path=None):
    """What ``GET /model`` answers: the model, and its file when it came from one.

    Parameters
    ----------
    model : estimator or Pipeline
    metadata : dict, default=None
        The model file's metadata (see :func:`kmlab.io.read_metadata`).
    path : Path, default=None
        The model file.

    Returns
    -------
    info : dict
        JSON-ready.
    """
    steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
    estimator = steps[-1]
    centers = estimator.cluster_centers_
    if len(steps) == 2:
        centers = steps[0].inverse_transform(centers)
    params = {
        key: value for key, value in estimator.get_params(deep=False).items()
        if value is None or isinstance(value, (bool, int, float, str))
    }  # fmt: skip
    info = {
        "class": f"kmlab.{type(estimator).__name__}",
        "params": params,
        "n_clusters": int(len(centers)),
        "n_features": int(estimator.n_features_in_),
        "feature_names": feature_names(model),
        "scaler": type(steps[0]).__name__ if len(steps) == 2 else None,
        "centers": np.asarray(centers, dtype=float).tolist(),
        "file": None,
    }
    if metadata is not None:
        info["file"] = {
            "name": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "format_version": metadata["format_version"],
            "kmlab_version": metadata["kmlab_version"],
            "created": metadata["created"],
        }
    return info


def _request_schema(names, n_features):
    """The OpenAPI description of ``POST /predict``'s body, with this model's columns."""
    columns = names or [f"x{j}" for j in range(n_features)]
    row = {"type": "array", "items": {"type": "number"}, "minItems": n_features, "maxItems": n_features}
    record = {"type": "object", "properties": {name: {"type": "number"} for name in columns}, "required": columns}
    example = [0.0] * n_features
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["rows"],
                        "properties": {"rows": {"type": "array", "minItems": 1, "items": {"oneOf": [row, record]}}},
                    },
                    "examples": {
                        "lists": {"summary": "rows as lists, in the model's column order", "value": {"rows": [example]}},
                        "records": {"summary": "rows as records", "value": {"rows": [dict(zip(columns, example))]}},
                    },
                },
                "text/csv": {"schema": {"type": "string"}, "example": ",".join(columns) + "\n" + ",".join(["0"] * n_features) + "\n"},
            },
        }
    }


def create_app(model_or_path, *, max_rows=MAX_ROWS):
    """The FastAPI application serving a model (see :mod:`kmlab.serve`).

    Parameters
    ----------
    model_or_path : estimator, Pipeline, str or Path
        A fitted model, or a ``.kmlab`` file (read with :func:`kmlab.io.load`).
    max_rows : int, default=MAX_ROWS
        Most rows one request may send (more: status 413).

    Returns
    -------
    app : fastapi.FastAPI

    Raises
    ------
    ValueError
        The file is not a valid model file.
    ImportError
        FastAPI is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab import KMeans
    >>> from kmlab.serve import create_app
    >>> model = KMeans(n_clusters=2, random_state=0).fit(np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 8.0]]))
    >>> app = create_app(model)
    >>> sorted(route.path for route in app.routes if not route.path.startswith(("/docs/", "/redoc")))
    ['/docs', '/health', '/model', '/openapi.json', '/predict']

    Serve it with ``run(app, bind("127.0.0.1", 8000))``, or from a file with
    ``kmlab serve model.kmlab``.
    """
    fastapi = _import("fastapi")
    from pydantic import BaseModel

    metadata = path = None
    if isinstance(model_or_path, (str, Path)):
        path = Path(model_or_path)
        model, metadata = load_with_metadata(path)
    else:
        model = model_or_path
    predictor = Predictor(model)
    names, n_features = predictor.feature_names, predictor.n_features
    info = describe(model, metadata, path)
    json_rows = _JsonRows(names, n_features)

    class Prediction(BaseModel):
        clusters: list[int]
        distances: list[float]

    class Problem(BaseModel):
        detail: str

    app = fastapi.FastAPI(
        title=f"kmlab model{f': {path.name}' if path else ''}",
        version=__version__,
        description=(
            f"Assigns rows to the {info['n_clusters']} clusters of a {info['class']} model "
            f"({n_features} columns{_columns_text(names) if names else ''})."
        ),
    )

    @app.get("/health", summary="Whether the service is up")
    def health():
        return {"status": "ok"}

    @app.get("/model", summary="The model: class, parameters, K, columns, scaler, centres, file")
    def model_info():
        return info

    problems = {status: {"model": Problem, "description": text} for status, text in (
        (400, "unreadable JSON or CSV"), (413, "too many rows"), (415, "not JSON or CSV"),
        (422, "rows that do not fit the model"),
    )}  # fmt: skip

    @app.post(
        "/predict",
        summary="Assign rows to clusters",
        response_model=Prediction,
        responses=problems,
        openapi_extra=_request_schema(names, n_features),
    )
    async def predict(request: fastapi.Request):
        body = await request.body()
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        try:
            if kind == "application/json" or kind.endswith("+json"):
                X = json_rows(body)
            elif kind in ("text/csv", "application/csv"):
                X = _csv_rows(body, names, n_features)
            else:
                raise RowsError(415, f"content type {kind!r}: send application/json or text/csv")
            if len(X) > max_rows:
                raise RowsError(413, f"{len(X)} rows; send at most {max_rows} per request")
        except RowsError as error:
            raise fastapi.HTTPException(status_code=error.status, detail=str(error)) from None
        clusters, distances = predictor(X)
        content = json.dumps({"clusters": clusters.tolist(), "distances": distances.tolist()})
        return fastapi.Response(content=content, media_type="application/json")

    return app


def bind(host="127.0.0.1", port=8000):
    """A listening TCP socket for :func:`run` (``port=0``: any free port; read it with ``getsockname()``).

    Parameters
    ----------
    host : str, default='127.0.0.1'
    port : int, default=8000

    Returns
    -------
    sock : socket.socket

    Raises
    ------
    OSError
        The address cannot be used (taken, unknown host, no permission).
    """
    family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def server(app, *, log_level="info", access_log=False):
    """A :class:`uvicorn.Server` for ``app`` (to run in the foreground, or in a thread in tests).

    Parameters
    ----------
    app : fastapi.FastAPI
    log_level : str, default='info'
    access_log : bool, default=False
        Log every request (costs time per request).

    Returns
    -------
    server : uvicorn.Server
    """
    uvicorn = _import("uvicorn")
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=access_log))


def run(app, sock, *, log_level="info", access_log=False):
    """Serve ``app`` on the socket from :func:`bind` until interrupted (Ctrl+C).

    Everything alive at start-up (the libraries, the model) is moved out of the
    garbage collector's reach first (:func:`gc.freeze`): otherwise each full
    collection, triggered now and then by the objects requests create, scans
    them all and stalls a request for tens of milliseconds.
    """
    uvicorn_server = server(app, log_level=log_level, access_log=access_log)
    gc.collect()
    gc.freeze()
    uvicorn_server.run(sockets=[sock])
