"""Studio's JSON API (``/api/...``): data, fits, K selection, silhouettes, predictions, the code runner.

State lives in bounded stores (least recently used first out): data sets,
uploaded tables and fitted models are kept by random keys that the page sends
back.  Request bodies are parsed strictly (numbers must be numbers, unknown
fields are refused); every problem gets a 4xx answer ``{"detail": "..."}``
that says what to change.  The numerical work runs in worker threads, at most
:attr:`Studio.compute_slots` at once, so that the server keeps answering.

Endpoints (all POST bodies are JSON except the upload):

- ``GET /api/info``: presets, algorithms (and why one is unavailable), limits,
  colours, the tutorial program, whether the code runner is on, the data given
  with ``--data``.
- ``POST /api/data/preset`` ``{preset, n_points?, noise?, seed?}``,
  ``POST /api/data/points`` ``{points}``, ``POST /api/data/table``
  ``{table, columns, standardize}``: a data set (key, view points, axis titles, notes).
- ``POST /api/data/upload?name=FILE`` (body: the CSV): the table's columns and
  a data set of its numeric columns.
- ``POST /api/fit`` ``{dataset, algorithm, k, init, init_points?, n_init,
  random_state, batch_size, eps, min_samples}``: the model key, the frames of
  the fit and its summary.
- ``POST /api/predict`` ``{model, points}``, ``POST /api/silhouette``
  ``{model}``, ``POST /api/code`` ``{model, voronoi}``,
  ``POST /api/select-k`` ``{dataset, k_max, random_state}``.
- ``POST /api/run`` ``{code}``: the program's output and figures.
"""

import json
import secrets
import threading
from collections import OrderedDict
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import __version__
from . import codegen, compute, data
from .compute import StudioError

# Strict JSON: no strings for numbers, no booleans for integers, no NaN or infinity.
Finite = Annotated[float, Field(allow_inf_nan=False)]
Point = tuple[Finite, Finite]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Key = Annotated[str, Field(min_length=1, max_length=64)]

MIN_POINTS = 10
MAX_CODE_CHARS = 100_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PresetBody(_Body):
    preset: Literal[tuple(data.PRESETS)] = data.DEFAULT_PRESET
    n_points: Annotated[int, Field(ge=MIN_POINTS, le=data.MAX_POINTS)] | None = None
    noise: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None
    seed: Seed | None = None


class PointsBody(_Body):
    points: Annotated[list[Point], Field(min_length=1, max_length=data.MAX_POINTS)]


class TableBody(_Body):
    table: Key
    columns: Annotated[list[Annotated[str, Field(max_length=1000)]], Field(min_length=2, max_length=10_000)]
    standardize: bool


class FitBody(_Body):
    dataset: Key
    algorithm: Literal[tuple(compute.ALGORITHMS)] = "kmeans"
    k: Annotated[int, Field(ge=1, le=compute.MAX_K)] = 4
    init: Literal[compute.INITS] = "k-means++"
    init_points: Annotated[list[Point], Field(max_length=compute.MAX_K)] | None = None
    n_init: Annotated[int, Field(ge=1, le=20)] = 1
    random_state: Seed | None = 0
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    eps: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] = 0.5
    min_samples: Annotated[int, Field(ge=1, le=1000)] = 5


class ModelBody(_Body):
    model: Key


class PredictBody(ModelBody):
    points: Annotated[list[Point], Field(min_length=1, max_length=1000)]


class CodeBody(ModelBody):
    voronoi: bool = False


class SelectBody(_Body):
    dataset: Key
    k_max: Annotated[int, Field(ge=2, le=20)] = 10
    random_state: Seed | None = 0


class RunBody(_Body):
    code: Annotated[str, Field(max_length=MAX_CODE_CHARS)]


def validation_message(error):
    """One line from a pydantic ValidationError: where and what, for each problem (at most 3)."""
    parts = []
    for problem in error.errors()[:3]:
        where = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "json_invalid":
            parts.append(f"the body is not valid JSON ({problem['ctx'].get('error', 'unreadable')})")
        else:
            parts.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    more = len(error.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse(model, body):
    """Validate a JSON body against ``model``; StudioError (422) with a readable message otherwise."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as error:
        raise StudioError(validation_message(error)) from None


class Store:
    """Values kept by random keys, at most ``max_items`` and about ``max_bytes``; least recently used out first.

    Parameters
    ----------
    kind : str
        What it holds (for the message when a key is unknown).
    max_items : int
    max_bytes : int
    """

    def __init__(self, kind, max_items, max_bytes):
        self.kind = kind
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items = OrderedDict()  # key -> (value, nbytes)
        self._pinned = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self):
        with self._lock:
            return len(self._items)

    def add(self, value, nbytes):
        """Keep ``value``; return its key."""
        key = secrets.token_hex(8)
        with self._lock:
            self._items[key] = (value, nbytes)
            self._bytes += nbytes
            while len(self._items) > 1 and (len(self._items) > self.max_items or self._bytes > self.max_bytes):
                _, (_, size) = self._items.popitem(last=False)
                self._bytes -= size
        return key

    def pin(self, value):
        """Keep ``value`` for the server's lifetime (the data given on the command line); return its key."""
        key = secrets.token_hex(8)
        self._pinned[key] = value
        return key

    def get(self, key):
        """The value kept under ``key``; StudioError (404) when unknown or forgotten."""
        with self._lock:
            if key in self._pinned:
                return self._pinned[key]
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                return item[0]
        raise StudioError(
            f"unknown or expired {self.kind} {key!r}: Studio keeps the most recent ones only; reload the data.", 404
        )


class _Fitted:
    """A fitted model and what made it."""

    def __init__(self, estimator, dataset, algorithm, arguments):
        self.estimator = estimator
        self.dataset = dataset
        self.algorithm = algorithm
        self.arguments = arguments

    @property
    def nbytes(self):
        # The data set counts too: the model keeps it alive after the data set store forgot it.
        arrays = sum(value.nbytes for value in vars(self.estimator).values() if isinstance(value, np.ndarray))
        return arrays + self.dataset.nbytes


class Studio:
    """The state of one Studio server.

    Parameters
    ----------
    runner : kmlab.studio.runner.CodeRunner or None
        Runs the code panel's programs; None: the runner is off.
    code_off_reason : str
        Why the runner is off (shown on the page).
    compute_slots : int
        Numerical requests computed at once (the others wait their turn).
    """

    def __init__(self, runner, code_off_reason="", compute_slots=4):
        self.runner = runner
        self.code_off_reason = code_off_reason
        self.compute_slots = compute_slots
        self.slots = threading.BoundedSemaphore(compute_slots)
        self.datasets = Store("data set", max_items=64, max_bytes=512 * 2**20)
        self.tables = Store("table", max_items=8, max_bytes=256 * 2**20)
        self.models = Store("model", max_items=256, max_bytes=256 * 2**20)
        self.initial = None  # key of the data given on the command line

    def compute(self, function, *args, **kwargs):
        """Run ``function`` in one of the compute slots (call from a worker thread)."""
        with self.slots:
            return function(*args, **kwargs)

    # --- data -------------------------------------------------------------------------

    def describe(self, key, dataset):
        return {
            "dataset": key,
            "title": dataset.title,
            "kind": dataset.source["kind"],
            "n_points": int(len(dataset.X)),
            "n_features": int(dataset.X.shape[1]),
            "columns": dataset.columns,
            "axis_titles": dataset.axis_titles,
            "projected": dataset.pca is not None,
            "points": dataset.view.tolist(),
            "notes": dataset.notes,
            "k": dataset.k,
            "eps": dataset.eps,
        }

    def keep(self, dataset):
        return self.describe(self.datasets.add(dataset, dataset.nbytes), dataset)

    def preset(self, body):
        return self.keep(self.compute(data.preset_dataset, body.preset, body.n_points, body.noise, body.seed))

    def points(self, body):
        try:
            return self.keep(data.points_dataset(body.points))
        except ValueError as exc:
            raise StudioError(str(exc)) from None

    def upload(self, content, name):
        try:
            table = self.compute(data.read_table, content, name)
        except ValueError as exc:
            raise StudioError(str(exc), 400) from None
        described = table.describe()
        key = self.tables.add(table, table.nbytes)
        columns = [column["name"] for column in described["columns"]]
        dataset = None
        if len(columns) >= 2:
            dataset = self.table_dataset(table, columns, described["standardize"])
        return {"table": key, **described, "data": dataset}

    def table_dataset(self, table, columns, standardize):
        try:
            dataset = self.compute(data.table_dataset, table, columns, standardize)
        except ValueError as exc:
            raise StudioError(str(exc)) from None
        return self.keep(dataset)

    def table(self, body):
        return self.table_dataset(self.tables.get(body.table), body.columns, body.standardize)

    # --- models -----------------------------------------------------------------------

    def fit(self, body):
        dataset = self.datasets.get(body.dataset)

        def work():
            arguments = compute.estimator_arguments(
                dataset, body.algorithm, k=body.k, init=body.init, init_points=body.init_points, n_init=body.n_init,
                random_state=body.random_state, batch_size=body.batch_size, eps=body.eps, min_samples=body.min_samples,
            )  # fmt: skip
            estimator = compute.fit(dataset, body.algorithm, arguments)
            steps, assignments, n_steps = compute.frames(estimator, dataset)
            return arguments, estimator, steps, assignments, n_steps, compute.summary(estimator, dataset)

        arguments, estimator, steps, assignments, n_steps, summary = self.compute(work)
        vars(estimator).pop("history_", None)  # sent; the model store keeps the model only
        fitted = _Fitted(estimator, dataset, body.algorithm, arguments)
        key = self.models.add(fitted, fitted.nbytes)
        return {
            "model": key,
            "algorithm": body.algorithm,
            "frames": steps,
            "assignments": assignments,
            "n_steps": n_steps,
            "centers": compute.ALGORITHMS[body.algorithm].centers,
            **summary,
        }

    def _fitted(self, key, need_centers=True):
        fitted = self.models.get(key)
        if need_centers and not compute.ALGORITHMS[fitted.algorithm].centers:
            title = compute.ALGORITHMS[fitted.algorithm].title
            raise StudioError(
                f"{title} has no centres to assign new points to; fit K-Means, mini-batch K-Means or K-Medoids."
            )
        return fitted

    def predict(self, body):
        fitted = self._fitted(body.model)
        return self.compute(compute.predict, fitted.estimator, fitted.dataset, body.points)

    def silhouette(self, body):
        fitted = self._fitted(body.model, need_centers=False)
        return self.compute(compute.silhouette_knife, fitted.dataset, fitted.estimator.labels_)

    def code(self, body):
        fitted = self._fitted(body.model, need_centers=False)
        return {"code": codegen.view_code(fitted.dataset, fitted.algorithm, fitted.arguments, voronoi=body.voronoi)}

    def select_k(self, body):
        dataset = self.datasets.get(body.dataset)
        return self.compute(compute.choose_k, dataset, body.k_max, body.random_state)

    # --- code runner ------------------------------------------------------------------

    def run(self, body):
        from .runner import RunnerBusy

        if self.runner is None:
            raise StudioError(f"the code runner is off: {self.code_off_reason}", 403)
        try:
            return self.runner.run(body.code)
        except RunnerBusy as exc:
            raise StudioError(str(exc), 429) from None

    def info(self):
        from ..plotting import cluster_colors

        colors = cluster_colors(compute.MAX_K)
        initial = None
        if self.initial is not None:
            initial = self.describe(self.initial, self.datasets.get(self.initial))
        return {
            "version": __version__,
            "presets": [
                {"name": p.name, "title": p.title, "description": p.description, "n_points": p.n_points,
                 "noise": p.noise, "seed": p.seed, "k": p.k, "eps": p.eps}
                for p in data.PRESETS.values()
            ],  # fmt: skip
            "default_preset": data.DEFAULT_PRESET,
            "algorithms": [
                {"name": a.name, "title": a.title, "description": a.description, "centers": a.centers,
                 "history": a.history, "unavailable": a.unavailable()}
                for a in compute.ALGORITHMS.values()
            ],  # fmt: skip
            "inits": list(compute.INITS),
            "limits": {"max_points": data.MAX_POINTS, "min_points": MIN_POINTS, "max_k": compute.MAX_K},
            "colors": ["#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in color[:3])) for color in colors],
            "code": {
                "enabled": self.runner is not None,
                "reason": self.code_off_reason,
                "tutorial": codegen.TUTORIAL_PROGRAM,
            },
            "initial": initial,
        }

    def pin_table(self, table):
        """Make the data given on the command line the page's first data set."""
        described = table.describe()
        columns = [column["name"] for column in described["columns"]]
        try:
            dataset = data.table_dataset(table, columns, described["standardize"])
        except ValueError as exc:
            raise ValueError(f"{table.file}: {exc}") from None
        self.initial = self.datasets.pin(dataset)


def router(studio):
    """The ``/api`` routes of ``studio``, as a FastAPI APIRouter."""
    from fastapi import APIRouter, Request, Response
    from starlette.concurrency import run_in_threadpool

    api = APIRouter(prefix="/api")

    def answer(result):
        # json.dumps directly: FastAPI's encoder walks every number of the points and labels in Python.
        return Response(json.dumps(result, allow_nan=False, separators=(",", ":")), media_type="application/json")

    def post(path, model, method):
        async def endpoint(request: Request):
            body = parse(model, await request.body())
            return answer(await run_in_threadpool(method, body))

        api.add_api_route(path, endpoint, methods=["POST"], name=path.strip("/").replace("/", "_"))

    @api.get("/info")
    async def info():
        return answer(await run_in_threadpool(studio.info))

    post("/data/preset", PresetBody, studio.preset)
    post("/data/points", PointsBody, studio.points)
    post("/data/table", TableBody, studio.table)
    post("/fit", FitBody, studio.fit)
    post("/predict", PredictBody, studio.predict)
    post("/silhouette", ModelBody, studio.silhouette)
    post("/code", CodeBody, studio.code)
    post("/select-k", SelectBody, studio.select_k)
    post("/run", RunBody, studio.run)

    @api.post("/data/upload")
    async def upload(request: Request, name: str = "upload.csv"):
        content = await request.body()
        if not content:
            raise StudioError("the upload is empty; choose a CSV file with a header row", 400)
        return answer(await run_in_threadpool(studio.upload, content, name[:200]))

    return api
