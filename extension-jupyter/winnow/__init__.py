"""Winnow in Jupyter: `%load_ext winnow` for the magics, or `winnow.connect()` and
`winnow.dataset(name)` for the Python API. Both talk to the workspace's local Winnow server
(`winnow serve`), started on first use."""

from __future__ import annotations

import os
from typing import Any

from .client import Client, Dataset, WinnowError, connect

__version__ = "0.1.0"
__all__ = ["Client", "Dataset", "WinnowError", "connect", "dataset", "load_ipython_extension"]


def dataset(name: str, workspace: str | os.PathLike[str] | None = None) -> Dataset:
    """A dataset of the workspace's server (see `connect`): `winnow.dataset("coco").scatter()`."""
    return connect(workspace).dataset(name)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext winnow`. IPython is imported only here, so scripts can use the client without it."""
    from .magics import load_ipython_extension as load

    load(ipython)
