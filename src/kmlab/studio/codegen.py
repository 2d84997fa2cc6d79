"""The Python behind Studio's views: the tutorial program of the code panel, and "copy code".

:func:`view_code` writes a program that rebuilds the data of the current view
(the preset's own program, the uploaded table's columns, or the drawn points),
fits the same estimator with the same arguments, prints what the page shows and
draws the clusters with :class:`kmlab.plotting.ClusterDisplay`.
"""

from .compute import ALGORITHMS
from .data import MAX_POINTS, PRESETS

TUTORIAL_PROGRAM = '''\
"""The K-Means tutorial, written for kmlab: fit, plot, elbow, predict.

Edit it, then press Run (or Ctrl+Enter): what it prints and the matplotlib
figures it draws appear below.
"""
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from kmlab import KMeans

# 1. Four blobs of points.
X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.60, random_state=0)

# 2. K-Means with K=4: labels, centres and inertia.
kmeans = KMeans(n_clusters=4, n_init=10, random_state=42).fit(X)
print("centres:")
print(kmeans.cluster_centers_.round(2))
print("inertia:", round(kmeans.inertia_, 2))

# 3. The clusters and their centres, and the elbow method: inertia for K = 1..10.
ks = range(1, 11)
inertias = [KMeans(n_clusters=k, n_init=10, random_state=42).fit(X).inertia_ for k in ks]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.scatter(X[:, 0], X[:, 1], c=kmeans.labels_, s=15, cmap="tab10")
left.scatter(*kmeans.cluster_centers_.T, c="black", marker="X", s=150)
left.set_title("K-Means, K=4")
right.plot(ks, inertias, "o-")
right.set(title="Elbow method", xlabel="K", ylabel="inertia")
plt.show()

# 4. Predict the cluster of new points, without refitting.
new_points = np.array([[0, 2], [3, 4]])
print("predicted clusters:", kmeans.predict(new_points))
'''


def _split_imports(source):
    """(import lines, other lines) of a program."""
    imports, body = [], []
    for line in source.splitlines():
        (imports if line.startswith(("import ", "from ")) else body).append(line)
    while body and not body[0].strip():
        body.pop(0)
    return imports, body


def _python(value):
    """A Python literal for an argument value (arrays as nested lists)."""
    if hasattr(value, "tolist"):
        return f"np.array({value.tolist()!r})"
    return repr(value)


def _data_source(dataset):
    source = dataset.source
    kind = source["kind"]
    if kind == "preset":
        return PRESETS[source["preset"]].code(source["n_points"], source["noise"], source["seed"])
    if kind == "points":
        rows = ",\n".join(f"    {row!r}" for row in source["points"])
        return f"import numpy as np\n\nX = np.array([\n{rows},\n])\n"
    separator = ', sep="\\t"' if source["file"].lower().endswith((".tsv", ".tab")) else ""
    lines = [
        "import numpy as np",
        "import pandas as pd",
        "",
        f"frame = pd.read_csv({source['file']!r}{separator})",
        "# Rows with a missing or infinite value are left out.",
        f"values = frame[{source['columns']!r}].replace([np.inf, -np.inf], np.nan).dropna()",
    ]
    if source["sampled"]:
        lines.append(f"values = values.sample(n={MAX_POINTS}, random_state=0)  # Studio's limit")
    lines.append("X = values.to_numpy(dtype=np.float64)")
    if source["standardize"]:
        lines[1:1] = ["from sklearn.preprocessing import StandardScaler"]
        lines.append("X = StandardScaler().fit_transform(X)  # every column: mean 0, standard deviation 1")
    return "\n".join(lines) + "\n"


def view_code(dataset, algorithm, arguments, *, voronoi=False):
    """A Python program that reproduces a view of Studio.

    Parameters
    ----------
    dataset : kmlab.studio.data.Dataset
    algorithm : str
        A key of :data:`kmlab.studio.compute.ALGORITHMS`.
    arguments : dict
        The estimator's constructor arguments.
    voronoi : bool, default=False
        Shade the decision regions (2-D data with centres only).

    Returns
    -------
    code : str

    Examples
    --------
    >>> from kmlab.studio.data import preset_dataset
    >>> code = view_code(preset_dataset("blobs"), "kmeans", {"n_clusters": 4, "random_state": 0})
    >>> print(code)
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.datasets import make_blobs
    <BLANKLINE>
    from kmlab import KMeans
    from kmlab.plotting import ClusterDisplay
    <BLANKLINE>
    # kmlab Studio: Four blobs (the tutorial), K-Means.
    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.6, random_state=0)
    <BLANKLINE>
    model = KMeans(n_clusters=4, random_state=0).fit(X)
    print("inertia:", model.inertia_)
    print("iterations:", model.n_iter_)
    print("cluster sizes:", np.bincount(model.labels_).tolist())
    ClusterDisplay.from_estimator(model, X, voronoi=False)
    plt.show()
    <BLANKLINE>
    """
    spec = ALGORITHMS[algorithm]
    data_imports, data_body = _split_imports(_data_source(dataset))
    imports = ["import matplotlib.pyplot as plt", "import numpy as np", *data_imports]
    arguments_text = ", ".join(f"{name}={_python(value)}" for name, value in arguments.items())
    body = [f"# kmlab Studio: {dataset.title}, {spec.title}.", *data_body, ""]
    imports.append("from kmlab.plotting import ClusterDisplay")
    imports.append(spec.import_line)
    if spec.centers:
        measure = "total distance to the medoids" if algorithm == "kmedoids" else "inertia"
        body += [
            f"model = {spec.class_name}({arguments_text}).fit(X)",
            f'print("{measure}:", model.inertia_)',
            'print("iterations:", model.n_iter_)',
            'print("cluster sizes:", np.bincount(model.labels_).tolist())',
            f"ClusterDisplay.from_estimator(model, X, voronoi={bool(voronoi and dataset.pca is None)})",
        ]
    else:
        body += [
            f"labels = {spec.class_name}({arguments_text}).fit(X).labels_",
            'print("clusters:", labels.max() + 1, "noise points:", (labels == -1).sum())',
        ]
        if dataset.pca is None:
            body.append("view = X")
        else:
            imports.append("from sklearn.decomposition import PCA")
            body.append("view = PCA(n_components=2, random_state=0).fit_transform(X)  # the first two components")
        body.append("ClusterDisplay(view, labels).plot()")
    body.append("plt.show()")
    ordered = sorted(set(imports), key=lambda line: line.split()[1])  # by module, as isort does
    third_party = [line for line in ordered if line.split()[1].split(".")[0] != "kmlab"]
    kmlab_lines = [line for line in ordered if line.split()[1].split(".")[0] == "kmlab"]
    return "\n".join([*third_party, "", *kmlab_lines, "", *body]) + "\n"
