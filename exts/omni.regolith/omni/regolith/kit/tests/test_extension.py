"""omni.kit.test cases: run by Kit's test runner inside Isaac Sim (`./repo.sh test --kit`).

They check what neither the stand-in nor the bare kernel can: the real menu opens the real
windows, real omni.ui widgets click, Build authors prims in Kit's stage, and a 2-frame Replicator
run through RTX writes our dataset layout with rock pixels in the masks.

`menu_click` is defined in `omni.kit.ui_test.query` and exported by `omni.kit.ui_test` itself
(Isaac Sim 5.0 type stubs of omni.kit.ui_test: `__init__` re-exports `query.menu_click`, `menu`
holds only the context-menu helpers; Isaac Sim 6.2's isaacsim.test.utils menu_utils.py calls
`ui_test.menu_click`). Importing it from `omni.kit.ui_test.menu` failed, so no test loaded.
"""
import json
import tempfile
from pathlib import Path

import numpy as np
import omni.kit.app
import omni.kit.test
import omni.ui as ui
import omni.usd
from omni.kit import ui_test
from omni.kit.ui_test import menu_click

from omni.regolith import ROCK
from omni.regolith.config.files import load_config
from omni.regolith.viewmodels.layout import PANELS, menu_path, window_title

STAGE = window_title("Stage")
SMALL = ["terrain.resolution=64", "terrain.size_m=40.0", "craters.count=10", "rocks.prototypes=3",
         "rocks.spread_m=15.0", "randomization.rock_count=[80, 80]", "render.width=128", "render.height=96"]


class TestRegolithExtension(omni.kit.test.AsyncTestCase):
    async def setUp(self):
        await omni.usd.get_context().new_stage_async()
        await omni.kit.app.get_app().next_update_async()

    async def tearDown(self):
        for panel in PANELS:
            window = ui.Workspace.get_window(window_title(panel))
            if window is not None:
                window.visible = False
        await omni.kit.app.get_app().next_update_async()

    async def test_menu_toggles_each_window(self):
        for panel in PANELS:
            await menu_click(menu_path(panel))
            await ui_test.human_delay()
            window = ui.Workspace.get_window(window_title(panel))
            self.assertIsNotNone(window, panel)
            self.assertTrue(window.visible, panel)
        await menu_click(menu_path("Train"))
        await ui_test.human_delay()
        self.assertFalse(ui.Workspace.get_window(window_title("Train")).visible)

    async def test_every_window_opens_after_its_dock_update(self):
        for panel in PANELS:
            ui.Workspace.show_window(window_title(panel))
        await ui_test.wait_n_updates(4)  # the dock tasks ran (they log nothing on success)
        windows = [ui.Workspace.get_window(window_title(p)) for p in PANELS]
        self.assertTrue(all(w is not None and w.visible for w in windows))

    async def test_build_creates_the_stage_prims(self):
        ui.Workspace.show_window(STAGE)
        await ui_test.human_delay()
        await ui_test.find(f"{STAGE}//Frame/**/Button[*].text=='Build'").click()
        await ui_test.human_delay()
        stage = omni.usd.get_context().get_stage()
        for path in ("/World/Terrain", "/World/Rocks", "/World/Sun", "/World/Stars"):
            self.assertTrue(stage.GetPrimAtPath(path).IsValid(), path)

    async def test_two_frame_replicator_run_writes_our_layout(self):
        from PIL import Image

        from omni.regolith.kit.replicator_backend import ReplicatorBackend
        from omni.regolith.viewmodels.generate_vm import GenerateRequest

        cfg = load_config(None, SMALL)
        out = Path(tempfile.mkdtemp(prefix="regolith-kit-test-")) / "ds"
        warnings = []
        backend = ReplicatorBackend(omni.usd.get_context().get_stage, rt_subframes=4, warn=warnings.append)
        result = await backend.run(GenerateRequest(cfg, 2, 128, 96, out))
        self.assertIn("wrote 2 frames", result)
        for sub, ext in (("rgb", "png"), ("mask", "png"), ("depth", "npy")):
            self.assertEqual(sorted(p.name for p in (out / sub).iterdir()), [f"00000.{ext}", f"00001.{ext}"])
        masks = [np.asarray(Image.open(out / "mask" / f"{i:05d}.png")) for i in range(2)]
        self.assertTrue(any((m == ROCK).any() for m in masks), "no rock pixels in either mask")
        manifest = json.loads((out / "manifest.json").read_text())
        self.assertEqual(manifest["renderer"]["backend"], "replicator")
        self.assertEqual(manifest["frames_complete"], 2)
        print(f"[omni.regolith test] audits: {manifest['renderer']['audit']}; "
              f"de-instanced: {backend.deinstanced}; warnings: {warnings}")
