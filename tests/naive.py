"""Slow, obvious reference implementations for kmlab's tests.

Everything here is plain Python loops over numpy rows, computed in float64 from
the exact differences ``x - c``: no norms expansion, no BLAS, no blocks, no
threads.  The functions follow scikit-learn's definitions (tie breaking, stopping
rules, empty-cluster relocation, random draws), so kmlab's kernels and drivers can
be compared with them on data without near ties.
"""

import numpy as np
import scipy.sparse as sp


def dense(X):
    """X as a float64 dense array (CSR matrices are densified)."""
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def sq_distances(X, centers):
    """Squared Euclidean distances, shape (n_samples, n_clusters)."""
    X, centers = dense(X), dense(centers)
    out = np.empty((X.shape[0], centers.shape[0]))
    for i, x in enumerate(X):
        for j, c in enumerate(centers):
            out[i, j] = sum((xf - cf) ** 2 for xf, cf in zip(x, c))
    return out


def assign(X, centers):
    """Index of the closest centre of every sample; ties go to the lowest index."""
    distances = sq_distances(X, centers)
    labels = np.empty(distances.shape[0], dtype=np.int32)
    for i, row in enumerate(distances):
        best = 0
        for j in range(1, row.shape[0]):
            if row[j] < row[best]:
                best = j
        labels[i] = best
    return labels


def inertia(X, centers, labels, sample_weight=None):
    """Weighted sum of the squared distances of the samples to their own centre."""
    X, centers = dense(X), dense(centers)
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    total = 0.0
    for x, label, weight in zip(X, labels, weights):
        total += weight * sum((xf - cf) ** 2 for xf, cf in zip(x, centers[label]))
    return total


def cluster_sums(X, labels, sample_weight, n_clusters):
    """Weighted sum of the samples of each cluster and the weight of each cluster."""
    X = dense(X)
    sums = np.zeros((n_clusters, X.shape[1]))
    weights = np.zeros(n_clusters)
    for x, label, weight in zip(X, labels, sample_weight):
        sums[label] += weight * x
        weights[label] += weight
    return sums, weights


def update_centers(X, labels, sample_weight, centers_old):
    """One M-step as scikit-learn does it: relocate empty clusters, then average.

    An empty cluster takes the sample farthest from its own centre (the i-th empty
    cluster the i-th farthest sample), which leaves its old cluster.  When every
    sample sits on its centre (more clusters than distinct samples) nothing is
    relocated, and an empty cluster is put at the centre of the heaviest cluster.
    """
    X = dense(X)
    n_clusters = centers_old.shape[0]
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    sums, weights = cluster_sums(X, labels, sample_weight, n_clusters)
    empty = [j for j in range(n_clusters) if weights[j] == 0]
    if empty:
        own = [sum((xf - cf) ** 2 for xf, cf in zip(x, centers_old[label])) for x, label in zip(X, labels)]
        if max(own) > 0:
            farthest = sorted(range(len(own)), key=lambda i: -own[i])[: len(empty)]
            for new_label, far in zip(empty, farthest):
                sums[labels[far]] -= sample_weight[far] * X[far]
                weights[labels[far]] -= sample_weight[far]
                sums[new_label] = sample_weight[far] * X[far]
                weights[new_label] = sample_weight[far]
    heaviest = int(np.argmax(weights))
    centers = np.empty_like(sums)
    for j in range(n_clusters):
        centers[j] = sums[j] / weights[j] if weights[j] > 0 else sums[heaviest] / weights[heaviest]
    return centers


def lloyd(X, centers_init, sample_weight=None, max_iter=300, tol=0.0):
    """Lloyd's algorithm with scikit-learn's stopping rules.

    Stop as soon as the labels repeat (strict convergence) or when the squared
    shift of the centres is within ``tol`` (an absolute tolerance, already
    scaled).  Unless strictly converged, assign once more so that the labels
    match the returned centres.  Returns (labels, inertia, centers, n_iter).
    """
    X = dense(X)
    sample_weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    centers = dense(centers_init).copy()
    labels_old = None
    strict = False
    for i in range(max_iter):
        labels = assign(X, centers)
        centers_new = update_centers(X, labels, sample_weight, centers)
        shift = sum(((a - b) ** 2).sum() for a, b in zip(centers_new, centers))
        centers = centers_new
        if labels_old is not None and np.array_equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not strict:
        labels = assign(X, centers)
    return labels, inertia(X, centers, labels, sample_weight), centers, i + 1


def scaled_tol(X, tol):
    """scikit-learn's absolute tolerance: ``tol`` times the mean feature variance."""
    X = dense(X)
    if tol == 0:
        return 0.0
    variances = [((column - column.mean()) ** 2).mean() for column in X.T]
    return float(np.mean(variances)) * tol


def kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_local_trials=None):
    """Greedy k-means++ with scikit-learn's random draws.

    The first centre is ``random_state.choice(n, p=w / w.sum())``.  For each next
    centre, ``n_local_trials`` values ``uniform() * potential`` are drawn, and
    each picks the first sample whose cumulative weighted squared distance to
    the closest centre reaches it; the candidate leaving the lowest potential
    wins (the first one on ties).  Returns (centers, indices).
    """
    X = dense(X)
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))

    def sq_dist_to(index):
        return np.array([sum((xf - cf) ** 2 for xf, cf in zip(x, X[index])) for x in X])

    first = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    indices = [int(first)]
    closest = sq_dist_to(first)
    potential = sum(w * d for w, d in zip(sample_weight, closest))
    for _ in range(1, n_clusters):
        draws = random_state.uniform(size=n_local_trials) * potential
        candidates = []
        for draw in draws:
            cumulative, chosen = 0.0, n_samples - 1
            for i in range(n_samples):
                cumulative += sample_weight[i] * closest[i]
                if cumulative >= draw:
                    chosen = i
                    break
            candidates.append(chosen)
        best_pot, best_closest, best_index = None, None, None
        for candidate in candidates:
            new_closest = np.minimum(closest, sq_dist_to(candidate))
            pot = sum(w * d for w, d in zip(sample_weight, new_closest))
            if best_pot is None or pot < best_pot:
                best_pot, best_closest, best_index = pot, new_closest, candidate
        indices.append(best_index)
        closest, potential = best_closest, best_pot
    indices = np.array(indices)
    return X[indices], indices


def seeding_cost(X, centers, sample_weight):
    """Weighted sum of the squared distances of the samples to their nearest centre.

    The quality of a seeding before any Lloyd iteration (k-means++'s potential).
    """
    X, centers = dense(X), dense(centers)
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    nearest = np.array([min(((x - c) ** 2).sum() for c in centers) for x in X])
    return float(sample_weight @ nearest)


def is_row_of(center, X):
    """Whether ``center`` equals one of the rows of ``X`` exactly."""
    return bool(np.any(np.all(dense(X) == np.asarray(center), axis=1)))


def spherical_kmeans(X, centers_init, sample_weight=None, max_iter=300, tol=0.0):
    """Spherical K-Means: Lloyd on unit-length rows with unit-length centres.

    Labels maximise the cosine similarity (ties: lowest index); each centre is the
    direction of its cluster's weighted mean (empty clusters relocated as in
    :func:`update_centers`).  Returns (labels, sum of 1 - cos, centers, n_iter).
    """
    X = dense(X)
    lengths = np.sqrt((X**2).sum(axis=1))
    X = X / np.where(lengths > 0, lengths, 1.0)[:, None]
    sample_weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    centers = dense(centers_init)
    centers = centers / np.sqrt((centers**2).sum(axis=1))[:, None]
    labels_old, strict = None, False
    for i in range(max_iter):
        labels = assign(X, centers)
        centers_new = update_centers(X, labels, sample_weight, centers)
        centers_new = centers_new / np.sqrt((centers_new**2).sum(axis=1))[:, None]
        shift = ((centers_new - centers) ** 2).sum()
        centers = centers_new
        if labels_old is not None and np.array_equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not strict:
        labels = assign(X, centers)
    cosine_distances = [1.0 - sum(a * b for a, b in zip(x, centers[label])) for x, label in zip(X, labels)]
    return labels, float(np.dot(sample_weight, cosine_distances)), centers, i + 1


def gap_statistic(X, k_values, n_refs, seed, cluster, sample_weight=None):
    """Tibshirani's gap statistic and its standard error, references uniform in X's bounding box.

    ``cluster(data, k)`` returns (centers, labels); W_k is :func:`inertia` of that
    clustering.  The references are drawn one after the other from
    ``numpy.random.RandomState(seed)``, each ``uniform(low, high, size=X.shape)``
    cast to X's dtype, and carry the same sample weights as X.  Returns (gap, se)
    with ``se = sd * sqrt(1 + 1/n_refs)``, sd the population standard deviation
    of the references' log W.
    """
    X = np.asarray(X)
    rng = np.random.RandomState(seed)
    low = np.array([min(column) for column in X.T])
    high = np.array([max(column) for column in X.T])
    references = [rng.uniform(low, high, size=X.shape).astype(X.dtype) for _ in range(n_refs)]

    def log_w(data, k):
        centers, labels = cluster(data, k)
        return np.log(inertia(data, centers, labels, sample_weight))

    gap, se = [], []
    for k in k_values:
        logs = [log_w(reference, k) for reference in references]
        mean = sum(logs) / n_refs
        sd = np.sqrt(sum((value - mean) ** 2 for value in logs) / n_refs)
        gap.append(mean - log_w(X, k))
        se.append(sd * np.sqrt(1 + 1 / n_refs))
    return np.array(gap), np.array(se)


def one_se_choice(k_values, gap, se):
    """Tibshirani's 1-SE rule: the first k whose gap is within one SE of the next k's; None if none."""
    for i in range(len(k_values) - 1):
        if gap[i] >= gap[i + 1] - se[i + 1]:
            return k_values[i]
    return None


def _cosine_distance(x, y):
    """1 - cos(x, y); 1 when either is all zeros (scikit-learn's), 0 from a sample to itself."""
    norm_x, norm_y = np.sqrt(sum(v * v for v in x)), np.sqrt(sum(v * v for v in y))
    if norm_x == 0 or norm_y == 0:
        return 1.0
    return 1.0 - sum(a * b for a, b in zip(x, y)) / (norm_x * norm_y)


def silhouette_samples(X, labels, metric="euclidean"):
    """Rousseeuw's silhouette of every sample, from every pairwise distance (O(n^2 d)).

    ``a``: mean distance to the other members of the own cluster; ``b``: the
    smallest mean distance to the members of another cluster; the value is
    ``(b - a) / max(a, b)``, and 0 for a sample alone in its cluster or when
    ``a == b == 0`` (scikit-learn's convention).  ``metric``: "euclidean" or
    "cosine".
    """
    X = dense(X)
    labels = list(labels)
    clusters = sorted(set(labels))
    out = np.empty(X.shape[0])
    for i, x in enumerate(X):
        totals = {c: 0.0 for c in clusters}
        sizes = {c: 0 for c in clusters}
        for j, (y, label) in enumerate(zip(X, labels)):
            if i == j:
                distance = 0.0
            elif metric == "cosine":
                distance = _cosine_distance(x, y)
            else:
                distance = np.sqrt(sum((xf - yf) ** 2 for xf, yf in zip(x, y)))
            totals[label] += distance
            sizes[label] += 1
        own = labels[i]
        if sizes[own] == 1:
            out[i] = 0.0
            continue
        a = totals[own] / (sizes[own] - 1)
        b = min(totals[c] / sizes[c] for c in clusters if c != own)
        out[i] = 0.0 if max(a, b) == 0 else (b - a) / max(a, b)
    return out


def simplified_silhouette_samples(X, labels, centers=None):
    """The centroid-based silhouette: ``a`` the distance to the own centre, ``b`` to the nearest other one.

    ``centers`` defaults to the mean of each cluster (then ``labels`` may be any
    values, the centres taken in sorted label order); given, ``labels`` index
    its rows.  A sample alone in its cluster gets 0, as do ``a == b == 0``.
    """
    X = dense(X)
    labels = list(labels)
    if centers is None:
        clusters = sorted(set(labels))
        centers = [sum(x for x, label in zip(X, labels) if label == c) / labels.count(c) for c in clusters]
        labels = [clusters.index(label) for label in labels]
    centers = dense(centers)
    out = np.empty(X.shape[0])
    for i, (x, own) in enumerate(zip(X, labels)):
        if labels.count(own) == 1:
            out[i] = 0.0
            continue
        distances = [np.sqrt(sum((xf - cf) ** 2 for xf, cf in zip(x, c))) for c in centers]
        a = distances[own]
        b = min(d for j, d in enumerate(distances) if j != own)
        out[i] = 0.0 if max(a, b) == 0 else (b - a) / max(a, b)
    return out


def floyd_steinberg(image, palette):
    """Floyd-Steinberg dithering onto ``palette``: palette index of every pixel.

    Raster order; each pixel takes the nearest palette colour (RGB, ties: lowest
    index) to its value plus the diffused error, clipped to 0..255, and passes
    its error on: 7/16 right, 3/16 down-left, 5/16 down, 1/16 down-right.
    """
    height, width = image.shape[:2]
    work = image.astype(np.float64).copy()
    palette = np.asarray(palette, dtype=np.float64)
    indices = np.zeros((height, width), dtype=np.int64)
    for y in range(height):
        for x in range(width):
            wanted = np.clip(work[y, x], 0, 255)
            distances = [((wanted - color) ** 2).sum() for color in palette]
            best = int(np.argmin(distances))
            indices[y, x] = best
            error = wanted - palette[best]
            for dy, dx, share in ((0, 1, 7), (1, -1, 3), (1, 0, 5), (1, 1, 1)):
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    work[y + dy, x + dx] += error * share / 16
    return indices


def distance_matrix(X):
    """Euclidean distances between the rows of X, from the exact differences, float64."""
    X = dense(X)
    n = X.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = np.sqrt(sum((a - b) ** 2 for a, b in zip(X[i], X[j])))
    return out


def medoid_loss(D, medoids):
    """Sum over the samples of the distance to their nearest medoid (k-medoids' objective)."""
    return float(sum(min(D[m, o] for m in medoids) for o in range(D.shape[0])))


def best_swap(D, medoids):
    """PAM's SWAP step: the (slot, sample) swap that lowers the loss most, and its change of loss.

    Tries every medoid slot with every non-medoid sample and recomputes the loss
    from scratch each time.  Returns (None, 0.0) when no swap lowers the loss.
    """
    medoids = list(medoids)
    current = medoid_loss(D, medoids)
    best, best_change = None, 0.0
    for slot in range(len(medoids)):
        for x in range(D.shape[0]):
            if x in medoids:
                continue
            trial = medoids[:slot] + [x] + medoids[slot + 1 :]
            change = medoid_loss(D, trial) - current
            if change < best_change:
                best, best_change = (slot, x), change
    return best, best_change


def pam(D, medoids, rtol=1e-12):
    """Classic PAM from the given medoids: make the best swap while it lowers the loss by more than rtol.

    Returns (medoids, loss) at a local optimum of the swap neighbourhood.
    """
    medoids = list(medoids)
    while True:
        swap, change = best_swap(D, medoids)
        if swap is None or change >= -rtol * medoid_loss(D, medoids):
            return medoids, medoid_loss(D, medoids)
        medoids[swap[0]] = swap[1]


def best_medoids(D, n_clusters):
    """The global optimum by brute force over every set of medoids: (medoids, loss). Tiny data only."""
    from itertools import combinations

    best = min(combinations(range(D.shape[0]), n_clusters), key=lambda m: medoid_loss(D, m))
    return list(best), medoid_loss(D, best)


def pam_build(D, n_clusters):
    """PAM's BUILD: the sample with the smallest total distance, then greedily the one lowering the loss most.

    Ties go to the lowest sample index.
    """
    n = D.shape[0]
    medoids = [min(range(n), key=lambda c: (sum(D[c]), c))]
    while len(medoids) < n_clusters:
        others = [c for c in range(n) if c not in medoids]
        medoids.append(min(others, key=lambda c: (medoid_loss(D, medoids + [c]), c)))
    return medoids


def alternate_kmedoids(D, medoids, max_iter=300):
    """k-means-style k-medoids: assign to the nearest medoid (lowest slot on ties), then move each
    medoid to the member of its cluster with the smallest total distance to the cluster (the current
    medoid stays on ties; a sample that is another slot's medoid is never taken).  Returns (medoids, n_iter).
    """
    medoids = list(medoids)
    n = D.shape[0]
    for n_iter in range(1, max_iter + 1):
        labels = [min(range(len(medoids)), key=lambda s: (D[medoids[s], o], s)) for o in range(n)]
        changed = False
        for slot, m in enumerate(medoids):
            members = [o for o in range(n) if labels[o] == slot]
            if not members:
                continue
            current = sum(D[m, p] for p in members)
            candidates = [o for o in members if o not in medoids or o == m]
            best = min(candidates, key=lambda o: (sum(D[o, p] for p in members), o))
            if sum(D[best, p] for p in members) < current * (1 - 1e-9):
                medoids[slot] = best
                changed = True
        if not changed:
            return medoids, n_iter
    return medoids, max_iter


def minibatch_step(X_batch, sample_weight, centers, counts):
    """One step of scikit-learn's mini-batch K-Means, before any reassignment.

    Each sample goes to its closest centre; then each centre that got weight is
    moved to the weighted mean of its old position (weighted by its count so
    far) and its new samples, added in batch order; its count grows by that
    weight.  Returns (labels, batch inertia, new centres, new counts).
    """
    X = dense(X_batch)
    centers = dense(centers)
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    counts = np.array(counts, dtype=np.float64)
    labels = assign(X, centers)
    new_centers = centers.copy()
    for cluster in range(centers.shape[0]):
        members = [i for i in range(X.shape[0]) if labels[i] == cluster]
        weight = 0.0
        for i in members:
            weight += sample_weight[i]
        if weight > 0:
            total = centers[cluster] * counts[cluster]
            for i in members:
                total = total + X[i] * sample_weight[i]
            counts[cluster] += weight
            new_centers[cluster] = total * (1.0 / counts[cluster])
    return labels, inertia(X, centers, labels, sample_weight), new_centers, counts
