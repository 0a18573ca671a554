"""Shared fixtures: the repository's scenarios folder and the CLI binary the Python results are checked
against (FLOWGAP_BIN, else target/debug/flowgap or target/release/flowgap of this repository)."""

import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"


@pytest.fixture(scope="session")
def scenarios_dir():
    return SCENARIOS


@pytest.fixture(scope="session")
def flowgap_bin():
    given = os.environ.get("FLOWGAP_BIN")
    candidates = [pathlib.Path(given)] if given else [
        REPO / "target" / "debug" / "flowgap",
        REPO / "target" / "release" / "flowgap",
    ]
    for c in candidates:
        if c.is_file():
            return c
    if given or os.environ.get("CI"):
        pytest.fail(f"no flowgap binary at {candidates}; build it with `cargo build` (CI's cargo test does)")
    pytest.skip("no flowgap binary built (cargo build); set FLOWGAP_BIN to point at one")
