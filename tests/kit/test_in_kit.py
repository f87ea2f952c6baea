"""Run the omni.kit.test cases of omni.regolith (omni/regolith/kit/tests/) inside Isaac Sim.

Skipped without ISAACSIM_PATH (an Isaac Sim 5.1 or 6.x install with kit/kit). The command is what
Kit's repo tools build from the extension's `[[test]]` entry: its dependencies enabled, its args
passed, Kit's test runner told to run omni.regolith's tests and quit.
"""
from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ISAAC = Path(os.environ.get("ISAACSIM_PATH") or "/nonexistent")
KIT = ISAAC / "kit" / "kit"

pytestmark = pytest.mark.skipif(
    not KIT.exists(),
    reason="Kit tests run only inside Isaac Sim 5.1 or 6.x: ISAACSIM_PATH=/path/to/isaac-sim ./repo.sh test --kit "
           "(tests/test_kit_layer.py and tests/kit_kernel cover the Kit layer here)")


def kit_test_command() -> list[str]:
    """Kit's headless test runner on our extension, with Isaac's extension folders and ours."""
    (test,) = tomllib.loads((ROOT / "exts" / "omni.regolith" / "config" / "extension.toml").read_text())["test"]
    folders = []
    for name in ("exts", "extscache", "extsDeprecated", "extsUser", "apps"):
        if (ISAAC / name).is_dir():
            folders += ["--ext-folder", str(ISAAC / name)]
    enable = [arg for dep in test.get("dependencies", []) for arg in ("--enable", dep)]
    return [str(KIT), "--empty", *enable,
            "--/exts/omni.kit.test/runTestsAndQuit=true",
            "--/exts/omni.kit.test/testExts/0=omni.regolith",
            *test.get("args", []),
            *folders, "--ext-folder", str(ROOT / "exts"), "--no-window", "--allow-root"]


def test_omni_kit_tests_pass(tmp_path):
    log = tmp_path / "kit-tests.log"
    with open(log, "w") as out:
        rc = subprocess.run(kit_test_command(), stdout=out, stderr=subprocess.STDOUT, timeout=1800).returncode
    assert rc == 0, f"Kit test runner exited with {rc}; last lines of {log}:\n" + "\n".join(
        log.read_text(errors="replace").splitlines()[-60:])
