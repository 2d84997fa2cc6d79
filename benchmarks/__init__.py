"""Benchmark suite: kmlab against its peers, in one process.

Run ``python -m benchmarks --help`` from the repository root.  The modules:

- :mod:`benchmarks.cases`: the datasets and their parameters;
- :mod:`benchmarks.runners`: one fit of each implementation, timed;
- :mod:`benchmarks.scoring`: the common inertia and the label comparisons;
- :mod:`benchmarks.measure`: the protocol for one case (warm-up, repeats, seeds);
- :mod:`benchmarks.overheads`: import, warm-up and first-fit times in fresh processes;
- :mod:`benchmarks.scaling`: time per Lloyd iteration as n, k and d grow (its own entry point);
- :mod:`benchmarks.silhouette`: kmlab's silhouette against scikit-learn's (its own entry point);
- :mod:`benchmarks.kmedoids`: KMedoids against the kmedoids package's FasterPAM (its own entry point);
- :mod:`benchmarks.quantize`: ``kmlab quantize`` against scikit-learn on every pixel (its own entry point);
- :mod:`benchmarks.runner_faults`: the Studio code runner's fault drills (its own entry point);
- :mod:`benchmarks.ab`: this tree's kmlab against another version, timed in turns (its own entry point);
- :mod:`benchmarks.environment`: machine, load and library versions, the shared options and timing loops;
- :mod:`benchmarks.report`: tables, JSON and the README block.
"""
