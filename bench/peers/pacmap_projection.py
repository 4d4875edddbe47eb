"""Peer side of bench/projection.mjs: a 2-D layout by the reference PaCMAP or lightly-mundig.

Reads the first --rows rows of --file (n*d little-endian float32, row-major), times only the
projection call, writes the layout (rows x 2 float32) to --out and prints one JSON line.
  --side pacmap: pacmap.PaCMAP(n_components=2, n_neighbors=None).fit_transform(x) -- the package's
    automatic neighbour count (10, or round(10 + 15 (log10 n - 4)) above 10,000 rows), which is
    Winnow's default; no random_state, so faiss and numba use every core.
  --side mundig: lightly_mundig.TwoDimEmbedding(embeddings=x).calculate_2d_embedding() -- PaCMAP
    by the Rust crate `pacmap` 0.2.6 inside lightly-mundig, with its own defaults.
"""

import argparse
import importlib.metadata
import json
import resource
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--side", choices=["pacmap", "mundig"], required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    x = np.fromfile(a.file, dtype="<f4", count=a.rows * a.dim).reshape(a.rows, a.dim)
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if a.side == "pacmap":
        import pacmap

        package = "pacmap"
        t0 = time.perf_counter()
        layout = pacmap.PaCMAP(n_components=2, n_neighbors=None).fit_transform(x)
    else:
        import lightly_mundig

        package = "lightly-mundig"
        t0 = time.perf_counter()
        layout = lightly_mundig.TwoDimEmbedding(embeddings=x).calculate_2d_embedding()
    seconds = time.perf_counter() - t0
    np.asarray(layout, dtype="<f4").reshape(a.rows, 2).tofile(a.out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "rss_after_load_bytes": rss_after_load,
                "version": importlib.metadata.version(package),
            }
        )
    )


if __name__ == "__main__":
    main()
