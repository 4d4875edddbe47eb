"""The reference PaCMAP (pacmap 0.9.1) on a raw float32 file, for core/test/native-projection.test.ts.

usage: pacmap_reference.py IN.f32 N DIM OUT.f32 SEED
Reads N x DIM little-endian float32 rows, runs pacmap.PaCMAP with its defaults (n_neighbors=None:
the package's automatic count) and writes the N x 2 layout as float32.
"""

import sys

import numpy as np
import pacmap


def main() -> None:
    src, n, dim, dst, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    x = np.fromfile(src, dtype="<f4", count=n * dim).reshape(n, dim)
    layout = pacmap.PaCMAP(n_components=2, n_neighbors=None, random_state=seed).fit_transform(x)
    np.asarray(layout, dtype="<f4").tofile(dst)


if __name__ == "__main__":
    main()
