"""The tutorial's use cases as one call each: image colours, documents, anomalies.

- :func:`quantize` reduces a photo to a few colours the fast way: K-Means on
  the image's *distinct* colours weighted by how many pixels have them (the
  same objective as K-Means on every pixel, on far fewer points), then every
  pixel mapped through a lookup table.
- :func:`cluster_documents` groups texts by topic: TF-IDF vectors (sparse,
  never densified) clustered by cosine similarity with
  :class:`~kmlab.SphericalKMeans`, each cluster described by its top terms and
  its most representative documents.
- :func:`find_anomalies` flags the rows that fit no cluster: scaled features,
  K-Means, and each row's distance to its nearest centre in units of that
  cluster's spread (:class:`~kmlab.ClusterAnomalyDetector`).

Examples
--------
>>> import numpy as np
>>> from kmlab.recipes import quantize
>>> rng = np.random.default_rng(0)
>>> image = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
>>> result = quantize(image, 8, random_state=0)
>>> result.image.shape, result.palette.shape, len(np.unique(result.indices))
((64, 64, 3), (8, 3), 8)
"""

from dataclasses import dataclass

import numpy as np

COLOR_SPACES = ("rgb", "lab")

# Above this many distinct colours, K-Means runs on the colours pooled into the
# 32 x 32 x 32 cells of the RGB cube (each cell: the weighted mean of its colours,
# weighted by its pixels) instead of on every distinct colour.
MAX_FIT_COLORS = 1 << 16

# KMeans's defaults, for the colour fit.
KMEANS_MAX_ITER, KMEANS_TOL = 300, 1e-4


@dataclass(frozen=True)
class Quantized:
    """The result of :func:`quantize`.

    Attributes
    ----------
    image : ndarray of shape (height, width, 3), uint8
        The image drawn with the palette only.
    palette : ndarray of shape (n_colors, 3), uint8
        The colours, most used first.
    indices : ndarray of shape (height, width), uint8 or uint16
        Palette index of every pixel.
    shares : ndarray of shape (n_colors,)
        Fraction of the pixels drawn with each colour.
    n_unique_colors : int
        Distinct colours in the original image.
    """

    image: np.ndarray
    palette: np.ndarray
    indices: np.ndarray
    shares: np.ndarray
    n_unique_colors: int

    def hex_palette(self):
        """The palette as ``#rrggbb`` strings, most used first."""
        return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in self.palette.tolist()]


def _as_rgb_uint8(image):
    """``image`` as a C-contiguous (height, width, 3) uint8 array, with clear errors."""
    array = np.asarray(image)
    if array.dtype.kind not in "uif" and array.dtype != bool:
        raise ValueError(f"image must hold numbers, got dtype {array.dtype}.")
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(
            f"image must have shape (height, width, 3) (RGB), (height, width, 4) (RGBA) or (height, width) "
            f"(grey); got shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"image is empty: shape {array.shape}.")
    array = array[:, :, :3]
    if array.dtype != np.uint8:
        if array.dtype.kind == "f":
            if not np.isfinite(array).all():
                raise ValueError("image contains NaN or infinity.")
            scale = 255.0 if array.max() <= 1.0 else 1.0
            array = np.rint(array * scale)
        if array.min() < 0 or array.max() > 255:
            raise ValueError(
                f"image values must lie in 0..255 (or 0..1 for floats); got {array.min()}..{array.max()}."
            )
        array = array.astype(np.uint8)
    return np.ascontiguousarray(array)


def srgb_to_lab(rgb):
    """CIE L*a*b* (D65) coordinates of sRGB colours.

    Parameters
    ----------
    rgb : array-like of shape (n, 3)
        sRGB values in 0..255.

    Returns
    -------
    lab : ndarray of shape (n, 3)
        L* in 0..100, a* and b* roughly in -128..127.

    Examples
    --------
    >>> srgb_to_lab([[255, 255, 255], [0, 0, 0]]).round(3) + 0.0
    array([[100.,   0.,   0.],
           [  0.,   0.,   0.]])
    """
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ])  # fmt: skip
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.column_stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])])


def _pool_colors(packed, points, weights):
    """Distinct colours pooled into the 32**3 cells of the RGB cube: (cell means, cell weights).

    A cell holds colours at most 7 apart per channel; its weighted mean and total
    weight stand for them in K-Means (the means of clusters of whole cells are
    exactly those of their colours), so the fit sees at most 32 768 points
    whatever the photo.
    """
    cell = ((packed >> 19) << 10) | (((packed >> 11) & 31) << 5) | ((packed >> 3) & 31)
    cell_weights = np.bincount(cell, weights=weights, minlength=1 << 15)
    used = np.flatnonzero(cell_weights)
    sums = np.column_stack([np.bincount(cell, weights=weights * points[:, c], minlength=1 << 15) for c in range(3)])
    return sums[used] / cell_weights[used, None], cell_weights[used]


def _kmeans_colors(points, weights, n_colors, random_state):
    """``KMeans(n_colors, random_state=...).fit(points, sample_weight=weights)``: centres and labels.

    The same drivers and arithmetic as the estimator (k-means++, one Lloyd run,
    the tolerance scaled by the variance), called directly: importing
    scikit-learn would double the start-up time of ``kmlab quantize``.
    """
    from ._init import greedy_kmeans_plusplus, reads_packed_rows
    from ._lloyd import LloydWorkspace, column_moments, kmeans_single_lloyd, scaled_tolerance

    if not isinstance(random_state, np.random.RandomState):
        random_state = np.random.RandomState(random_state)
    # One pass for the centring offset and the tolerance's variances, as KMeans.fit.
    offset, variances = column_moments(points, with_var=KMEANS_TOL != 0)
    workspace = LloydWorkspace(
        points, n_colors, offset=offset, with_sqnorms=True, pack_for_seeding=reads_packed_rows(points)
    )
    x_sqnorms64 = workspace.row_sqnorms
    centers, _ = greedy_kmeans_plusplus(
        points, n_colors, weights, random_state, x_sqnorms64, offset=offset, packed=workspace.shared_packed_rows()
    )
    workspace.release_seeding_rows()
    tol = scaled_tolerance(points, KMEANS_TOL, variances)
    labels, _, centers, _ = kmeans_single_lloyd(points, weights, centers, KMEANS_MAX_ITER, 0, tol, workspace)
    return centers + offset, labels


def quantize(image, n_colors, *, color_space="rgb", dither=False, random_state=0, n_threads=None):
    """Reduce an image to ``n_colors`` colours with K-Means.

    K-Means runs on the image's distinct colours, each weighted by its number of
    pixels: the same objective as K-Means on every pixel (so the same quality),
    on far fewer points.  Beyond ``MAX_FIT_COLORS`` distinct colours (a photo
    has hundreds of thousands), the fit runs on the colours pooled into the
    32 x 32 x 32 cells of the RGB cube, each distinct colour then takes its
    nearest centre, and each palette colour is the mean of its pixels (on a
    12-megapixel photo, as good as K-Means on every pixel: benchmarks/README.md).
    Every pixel then takes its colour's palette entry through a lookup table
    (or, with ``dither``, Floyd-Steinberg error diffusion).

    Parameters
    ----------
    image : array-like of shape (height, width, 3), (height, width, 4) or (height, width)
        RGB, RGBA (alpha ignored) or grey; uint8 0..255, or floats in 0..1.
    n_colors : int
        Colours of the palette, 1..65536 (fewer if the image has fewer).
    color_space : {'rgb', 'lab'}, default='rgb'
        Where distances are measured: 'rgb' (mean squared error, best PSNR) or
        'lab' (CIE L*a*b*, closer to what the eye sees; each palette colour is
        then the mean RGB colour of its cluster).
    dither : bool, default=False
        Diffuse each pixel's error onto its neighbours (smoother gradients,
        slower; the palette is the same).
    random_state : int, RandomState instance or None, default=0
        Seed of the k-means++ seeding (None: fresh entropy).
    n_threads : int, default=None
        Threads of the kernels.

    Returns
    -------
    result : Quantized
        The quantized image, the palette (most used colour first), each pixel's
        palette index and each colour's share of the pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab.recipes import quantize
    >>> image = np.zeros((2, 3, 3), dtype=np.uint8)
    >>> image[0] = [250, 10, 10]
    >>> image[1, :2] = [10, 10, 240]
    >>> result = quantize(image, 2)
    >>> result.hex_palette()
    ['#fa0a0a', '#0707a0']
    >>> result.indices
    array([[0, 0, 0],
           [1, 1, 1]], dtype=uint8)
    """
    from ._kernels.quantize import N_COLORS_24BIT, color_counts, floyd_steinberg, lookup_colors
    from ._lloyd import labels_inertia
    from ._threads import kernel_threads, resolve_n_threads

    if isinstance(n_colors, bool) or not isinstance(n_colors, (int, np.integer)) or not 1 <= n_colors <= 65536:
        raise ValueError(f"n_colors must be an integer from 1 to 65536; got {n_colors!r}.")
    if color_space not in COLOR_SPACES:
        raise ValueError(f"color_space must be one of {COLOR_SPACES}; got {color_space!r}.")
    rgb = _as_rgb_uint8(image)
    height, width = rgb.shape[:2]
    pixels = rgb.reshape(-1, 3)

    with kernel_threads(resolve_n_threads(n_threads)):
        counts = np.zeros(N_COLORS_24BIT, dtype=np.uint32)
        color_counts(pixels, counts)
        packed = np.flatnonzero(counts)
        weights = counts[packed].astype(np.float64)
        del counts
        colors = np.column_stack([packed >> 16, (packed >> 8) & 255, packed & 255]).astype(np.float64)

        if packed.size <= n_colors:
            labels = np.arange(packed.size)
            palette = colors
        else:
            points = colors if color_space == "rgb" else srgb_to_lab(colors)
            pooled = packed.size > MAX_FIT_COLORS
            if pooled:
                centers, _ = _kmeans_colors(*_pool_colors(packed, points, weights), n_colors, random_state)
                labels, _ = labels_inertia(points, weights, centers, with_inertia=False)
            else:
                centers, labels = _kmeans_colors(points, weights, n_colors, random_state)
            if color_space == "rgb" and not pooled:
                palette = centers
            else:
                # Each colour of the palette: the mean colour of the pixels it stands for.
                totals = np.bincount(labels, weights=weights, minlength=n_colors)
                palette = np.column_stack(
                    [np.bincount(labels, weights=weights * colors[:, c], minlength=n_colors) for c in range(3)]
                ) / np.maximum(totals, 1.0)[:, None]

        # Most used colour first.
        pixel_counts = np.bincount(labels, weights=weights, minlength=palette.shape[0])
        order = np.argsort(-pixel_counts, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        palette = np.clip(np.rint(palette[order]), 0, 255).astype(np.uint8)
        index_dtype = np.uint8 if palette.shape[0] <= 256 else np.uint16

        if dither:
            indices = np.empty((height, width), dtype=index_dtype)
            floyd_steinberg(rgb, palette.astype(np.float64), indices)
        else:
            table = np.zeros(N_COLORS_24BIT, dtype=index_dtype)
            table[packed] = rank[labels]
            indices = np.empty(pixels.shape[0], dtype=index_dtype)
            lookup_colors(pixels, table, indices)
            indices = indices.reshape(height, width)

    shares = np.bincount(indices.ravel(), minlength=palette.shape[0]) / indices.size
    return Quantized(
        image=palette[indices], palette=palette, indices=indices, shares=shares, n_unique_colors=int(packed.size)
    )


def psnr(reference, image):
    """Peak signal-to-noise ratio of ``image`` against ``reference``, in dB (8-bit images).

    Parameters
    ----------
    reference, image : array-like of the same shape
        Pixel values in 0..255.

    Returns
    -------
    psnr : float
        ``10 log10(255**2 / MSE)``; infinity for identical images.

    Examples
    --------
    >>> import numpy as np
    >>> round(psnr(np.zeros((4, 4)), np.full((4, 4), 255)), 6)
    0.0
    """
    reference = np.asarray(reference, dtype=np.float64)
    image = np.asarray(image, dtype=np.float64)
    if reference.shape != image.shape:
        raise ValueError(f"images differ in shape: {reference.shape} and {image.shape}.")
    mse = float(np.mean((reference - image) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


# --- documents and anomalies ------------------------------------------------------------

#: Criteria of :func:`cluster_documents` with ``n_clusters="auto"``: the gap statistic's uniform
#: references would be dense arrays of the corpus's shape, and Calinski-Harabasz and
#: Davies-Bouldin need dense data.
DOCUMENT_CRITERIA = ("elbow", "silhouette")

#: ``scale`` of :func:`find_anomalies` -> the scikit-learn scaler's name (None: no scaling).
SCALERS = {"standard": "StandardScaler", "robust": "RobustScaler", None: None}


def _check_n_clusters(n_clusters):
    if isinstance(n_clusters, str) and n_clusters == "auto":
        return n_clusters
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)) or n_clusters < 1:
        raise ValueError(f"n_clusters must be an integer >= 1 or 'auto'; got {n_clusters!r}.")
    return int(n_clusters)


def _auto_k_values(k_range, n_samples):
    """The Ks of ``k_range`` below ``n_samples`` (the silhouette needs fewer clusters than samples)."""
    values = list(k_range)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"k_range must hold integers such as range(2, 11); got {value!r}.")
    kept = sorted({int(value) for value in values if value < n_samples})
    if len(kept) < 2:
        raise ValueError(
            f"n_clusters='auto' compares the numbers of clusters of k_range below the number of samples "
            f"({n_samples}); k_range={values!r} leaves fewer than two. Pass a smaller k_range or an integer n_clusters."
        )
    return kept


def _chosen_estimator(selection):
    if selection.best_k is None:
        raise ValueError(f"no criterion picked a number of clusters ({selection.verdict}); pass n_clusters.")
    return selection.estimators[list(selection.k_values).index(selection.best_k)]


@dataclass(frozen=True)
class DocumentClusters:
    """The result of :func:`cluster_documents`.

    Attributes
    ----------
    labels : ndarray of shape (n_documents,), int32
        Cluster of each document; -1 for a document with no term of the
        vocabulary (empty, or only stop words and rare words): it has no
        direction, so it belongs to no cluster.
    similarity : ndarray of shape (n_documents,)
        Cosine similarity of each document to its cluster's centre, in 0..1;
        NaN for the documents labelled -1.
    sizes : ndarray of shape (n_clusters,), int
        Documents per cluster.
    top_terms : list of list of str
        Per cluster, the terms of largest weight in its centre, largest first.
    representatives : list of ndarray of int
        Per cluster, the indices of its documents most similar to its centre,
        most similar first.
    vectorizer : sklearn.feature_extraction.text.TfidfVectorizer
        The fitted vectorizer: ``vectorizer.transform(texts)`` gives the
        TF-IDF rows of new texts.
    model : SphericalKMeans
        The clustering, fitted on the TF-IDF rows of the documents with terms.
    selection : KSelection or None
        The comparison of numbers of clusters when ``n_clusters="auto"``.
    """

    labels: np.ndarray
    similarity: np.ndarray
    sizes: np.ndarray
    top_terms: list
    representatives: list
    vectorizer: object
    model: object
    selection: object

    @property
    def n_clusters(self):
        """The number of clusters."""
        return int(self.model.n_clusters)


def cluster_documents(
    texts,
    n_clusters="auto",
    *,
    k_range=range(2, 13),
    n_terms=10,
    n_representatives=3,
    min_df=2,
    max_df=0.9,
    random_state=0,
    progress=False,
):
    """Group texts by topic: TF-IDF vectors and spherical (cosine) K-Means.

    The texts become TF-IDF vectors with scikit-learn's
    :class:`~sklearn.feature_extraction.text.TfidfVectorizer` (English stop
    words removed, accents stripped, ``sublinear_tf``: a word said ten times
    weighs ``1 + log 10``, not ten times one mention; rows of unit length).
    :class:`~kmlab.SphericalKMeans` then clusters them by cosine similarity on
    the sparse matrix, never densified, each number of clusters fitted from 3
    k-means++ seedings and the best kept.  Documents left without any term
    are in no cluster (label -1).

    Parameters
    ----------
    texts : sequence of str
        The documents.
    n_clusters : int or 'auto', default='auto'
        The number of clusters; 'auto' runs :func:`kmlab.select_k` over
        ``k_range`` with the elbow and the silhouette (:data:`DOCUMENT_CRITERIA`;
        the silhouette on the cosine distance, as for every SphericalKMeans)
        and takes its choice.
    k_range : iterable of int, default=range(2, 13)
        The numbers of clusters 'auto' compares (those below the number of
        documents with terms).
    n_terms : int, default=10
        Top terms listed per cluster.
    n_representatives : int, default=3
        Representative documents listed per cluster.
    min_df : int or float, default=2
        A term must appear in at least this many documents (a fraction when a
        float): a term of one document links it to no other.  Lower it to 1 for
        a handful of documents.
    max_df : int or float, default=0.9
        A term in more than this fraction of the documents (a count when an
        int) is left out: boilerplate shared by (nearly) all says nothing about
        topics.
    random_state : int, RandomState instance or None, default=0
        Seed of the seedings and of :func:`select_k`.
    progress : bool, default=False
        Show ``select_k``'s progress bar.

    Returns
    -------
    result : DocumentClusters
        Labels, similarities, sizes, top terms and representative documents of
        each cluster, the vectorizer, the model and the selection.

    Raises
    ------
    ValueError
        Fewer than two documents, no term left to cluster on, or more clusters
        than documents with terms.
    TypeError
        ``texts`` holds something other than strings.

    Examples
    --------
    >>> from kmlab.recipes import cluster_documents
    >>> texts = [
    ...     "The rocket reached orbit around the planet.",
    ...     "A new telescope photographed the planet and its orbit.",
    ...     "The rocket launch put a telescope in orbit.",
    ...     "Bake the dough in a hot oven with butter.",
    ...     "Melt butter, add flour and knead the dough.",
    ...     "The oven must be hot before the dough goes in.",
    ...     "",
    ... ]
    >>> result = cluster_documents(texts, 2, n_terms=3)
    >>> result.labels
    array([ 1,  1,  1,  0,  0,  0, -1], dtype=int32)
    >>> result.top_terms
    [['dough', 'butter', 'hot'], ['orbit', 'planet', 'rocket']]
    >>> result.sizes, [texts[i][:20] for i in result.representatives[1]]
    (array([3, 3]), ['The rocket reached o', 'A new telescope phot', 'The rocket launch pu'])
    """
    import scipy.sparse as sp
    from sklearn.base import clone
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.utils._param_validation import InvalidParameterError

    from ._spherical import SphericalKMeans
    from .selection import N_INIT_AUTO, select_k

    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of strings, one per document; got a single string.")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts must hold strings; texts[{i}] is {type(text).__name__} {text!r}.")
    if len(texts) < 2:
        raise ValueError(f"cluster_documents needs at least 2 documents; got {len(texts)}.")
    n_clusters = _check_n_clusters(n_clusters)
    vectorizer = TfidfVectorizer(
        sublinear_tf=True, stop_words="english", strip_accents="unicode", min_df=min_df, max_df=max_df
    )
    try:
        X = sp.csr_matrix(vectorizer.fit_transform(texts))
    except InvalidParameterError:
        raise
    except ValueError as exc:
        raise ValueError(
            f"no terms to cluster the {len(texts)} documents on with min_df={min_df!r} and max_df={max_df!r} "
            f"({exc}); lower min_df (1 keeps every term) or raise max_df for a small corpus."
        ) from exc
    has_terms = X.getnnz(axis=1) > 0
    X_terms = X[has_terms]
    n_with_terms = X_terms.shape[0]

    base = SphericalKMeans(n_init=N_INIT_AUTO, random_state=random_state)
    selection = None
    if n_clusters == "auto":
        k_values = _auto_k_values(k_range, n_with_terms)
        selection = select_k(
            X_terms, k_values, estimator=base, criteria=DOCUMENT_CRITERIA, random_state=random_state, progress=progress
        )
        model = _chosen_estimator(selection)
    else:
        if n_clusters > n_with_terms:
            raise ValueError(
                f"n_clusters={n_clusters} is more than the {n_with_terms} documents with terms; ask for fewer clusters."
            )
        model = clone(base).set_params(n_clusters=n_clusters).fit(X_terms)

    labels = np.full(len(texts), -1, dtype=np.int32)
    labels[has_terms] = model.labels_
    centers = model.cluster_centers_
    # The rows have unit length: the cosine to the centre is a dot product, cluster by cluster.
    similarity_terms = np.empty(n_with_terms)
    for j in range(centers.shape[0]):
        members = model.labels_ == j
        similarity_terms[members] = X_terms[members] @ centers[j]
    similarity = np.full(len(texts), np.nan)
    similarity[has_terms] = similarity_terms

    terms = vectorizer.get_feature_names_out()
    top_terms, representatives = [], []
    for j, center in enumerate(centers):
        order = np.argsort(-center, kind="stable")[:n_terms]
        top_terms.append([str(terms[t]) for t in order if center[t] > 0])
        members = np.flatnonzero(labels == j)
        representatives.append(members[np.argsort(-similarity[members], kind="stable")[:n_representatives]])
    sizes = np.bincount(labels[has_terms], minlength=centers.shape[0])
    return DocumentClusters(
        labels=labels, similarity=similarity, sizes=sizes, top_terms=top_terms, representatives=representatives,
        vectorizer=vectorizer, model=model, selection=selection,
    )  # fmt: skip


@dataclass(frozen=True)
class Anomalies:
    """The result of :func:`find_anomalies`.

    Attributes
    ----------
    scores : ndarray of shape (n_samples,)
        Distance of each sample to its nearest centre, in units of that
        cluster's spread: the higher, the more anomalous (3 is three spreads out).
    is_anomaly : ndarray of shape (n_samples,), bool
        ``scores > threshold``.
    labels : ndarray of shape (n_samples,), int32
        The nearest centre of each sample.
    threshold : float
        The score above which a sample is flagged (set by ``contamination``).
    spread : ndarray of shape (n_clusters,)
        Root mean square distance of each cluster's members to their centre,
        in the scaled features' units.
    model : Pipeline or ClusterAnomalyDetector
        The fitted scaler and :class:`~kmlab.ClusterAnomalyDetector` (only the
        detector when ``scale=None``): ``-model.score_samples(X_new)`` scores
        new rows, ``model.predict(X_new)`` flags them (-1).
    selection : KSelection or None
        The comparison of numbers of clusters when ``n_clusters="auto"``.
    """

    scores: np.ndarray
    is_anomaly: np.ndarray
    labels: np.ndarray
    threshold: float
    spread: np.ndarray
    model: object
    selection: object

    @property
    def n_clusters(self):
        """The number of clusters."""
        return int(self.spread.shape[0])


def find_anomalies(
    X,
    n_clusters="auto",
    *,
    contamination=0.01,
    scale="standard",
    k_range=range(2, 11),
    random_state=0,
    progress=False,
):
    """Flag the samples that fit no cluster: K-Means, and distances relative to each cluster's spread.

    The features are scaled (``scale``), K-Means clusters them, and each sample
    is scored by its distance to the nearest centre divided by that cluster's
    spread (the root mean square distance of its members): 3 units from the
    centre of a wide cluster is normal, from a tight one it is not.  The
    ``contamination`` fraction of highest scores is flagged.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples (a DataFrame of numeric columns works).
    n_clusters : int or 'auto', default='auto'
        The number of clusters; 'auto' runs :func:`kmlab.select_k` over
        ``k_range`` with every criterion and takes its choice.
    contamination : float, default=0.01
        Fraction of the samples to flag, in (0, 0.5].
    scale : {'standard', 'robust', None}, default='standard'
        Scaling of the features before clustering: 'standard' (mean 0,
        standard deviation 1: a feature in dollars does not drown one in
        years), 'robust' (median 0, interquartile range 1: the anomalies do
        not set the scale), or None (the features' own units).
    k_range : iterable of int, default=range(2, 11)
        The numbers of clusters 'auto' compares.
    random_state : int, RandomState instance or None, default=0
        Seed of K-Means (3 k-means++ runs per fit, the best kept) and of
        :func:`select_k`.
    progress : bool, default=False
        Show ``select_k``'s progress bar.

    Returns
    -------
    result : Anomalies
        Scores, flags, clusters, threshold, spreads, the fitted model and the
        selection.

    Raises
    ------
    ValueError
        Bad data (NaN, infinity, strings, empty), a bad ``scale``,
        ``contamination`` or ``n_clusters``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmlab.recipes import find_anomalies
    >>> rng = np.random.default_rng(0)
    >>> tight, wide = rng.normal(0, 1, (200, 2)), rng.normal([20, 0], 4, (200, 2))
    >>> X = np.vstack([tight, wide, [[0.0, 8.0]]])  # 8 from the tight cluster, 21 from the wide one
    >>> result = find_anomalies(X, 2, contamination=0.01)
    >>> int(result.is_anomaly.sum()), int(np.argmax(result.scores))
    (4, 400)
    >>> np.sort(result.scores)[::-1][:3].round(1), result.spread.round(2)
    (array([6.7, 3.2, 2.9]), array([0.41, 1.41]))
    """
    from sklearn import preprocessing
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    from ._anomaly import ClusterAnomalyDetector
    from ._kmeans import KMeans
    from ._validation import check_data
    from .selection import N_INIT_AUTO, select_k

    n_clusters = _check_n_clusters(n_clusters)
    if scale not in SCALERS:
        raise ValueError(f"scale must be one of {list(SCALERS)}; got {scale!r}.")
    X = check_data(X, accept_sparse=False)
    scaler = None if SCALERS[scale] is None else getattr(preprocessing, SCALERS[scale])()
    Xs = X if scaler is None else scaler.fit_transform(X)

    base = KMeans(n_init=N_INIT_AUTO, random_state=random_state)
    selection = None
    if n_clusters == "auto":
        selection = select_k(Xs, _auto_k_values(k_range, X.shape[0]), estimator=base, random_state=random_state,
                             progress=progress)  # fmt: skip
        n_clusters = selection.best_k
        _chosen_estimator(selection)
    detector = ClusterAnomalyDetector(clone(base).set_params(n_clusters=n_clusters), contamination=contamination)
    detector.fit(Xs)
    scores = -detector.score_samples(Xs)
    threshold = -detector.offset_
    return Anomalies(
        scores=scores,
        is_anomaly=scores > threshold,
        labels=np.asarray(detector.estimator_.predict(Xs), dtype=np.int32),
        threshold=float(threshold),
        spread=detector.spread_,
        model=detector if scaler is None else make_pipeline(scaler, detector),
        selection=selection,
    )
