"""Quality of 2-D layouts for bench/projection.mjs, computed by the same code for every side.

Reads the first --rows rows of --file (float32, --dim columns), their cluster labels (--labels,
one byte per row) and one or more layouts (--layout, rows x 2 float32). For a fixed random
sample S of --sample rows (numpy default_rng(--seed)), prints one JSON line with, per layout:
  trustworthiness: scikit-learn's trustworthiness at k = --k estimated on the sample queries,
    1 - 2 / (|S| k (2n - 3k - 1)) * sum_{i in S} sum_{j in kNN_2d(i)} max(0, r(i, j) - k),
    with kNN_2d(i) i's k nearest rows in the layout (all rows, i excluded) and r(i, j) the rank of
    j among all rows by distance to i in the original space (1 = nearest, i excluded), exact;
  silhouette: the mean silhouette (scikit-learn, euclidean) of the sample's layout points with
    their generating cluster labels.
"""

import argparse
import json

import numpy as np
from sklearn.metrics import silhouette_score

BATCH = 16


def sq_dists(queries: np.ndarray, x: np.ndarray, x_sq: np.ndarray) -> np.ndarray:
    """Squared euclidean distances (float64) of each query row to every row of x."""
    q_sq = (queries.astype(np.float64) ** 2).sum(1)
    return q_sq[:, None] + x_sq[None, :] - 2.0 * (queries @ x.T).astype(np.float64)


def trustworthiness(x: np.ndarray, layouts: list, sample: np.ndarray, k: int) -> list:
    """The sampled trustworthiness of each layout; the original-space ranks are shared."""
    n = x.shape[0]
    x_sq = (x.astype(np.float64) ** 2).sum(1)
    y_sqs = [(layout.astype(np.float64) ** 2).sum(1) for layout in layouts]
    penalties = [0.0] * len(layouts)
    for start in range(0, len(sample), BATCH):
        idx = sample[start : start + BATCH]
        rows = np.arange(len(idx))
        dx = sq_dists(x[idx], x, x_sq)
        dx[rows, idx] = np.inf
        for t, (layout, y_sq) in enumerate(zip(layouts, y_sqs)):
            dy = sq_dists(layout[idx], layout, y_sq)
            dy[rows, idx] = np.inf
            near = np.argpartition(dy, k, axis=1)[:, :k]
            for q in rows:
                # rank = 1 + the number of other rows strictly nearer in the original space.
                ranks = 1 + (dx[q][None, :] < dx[q, near[q]][:, None]).sum(1)
                penalties[t] += np.maximum(ranks - k, 0).sum()
    scale = 2.0 / (len(sample) * k * (2.0 * n - 3.0 * k - 1.0))
    return [float(1.0 - p * scale) for p in penalties]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--file", required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--layout", action="append", required=True)
    p.add_argument("--sample", type=int, default=2000)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()

    x = np.fromfile(a.file, dtype="<f4", count=a.rows * a.dim).reshape(a.rows, a.dim)
    labels = np.fromfile(a.labels, dtype=np.uint8, count=a.rows)
    sample = np.sort(np.random.default_rng(a.seed).choice(a.rows, size=min(a.sample, a.rows), replace=False))
    layouts = [np.fromfile(path, dtype="<f4", count=a.rows * 2).reshape(a.rows, 2) for path in a.layout]
    finite = [bool(np.isfinite(layout).all()) for layout in layouts]
    scores = trustworthiness(x, [y for y, ok in zip(layouts, finite) if ok], sample, a.k)
    out = []
    for path, layout, ok in zip(a.layout, layouts, finite):
        if not ok:
            out.append({"layout": path, "error": "non-finite coordinates"})
            continue
        out.append(
            {
                "layout": path,
                "trustworthiness": scores.pop(0),
                "silhouette": float(silhouette_score(layout[sample], labels[sample])),
            }
        )
    print(json.dumps({"sample": int(len(sample)), "k": a.k, "seed": a.seed, "layouts": out}))


if __name__ == "__main__":
    main()
