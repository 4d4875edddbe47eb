"""Peer side of bench/neighbours.mjs: lightly-mundig's typicality on the first --rows rows of a raw
float32 file (little-endian, row-major, --dim columns).

Times only the lightly-mundig call, writes the result as raw little-endian float32 to --out and
prints one JSON line.
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
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    x = np.fromfile(a.file, dtype="<f4", count=a.rows * a.dim).reshape(a.rows, a.dim)
    t0 = time.perf_counter()
    out = np.asarray(
        lightly_mundig.Typicality(embeddings=x).calculate_typicality(num_nearest_neighbors=a.k),
        dtype="<f4",
    )
    seconds = time.perf_counter() - t0
    out.tofile(a.out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "length": int(out.shape[0]),
                "version": importlib.metadata.version("lightly-mundig"),
            }
        )
    )


if __name__ == "__main__":
    main()
