"""What a fit reports while it runs: the step history, a callback, a progress bar.

The drivers call an observer once per half-step (see
:func:`kmlab._lloyd.kmeans_single_lloyd`); :class:`FitRecorder` turns those calls
into the ``history_`` entries, the dictionaries handed to a user's callback and
the updates of a tqdm progress bar.  It copies what it keeps, so the drivers can
go on reusing their buffers.
"""

import sys

# Labels are recorded with every step only up to this many samples: beyond, a
# history of a few hundred steps would hold hundreds of MB of labels.
HISTORY_MAX_LABELS = 20_000


class FitRecorder:
    """Observer of the runs of one fit.

    Parameters
    ----------
    n_samples : int
        Number of training samples (decides whether labels are kept).
    offset : ndarray of shape (n_features,) or None
        Added to the centres the driver reports (drivers work on centred data).
    record : bool
        Keep the steps of each run (:attr:`steps` of the current run).
    callback : callable or None
        Called with each step's dictionary.
    progress : bool
        Show a progress bar on standard error, one tick per run.
    n_runs : int
        Number of runs the fit makes (the bar's length).
    description : str
        Label of the progress bar.
    """

    def __init__(self, n_samples, offset, *, record, callback, progress, n_runs, description):
        self.offset = offset
        self.record = record
        self.callback = callback
        self.keep_labels = n_samples <= HISTORY_MAX_LABELS
        self.run = 0
        self.steps = []
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=n_runs, desc=description, unit="run", file=sys.stderr)

    @property
    def active(self):
        """Whether anybody listens (otherwise the driver is not observed at all)."""
        return self.record or self.callback is not None or self.bar is not None

    def start_run(self, run):
        """Begin run number ``run`` (0-based) with an empty step list."""
        self.run = run
        self.steps = []

    def __call__(self, phase, iteration, centers, labels, inertia, extra):
        centers = centers.copy() if self.offset is None else centers + self.offset
        step = {
            "run": self.run,
            "iteration": iteration,
            "phase": phase,
            "centers": centers,
            "labels": labels.copy() if labels is not None and self.keep_labels else None,
            "inertia": inertia,
            **extra,
        }
        if self.record:
            self.steps.append(step)
        if self.callback is not None:
            self.callback(step)
        if self.bar is not None and inertia is not None:
            self.bar.set_postfix(iteration=iteration, inertia=f"{inertia:.6g}", refresh=False)

    def end_run(self):
        """The steps of the run that just ended."""
        if self.bar is not None:
            self.bar.update(1)
        return self.steps

    def close(self):
        """Close the progress bar."""
        if self.bar is not None:
            self.bar.close()

