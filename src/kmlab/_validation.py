"""Input checks shared by the estimators and functions.

scikit-learn's ``check_array``/``validate_data`` do most of the work; the helpers
here add what it leaves vague (strings, complex numbers, bad sample weights) so
that every message names the argument, the problem and the fix.
"""

from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import _check_sample_weight, check_array, validate_data

FLOAT_DTYPES = [np.float64, np.float32]

# The names scikit-learn accepts for the Euclidean metric.
EUCLIDEAN_METRICS = ("euclidean", "l2")


def _reject_non_numeric(X, name):
    """Raise a clear error for strings, bytes and complex numbers in ``X``."""
    if hasattr(X, "dtypes"):  # pandas DataFrame: one dtype per column
        dtypes = list(X.dtypes)
    elif hasattr(X, "dtype"):  # numpy array, sparse matrix, pandas Series
        dtypes = [X.dtype]
    else:  # list of lists and other sequences
        dtypes = [np.asarray(X).dtype]
    for dtype in dtypes:
        kind = getattr(dtype, "kind", "O")
        if kind in "USa":
            raise ValueError(
                f"{name} contains strings (dtype {dtype}); K-Means needs numbers. "
                "Encode or drop the non-numeric columns first."
            )
        if kind == "c":
            raise ValueError(
                f"Complex data not supported: {name} contains complex numbers (dtype {dtype}); K-Means needs real numbers. "
                "Pass the real part, the modulus, or both as separate features."
            )


def _convert(convert, X, name):
    _reject_non_numeric(X, name)
    try:
        X = convert(X)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if "could not convert" in message or "string" in message:
            raise type(exc)(
                f"{name} must contain only numbers: {message}. Encode or drop the non-numeric columns first."
            ) from exc
        raise
    if sp.issparse(X) and not X.has_canonical_format:
        # Duplicate entries would be counted twice by the kernels' distances.
        X = X.copy()
        X.sum_duplicates()
    return X


def check_data(X, name="X", **kwargs):
    """``check_array`` for the functions: float32/float64, C order, CSR or dense."""
    options = dict(accept_sparse="csr", dtype=FLOAT_DTYPES, order="C", accept_large_sparse=False)
    options.update(kwargs)
    return _convert(lambda data: check_array(data, input_name=name, **options), X, name)


def validate_estimator_data(estimator, X, *, reset=True, copy=False, check_finite=True):
    """``validate_data`` for the estimators, with kmlab's clearer messages.

    ``check_finite=False`` leaves the NaN and infinity check to the caller
    (:func:`check_finite_by_means`), which has a pass over the data of its own.
    """
    return _convert(
        lambda data: validate_data(
            estimator, data, accept_sparse="csr", dtype=FLOAT_DTYPES, order="C",
            copy=copy, accept_large_sparse=False, reset=reset, ensure_all_finite=check_finite,
        ),  # fmt: skip
        X,
        "X",
    )


@contextmanager
def validation_undone_on_error(estimator):
    """Put back what ``validate_data`` records (``n_features_in_``, ``feature_names_in_``) if the block raises.

    For checks that follow the validation (the NaN check by the means, the
    number of samples): a fit that fails leaves the estimator as it was.
    """
    recorded = ("n_features_in_", "feature_names_in_")
    before = {name: vars(estimator)[name] for name in recorded if name in vars(estimator)}
    try:
        yield
    except BaseException:
        for name in recorded:
            vars(estimator).pop(name, None)
        vars(estimator).update(before)
        raise


def check_finite_by_means(X, column_means=None):
    """scikit-learn's NaN and infinity check of validated ``X`` ("Input X contains NaN.").

    Dense X whose column means (``column_means``, of every value) are finite
    passes without a pass of its own: a NaN or an infinity makes its column's
    sum NaN or infinite.  Otherwise, and for sparse X, scikit-learn's check
    decides (finite values whose sum overflows pass it).
    """
    if column_means is not None and np.isfinite(column_means).all():
        return
    assert_all_finite(X.data if sp.issparse(X) else X, input_name="X")


def check_weights(sample_weight, X):
    """Validate ``sample_weight`` for ``X``: finite, non-negative, not all zero.

    scikit-learn accepts negative weights and gives meaningless centres; kmlab
    refuses them.  Returns an array of X's dtype.
    """
    n_samples = X.shape[0]
    if sample_weight is None:
        return np.ones(n_samples, dtype=X.dtype)
    if np.isscalar(sample_weight):
        values = np.full(n_samples, sample_weight)
    else:
        values = np.asarray(sample_weight)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must contain only real numbers; got dtype {values.dtype}.")
    if values.ndim != 1 or values.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be a 1-D array with one weight per sample: expected shape ({n_samples},), "
            f"got {values.shape}."
        )
    if not np.all(np.isfinite(values)):
        bad = np.flatnonzero(~np.isfinite(values))
        raise ValueError(f"sample_weight contains NaN or infinity (at index {bad[:5].tolist()}); weights must be finite.")
    if np.any(values < 0):
        bad = np.flatnonzero(values < 0)
        raise ValueError(
            f"sample_weight contains negative values (at index {bad[:5].tolist()}, e.g. {values[bad[0]]}); "
            "weights must be >= 0."
        )
    if not np.any(values > 0):
        raise ValueError("sample_weight is zero everywhere; at least one sample needs a positive weight.")
    return _check_sample_weight(values, X, dtype=X.dtype)
