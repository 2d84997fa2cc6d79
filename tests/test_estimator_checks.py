"""scikit-learn's estimator checks, as scikit-learn runs them on its own KMeans.

The instance and the expected failures are those of scikit-learn 1.9's own test
suite (sklearn/utils/_test_common/instance_generator.py): KMeans(n_clusters=2,
n_init=2, max_iter=5), and two checks marked as expected to fail for
sklearn.cluster.KMeans itself, with scikit-learn's reason.  SphericalKMeans runs
the same checks with the same expected failures (n_init draws differ when
samples are repeated instead of weighted).  On the same machine
scikit-learn's KMeans passes every other check; check_array_api_input is
skipped for both (it needs SCIPY_ARRAY_API=1 and array_api_compat).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from kmlab import KMeans, KMedoids, SphericalKMeans

# TODO in scikit-learn: "replace by a statistical test, see meta-issue #16298"
SKLEARN_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "sample_weight is not equivalent to removing/repeating samples (as for sklearn.cluster.KMeans)."
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "sample_weight is not equivalent to removing/repeating samples (as for sklearn.cluster.KMeans)."
    ),
}


@parametrize_with_checks(
    [KMeans(n_clusters=2, n_init=2, max_iter=5), SphericalKMeans(n_clusters=2, n_init=2, max_iter=5)],
    expected_failed_checks=lambda estimator: SKLEARN_EXPECTED_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@parametrize_with_checks([KMedoids(n_clusters=2, random_state=0)])
def test_sklearn_compatible_kmedoids(estimator, check):
    check(estimator)
