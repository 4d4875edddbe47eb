"""Hatchling build hook: once scripts/build-wheel.mjs has built the engine (the repository's
dist/engine), the wheel carries it as winnow/engine and is tagged for the platform its native
binaries are for; without it the wheel stays pure Python and runs the `winnow` found on the PATH or
in WINNOW_COMMAND."""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# Where scripts/build-wheel.mjs builds the engine, from this project's folder; where it goes in the wheel.
ENGINE_BUILD = os.path.join("..", "dist", "engine")
ENGINE = os.path.join("winnow", "engine")


class EngineBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        engine = os.path.normpath(os.path.join(self.root, ENGINE_BUILD))
        tag_file = os.path.join(engine, "platform-tag")
        if not os.path.isfile(tag_file):
            return
        with open(tag_file, encoding="utf-8") as file:
            platform = file.read().strip()
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform}"
        build_data["force_include"][engine] = ENGINE
