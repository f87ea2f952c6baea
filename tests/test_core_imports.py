"""Architecture rule: the core (everything in omni.regolith but kit/) imports no omni.* module
other than omni.regolith, and no carb, so the CLI, CI and these tests run without Kit.

One fresh interpreter blocks `omni.*` (except omni.regolith) and `carb` with a meta path finder,
imports every core module, and reports any that reached for Kit and any Kit module that got
loaded anyway. The same interpreter checks the blocker itself by importing omni.regolith.kit.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent('''
    import importlib, importlib.abc, json, pkgutil, sys

    def kit_name(name):
        if name == "carb" or name.startswith("carb."):
            return True
        return name.startswith("omni.") and name != "omni.regolith" and not name.startswith("omni.regolith.")

    class BlockKit(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if kit_name(name):
                raise ImportError(f"{name} is a Kit module: the core must not import it")
            return None

    sys.meta_path.insert(0, BlockKit())
    import omni.regolith

    names = sorted(m.name for m in pkgutil.walk_packages(omni.regolith.__path__, "omni.regolith.")
                   if not (m.name == "omni.regolith.kit" or m.name.startswith("omni.regolith.kit.")))
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failures[name] = f"{type(exc).__name__}: {exc}"
    try:
        import omni.regolith.kit
        blocker = "omni.regolith.kit imported: the blocker does not work"
    except ImportError as exc:
        blocker = ""
    loaded = sorted(m for m in sys.modules if kit_name(m))
    print(json.dumps({"names": names, "failures": failures, "loaded": loaded, "blocker": blocker}))
''')


def test_core_imports_without_kit():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    names = set(report["names"])
    assert {"omni.regolith.config", "omni.regolith.stage", "omni.regolith.cli",
            "omni.regolith.viewmodels.stage_vm", "omni.regolith.viewmodels.train_vm"} <= names
    assert not any(n.startswith("omni.regolith.kit") for n in names)
    assert report["failures"] == {}, report["failures"]
    assert report["loaded"] == [], report["loaded"]
    assert report["blocker"] == "", report["blocker"]
