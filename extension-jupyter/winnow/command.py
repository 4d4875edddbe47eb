"""The `winnow` command of the platform wheel (a console script): the carried engine, run as if it
were the command itself (its arguments, exit code and signals pass through)."""

from __future__ import annotations

import os
import subprocess
import sys

from .engine import engine_command

NO_ENGINE = (
    "winnow: this install of winnow-curate carries no engine: install its platform wheel "
    "(scripts/build-wheel.mjs builds one), or the npm package @winnow-curate/core"
)


def main() -> None:
    command = engine_command()
    if command is None:
        print(NO_ENGINE, file=sys.stderr)
        sys.exit(1)
    arguments = [*command, *sys.argv[1:]]
    if os.name == "posix":
        os.execv(arguments[0], arguments)
    sys.exit(subprocess.call(arguments))
