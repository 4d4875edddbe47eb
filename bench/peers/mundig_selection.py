"""Peer side of bench/selection.mjs: run one lightly-mundig selection task on a raw float32 file.

Reads n*d little-endian float32 values (row-major) from --file, uses the first --rows rows, times
only the lightly-mundig call (plus, for k-center, the L2 normalization that lightly-mundig does not
do itself), writes the result as raw little-endian bytes to --out and prints one JSON line.
"""

import argparse
import importlib.metadata
import json
import resource
import time

import lightly_mundig
import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--file", required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--task", choices=["typicality", "kcenter", "combined"], required=True)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--out", required=True)
    p.add_argument("--weights", help="combined: raw float32 weights, one per row")
    p.add_argument("--classes", help="combined: raw float32 class rows (rows x --num-classes)")
    p.add_argument("--num-classes", type=int, default=0)
    a = p.parse_args()

    x = np.fromfile(a.file, dtype="<f4", count=a.rows * a.dim).reshape(a.rows, a.dim)
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    t0 = time.perf_counter()
    if a.task == "typicality":
        out = np.asarray(
            lightly_mundig.Typicality(embeddings=x).calculate_typicality(num_nearest_neighbors=a.k),
            dtype="<f4",
        )
        norm_s = 0.0
    else:
        # lightly-mundig's diversifying strategy measures plain euclidean distance on the rows it is
        # given (no normalization), so the rows are L2-normalized here, inside the timed region.
        tn = time.perf_counter()
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        xn = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
        norm_s = time.perf_counter() - tn
        sel = lightly_mundig.Selection()
        sel.add_diversifying_strategy(embeddings=xn, strength=1.0)
        if a.task == "combined":
            sel.add_weighting_strategy(weights=np.fromfile(a.weights, dtype="<f4", count=a.rows), strength=1.0)
            if a.classes:
                classes = np.fromfile(a.classes, dtype="<f4", count=a.rows * a.num_classes)
                target = np.full(a.num_classes, 1.0 / a.num_classes, dtype=np.float32)
                sel.add_balancing_strategy(
                    class_distributions=classes.reshape(a.rows, a.num_classes), target=target, strength=1.0
                )
        picked = sel.run_selection(preselected_indices=[], n_total_samples=a.rows, n_samples_to_select=a.count)
        out = np.asarray(picked, dtype="<u4")
    seconds = time.perf_counter() - t0
    out.tofile(a.out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "normalize_seconds": norm_s,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "rss_after_load_bytes": rss_after_load,
                "length": int(out.shape[0]),
                "version": importlib.metadata.version("lightly-mundig"),
            }
        )
    )


if __name__ == "__main__":
    main()
