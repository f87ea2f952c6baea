"""Stage panel: terrain, crater and rock parameters; Build writes the lunar stage into a given
`Usd.Stage` (Kit's open stage, or an in-memory one in tests); Save writes the same file
`regolith stage build` writes, so a stage made in the UI reproduces from the CLI.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RegolithError
from ..stage.author import clear_world, star_texture_file
from .document import ConfigDocument, section_fields

SECTIONS = ("seed", "terrain", "craters", "rocks")






def outline(stage, root: str = "/World", depth: int = 2) -> list[str]:
    """The authored tree under `root`, one indented line per prim (`Rocks  PointInstancer, 312
    instances`), as the Stage panel lists it after Build; Kit's own Stage window browses the rest."""
    from pxr import UsdGeom

    prim = stage.GetPrimAtPath(root)
    if not prim:
        return []
    lines: list[str] = []

    def visit(p, level: int) -> None:
        kind = p.GetTypeName() or "prim"
        extra = ""
        if p.IsA(UsdGeom.PointInstancer):
            extra = f", {len(UsdGeom.PointInstancer(p).GetProtoIndicesAttr().Get() or [])} instances"
        children = p.GetChildren()
        if children and level >= depth:
            extra += f", {len(children)} children"
        lines.append(f"{'  ' * level}{p.GetName()}  {kind}{extra}")
        if level < depth:
            for child in children:
                visit(child, level + 1)

    visit(prim, 0)
    return lines


class StageViewModel:
    def __init__(self, doc: ConfigDocument, star_dir: str | Path | None = None):
        self.doc = doc
        self.star_dir = star_dir
        self.fields = [f for s in SECTIONS for f in section_fields(s)]
        self.scene = None
        self.tree: list[str] = []  # outline of the built /World
        self.status = ""
        self.error = ""

    def value(self, path: str):
        return self.doc.get(path)

    def set(self, path: str, value) -> str:
        return self.doc.set(path, value)

    def message(self, path: str) -> str:
        return self.doc.message(path)

    @property
    def errors(self) -> list[str]:
        return self.doc.messages_under(SECTIONS)

    @property
    def can_build(self) -> bool:
        return not self.doc.problems

    def _fail(self, exc: Exception) -> bool:
        self.error = str(exc)
        self.status = f"error: {exc}"
        return False

    def build(self, stage) -> bool:
        """Author the procedural scene under /World of `stage` (replacing any previous one)."""
        from ..scene.build import build_scene
        from ..stage.author import author_stage

        try:
            cfg = self.doc.config()
            scene = build_scene(cfg)
            clear_world(stage)
            author_stage(scene, stage, star_file=str(star_texture_file(cfg, self.star_dir)))
        except RegolithError as exc:
            return self._fail(exc)
        self.scene, self.error = scene, ""
        self.tree = outline(stage)
        n = scene.terrain.n
        self.status = (f"built /World: terrain {n}x{n} over {cfg.terrain.size_m:g} m, "
                       f"{len(scene.rocks)} rocks from {len(scene.prototypes)} prototypes")
        return True

    def save(self, path: str | Path) -> bool:
        """Write the stage as `regolith stage build --out path` would (stars.png beside it)."""
        from ..scene.build import build_scene
        from ..stage.author import write_stage

        try:
            cfg = self.doc.config()
            scene = self.scene if self.scene is not None and self.scene.config == cfg else build_scene(cfg)
            out = write_stage(scene, path)
        except (RegolithError, OSError) as exc:
            return self._fail(exc)
        self.error, self.status = "", f"saved {out}"
        return True
