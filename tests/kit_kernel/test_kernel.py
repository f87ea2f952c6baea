"""omni.regolith inside the real Kit kernel: the `omniverse-kit` wheel (Kit 110, Python 3.12).

No Isaac Sim and no GPU here, and Kit's SDK extensions (omni.ui, omni.usd, omni.kit.menu.utils,
omni.kit.viewport.utility, omni.replicator.core, ...) are neither on the package index for this
platform nor reachable from Kit's registry. So `sdk/` holds minimal stand-in Kit extensions with
those names (each a `config/extension.toml`; their Python is the recording stand-in of
tests/kit_standin), and the real kernel runs our app file against them:

    python -m omni.kit_app app/omni.regolith.app.kit --ext-folder sdk --ext-folder driver
        --enable regolith.kernel_driver --no-window --allow-root --/app/runWithoutRunloop=1 ...

Real here: parsing our app `.kit` file and its `${app}/../exts` folder; dependency solving from
our `extension.toml`; the `[[python.module]]` import; `IExt.on_startup` and, when the driver has
Kit disable the extension, `on_shutdown`; our asyncio tasks (docking, Replicator run, child-job
polling, preview) on Kit's own event loop. Stand-in: what each SDK call does. The second test shows
the kernel refusing the app under its old name (bug 4).

Needs `.venv-kit` (`./repo.sh kit-venv`, which `./repo.sh test` runs; Python 3.12 required) or
REGOLITH_KIT_PYTHON; skipped with that reason otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from omni.regolith.config import config_to_toml, load_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APP = ROOT / "app" / "omni.regolith.app.kit"
KIT_PYTHON = Path(os.environ.get("REGOLITH_KIT_PYTHON") or ROOT / ".venv-kit" / "bin" / "python")
KIT_READY = KIT_PYTHON.exists() and any(KIT_PYTHON.parent.parent.glob("lib/python3.12/site-packages/omni/kit_app.py"))
SMALL = ["terrain.resolution=32", "terrain.size_m=30.0", "craters.count=5", "rocks.count=20",
         "rocks.prototypes=2", "rocks.spread_m=10.0", "rocks.min_radius_m=0.3", "rocks.max_radius_m=1.0",
         "randomization.rock_count=[30, 30]", "lighting.star_texture_width=64", "lighting.star_count=20",
         "render.width=32", "render.height=24"]
TRAINER = """
import json, os, sys
out = sys.argv[sys.argv.index("--out") + 1]
def emit(**kw): print(json.dumps(kw), flush=True)
emit(event="start", total_steps=2)
for s in (1, 2):
    emit(event="step", step=s, epoch=0, loss=1.0 / s, lr=1e-4, images_per_s=9.0)
emit(event="epoch", epoch=0, rock_iou=0.5, miou=0.7)
emit(event="done", model=f"{out}/model|{os.environ.get('PYTHONPATH')}|{os.environ.get('LD_PRELOAD')}")
"""

pytestmark = pytest.mark.skipif(
    not KIT_READY, reason="real Kit kernel test needs the omniverse-kit wheel in a Python 3.12 venv: "
                          "./repo.sh kit-venv (or REGOLITH_KIT_PYTHON=/path/to/python3.12 with omniverse-kit)")


def kit(args: list[str], tmp_path: Path, env_extra: dict | None = None, timeout: int = 300):
    """Run the Kit kernel headless; (exit code, stdout+stderr)."""
    env = {**os.environ, "OMNI_KIT_ACCEPT_EULA": "YES", **(env_extra or {})}
    argv = [str(KIT_PYTHON), "-m", "omni.kit_app", *args, "--no-window", "--allow-root",
            "--/app/extensions/registryEnabled=0",  # Kit's online registry is out of reach
            "--/app/runWithoutRunloop=1",  # no omni.kit.loop extension: the kernel's fallback loop
            f"--/log/file={tmp_path / 'kit.log'}", "--/app/settings/persistent=0"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=env,
                         stdin=subprocess.DEVNULL)
    return out.returncode, out.stdout + out.stderr


def test_omni_regolith_runs_in_the_real_kit_kernel(tmp_path):
    (tmp_path / "small.toml").write_text(config_to_toml(load_config(None, SMALL)))
    (tmp_path / "trainer.py").write_text(TRAINER)
    report = tmp_path / "report.json"
    rc, log = kit([str(APP), "--ext-folder", str(HERE / "sdk"), "--ext-folder", str(HERE / "driver"),
                   "--enable", "regolith.kernel_driver",
                   f"--/exts/omni.regolith/config={tmp_path / 'small.toml'}",
                   f"--/exts/omni.regolith/out_dir={tmp_path / 'out'}",
                   f"--/exts/omni.regolith/python={KIT_PYTHON}",
                   "--/exts/omni.regolith/rt_subframes=1",
                   f"--/exts/regolith.kernel_driver/report={report}",
                   f"--/exts/regolith.kernel_driver/trainer={tmp_path / 'trainer.py'}"],
                  tmp_path, env_extra={"PYTHONPATH": str(tmp_path / "kit-only"), "LD_PRELOAD": "libc.so.6"})
    tail = "\n".join(log.splitlines()[-60:])
    assert report.exists(), f"the driver wrote no report (exit {rc}):\n{tail}"
    checks = json.loads(report.read_text())
    failed = [c for c in checks if not c["ok"]]
    assert not failed, "\n".join(f"{c['name']}: {c['detail']}" for c in failed) + f"\n{tail}"
    assert len(checks) >= 19 and rc == 0, tail
    # omni.kit.test fails a run on any "[Error]" line (its default stdoutFailPatterns): none here.
    errors = [line for line in log.splitlines() if "[Error]" in line]
    assert not errors, "\n".join(errors)
    # Kit checks after on_shutdown that nothing still references the IExt object.
    assert "extension object is still alive" not in log, tail


def test_the_kernel_rejects_the_app_under_its_old_name(tmp_path):
    """Bug 4: a .kit file is an extension named after the file, so `omni.regolith.kit` is a second
    omni.regolith; the kernel replaces the real extension with it and then finds a cycle."""
    apps = tmp_path / "app"
    apps.mkdir()
    shutil.copy(APP, apps / "omni.regolith.kit")
    rc, log = kit([str(apps / "omni.regolith.kit"), "--ext-folder", str(HERE / "sdk"),
                   "--ext-folder", str(ROOT / "exts")], tmp_path, timeout=120)
    kit_log = (tmp_path / "kit.log").read_text(errors="replace") if (tmp_path / "kit.log").exists() else ""
    assert "Circular dependency: omni.regolith" in log + kit_log, "\n".join(log.splitlines()[-30:])
    assert "dependency solver failure" in log + kit_log
