"""Python baseline for bench/embed.mjs: what Winnow's `embedDataset` does, written the way a
competent Python user would with onnxruntime, Pillow and numpy from PyPI.

For every image file under FOLDER (sorted walk; .jpg/.jpeg/.png/.webp/.bmp/.gif/.tif/.tiff):
  - read its bytes once, decode with Pillow (`ImageOps.exif_transpose`, `convert("RGB")`);
  - a thumbnail: a copy shrunk with `Image.thumbnail((256, 256))` (longest side 256, never
    enlarged), saved as JPEG quality 80 to THUMBS/<index>.jpg;
  - the model input: `resize((w, h), Image.BILINEAR)` (the config's stretch), float32, channel
    order, range, mean and std per the model config, NCHW;
  - batches of 32 through one onnxruntime InferenceSession (default options: intra-op threads =
    all cores), the output mean-pooled over h and w when the config says so, rows L2-normalized;
  - the rows stored batch by batch into OUT (a float32 .npy made with numpy's `open_memmap`,
    flushed at the end) and the file paths into OUT.paths.txt.
Files that fail to decode are skipped and counted.

Decoding runs in a thread pool of one thread per core (Pillow releases the GIL while it decodes,
resizes and encodes); the next batch is decoded while the current one is in inference
(one batch of look-ahead), as a DataLoader with prefetch would.

Timed: from listing the folder (the session is created first, inside the timing) to the flush.
Prints one JSON line: images/s, seconds, peak RSS (ru_maxrss) and versions.

  python embed_baseline.py FOLDER --model-file F --config JSON --thumbs DIR --out FILE.npy
                           [--batch 32] [--threads N] [--device cpu|cuda] [--limit N]
"""

import argparse
import io
import json
import os
import platform
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort
import PIL
from PIL import Image, ImageOps

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def list_images(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        if ".winnow" in dirs:
            dirs.remove(".winnow")
        for name in sorted(files):
            if os.path.splitext(name)[1].lower() in EXTENSIONS:
                found.append(os.path.join(root, name))
    return found


class Preprocess:
    def __init__(self, config, thumbs, thumb_size):
        size = config["size"]
        self.width, self.height = (size, size) if isinstance(size, int) else size
        scale = 1.0 if config["range"] == "0-255" else 1.0 / 255.0
        order = [0, 1, 2] if config["channels"] == "rgb" else [2, 1, 0]
        mean = np.asarray(config["mean"], np.float32)
        std = np.asarray(config["std"], np.float32)
        # value = (pixel * scale - mean) / std, in the model's channel order
        self.order = order
        self.mul = (scale / std).astype(np.float32)
        self.add = (-mean / std).astype(np.float32)
        self.nchw = config["layout"] == "nchw"
        if config["resize"] != "stretch":
            raise SystemExit(f"embed_baseline.py: resize '{config['resize']}' is not implemented")
        self.thumbs = thumbs
        self.thumb_size = thumb_size

    def __call__(self, job):
        index, path = job
        try:
            with open(path, "rb") as f:
                data = f.read()
            with Image.open(io.BytesIO(data)) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGB")
            thumb = image.copy()
            thumb.thumbnail((self.thumb_size, self.thumb_size))
            thumb.save(os.path.join(self.thumbs, f"{index}.jpg"), "JPEG", quality=80)
            pixels = np.asarray(image.resize((self.width, self.height), Image.BILINEAR), np.float32)
            values = pixels[:, :, self.order] * self.mul + self.add
            return np.ascontiguousarray(values.transpose(2, 0, 1) if self.nchw else values)
        except Exception as error:  # noqa: BLE001 - a file that cannot be decoded is skipped
            return str(error).split("\n")[0] or type(error).__name__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--model-file", required=True)
    parser.add_argument("--config", required=True, help="the model config as JSON (Winnow's)")
    parser.add_argument("--thumbs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--thumb-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    config = json.loads(args.config)
    os.makedirs(args.thumbs, exist_ok=True)

    started = time.perf_counter()
    providers = ["CPUExecutionProvider"]
    if args.device == "cuda":
        providers.insert(0, "CUDAExecutionProvider")
    session = ort.InferenceSession(args.model_file, providers=providers)
    files = list_images(args.folder)
    if args.limit:
        files = files[: args.limit]
    preprocess = Preprocess(config, args.thumbs, args.thumb_size)
    batches = [
        [(i, files[i]) for i in range(start, min(start + args.batch, len(files)))]
        for start in range(0, len(files), args.batch)
    ]

    store = None
    paths_out = []
    stored = 0
    failed = []
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        pending = pool.map(preprocess, batches[0]) if batches else None
        for b in range(len(batches)):
            results = list(pending)
            # One batch of look-ahead: the next batch decodes while this one is in inference.
            pending = pool.map(preprocess, batches[b + 1]) if b + 1 < len(batches) else None
            tensors, names = [], []
            for (_, path), result in zip(batches[b], results):
                if isinstance(result, str):
                    failed.append({"path": path, "reason": result})
                else:
                    tensors.append(result)
                    names.append(path)
            if not tensors:
                continue
            output = session.run([config["output"]], {config["input"]: np.stack(tensors)})[0]
            if config["pooling"] == "mean" and output.ndim == 4:
                rows = output.mean(axis=(2, 3))
            else:
                rows = output.reshape(len(tensors), -1)
            rows = rows.astype(np.float32, copy=False)
            if config["normalize"]:
                norms = np.linalg.norm(rows, axis=1, keepdims=True)
                rows = rows / np.where(norms > 0, norms, 1)
            if store is None:
                store = np.lib.format.open_memmap(
                    args.out, mode="w+", dtype=np.float32, shape=(len(files), rows.shape[1])
                )
            store[stored : stored + len(rows)] = rows
            stored += len(rows)
            paths_out.extend(names)
    if store is not None:
        store.flush()
        del store
    with open(args.out + ".paths.txt", "w") as f:
        f.write("\n".join(paths_out))
    seconds = time.perf_counter() - started

    print(
        json.dumps(
            {
                "peer": "python: onnxruntime + Pillow + numpy",
                "files": len(files),
                "embedded": stored,
                "failed": len(failed),
                "failed_examples": failed[:3],
                "seconds": round(seconds, 3),
                "images_per_second": round(stored / seconds, 1) if seconds > 0 else None,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "decode_threads": args.threads,
                "providers": session.get_providers(),
                "storage": "float32 .npy via numpy open_memmap, written batch by batch",
                "versions": {
                    "python": platform.python_version(),
                    "onnxruntime": ort.__version__,
                    "pillow": PIL.__version__,
                    "numpy": np.__version__,
                },
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
