"""Replicator backend: the headless backend's frame plan, rendered by Kit's RTX renderer and
written in our dataset layout (same folder, plan, resume rule and manifest as `regolith generate`).

Per layout the stage's /World is re-authored from the plan (same terrain, rocks and keep-clear
cameras as the headless generator); per frame the record's camera, sun, albedos and star
brightness are set on the USD prims and one `step_async` renders. rgb, semantic_segmentation
(raw ids) and distance_to_image_plane annotators are read directly and converted to our files.

Audit: Replicator drops semantic labels on instanced prims (isaac-sim/IsaacSim#253, #256,
isaac-sim/IsaacLab#1946), which would silently write rocks as unlabelled. So before any frame is
written a probe camera looks down at the layout's largest rock, and then the first frames are
checked too: rocks the plan puts in view (instancer positions and scales projected with the
frame's camera, not hidden by nearer depth) must show rock pixels. If they do not, the backend
says so, replaces the PointInstancer with plain labelled meshes and re-renders; if rock labels
are still missing it stops rather than write wrong masks.

The camera model lever (`camera_model.enabled`) is applied here as in the headless backend: RTX's
LDR frame, linearised, goes through the same numpy develop step (`render.develop`) on the writer's
threads. The label size rule is not: it needs per-stone ids, which this backend does not read.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from .. import IGNORE_ID, REGOLITH, ROCK, SKY
from ..errors import RenderError
from ..plan.record import FrameRecord
from ..render.camera_model import srgb_decode
from ..render.contract import RenderResult
from ..render.develop import finisher
from ..scene.camera import USD_FROM_OPENCV, CameraPose, focal_length_mm
from ..scene.sun import sun_frame

CAPTURE_ROOT = "/RegolithCapture"
CAPTURE_CAMERA = CAPTURE_ROOT + "/Camera"
ROCKS = "/World/Rocks"
ROCK_MESHES = "/World/RockMeshes"
MIN_ROCK_PX = 3.0  # a rock must span this many pixels (radius) to be audited
MIN_EXPECTED = 2  # fewer auditable rocks than this: no verdict for the frame
FOUND_SHARE = 0.5  # share of auditable rocks that must show rock pixels
NOT_APPLIED = ("texture_scale_m", "texture_contrast", "exposure", "ground_bounce")  # Mitsuba-only appearance
MITSUBA_ONLY_LEVERS = ("microdetail", "rock_surface", "photometry", "label_policy")  # textures, BSDF, size rule


# -- layout and per-frame authoring (pxr only) -----------------------------------------------
def author_layout(stage, scene, star_file: str, deinstance: bool) -> None:
    from ..stage.author import author_stage, clear_world

    clear_world(stage)
    author_stage(scene, stage, star_file=star_file)
    if deinstance:
        deinstance_rocks(stage)


def deinstance_rocks(stage, instancer_path: str = ROCKS, dest: str = ROCK_MESHES) -> int:
    """Replace the PointInstancer by one labelled, non-instanceable mesh per rock (same world
    geometry and material) and deactivate the instancer. Returns the number of rocks."""
    from pxr import Usd, UsdGeom, UsdShade

    from ..stage.author import apply_labels

    inst = UsdGeom.PointInstancer(stage.GetPrimAtPath(instancer_path))
    if not inst:
        raise RenderError(f"no PointInstancer at {instancer_path} to de-instance")
    t = Usd.TimeCode.Default()
    protos = [stage.GetPrimAtPath(p) for p in inst.GetPrototypesRel().GetTargets()]
    parent = inst.ComputeLocalToWorldTransform(t)
    xforms = inst.ComputeInstanceTransformsAtTime(t, t)
    indices = inst.GetProtoIndicesAttr().Get() or []
    UsdGeom.Scope.Define(stage, dest)
    for i, (idx, m) in enumerate(zip(indices, xforms)):
        proto = UsdGeom.Mesh(protos[idx])
        xf = UsdGeom.Xform.Define(stage, f"{dest}/Rock_{i:05d}")
        xf.AddTransformOp().Set(m * parent)
        mesh = UsdGeom.Mesh.Define(stage, f"{dest}/Rock_{i:05d}/Mesh")
        for name in ("points", "faceVertexCounts", "faceVertexIndices", "subdivisionScheme", "extent"):
            value = proto.GetPrim().GetAttribute(name).Get()
            if value is not None:
                mesh.GetPrim().GetAttribute(name).Set(value)
        material = UsdShade.MaterialBindingAPI(proto.GetPrim()).ComputeBoundMaterial()[0]
        if material:
            UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
        apply_labels(mesh.GetPrim(), "rock")
        xf.GetPrim().SetInstanceable(False)
    inst.GetPrim().SetActive(False)
    return len(indices)


def _transform_op(prim):
    from pxr import UsdGeom

    xf = UsdGeom.Xformable(prim)
    ops = [op for op in xf.GetOrderedXformOps() if op.GetOpType() == UsdGeom.XformOp.TypeTransform]
    return ops[0] if ops else xf.AddTransformOp()


def _matrix(rotation: np.ndarray, translation):
    """A USD Gf.Matrix4d from a 3x3 rotation (columns: axes) and a translation."""
    from pxr import Gf

    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rotation, translation
    return Gf.Matrix4d(m.T.tolist())  # USD stores row vectors


def ensure_capture_camera(stage):
    """A camera outside /World, so re-authoring a layout never deletes the render product's camera."""
    from pxr import Gf, UsdGeom

    UsdGeom.Xform.Define(stage, CAPTURE_ROOT)
    cam = UsdGeom.Camera.Define(stage, CAPTURE_CAMERA)
    cam.CreateProjectionAttr(UsdGeom.Tokens.perspective)
    cam.CreateClippingRangeAttr(Gf.Vec2f(0.01, 10000.0))
    return cam


def apply_frame(stage, record: FrameRecord, cfg, width: int, height: int) -> None:
    """Set one plan record on the stage: camera (pose, field of view), sun, albedos, stars."""
    from pxr import Gf, UsdGeom, UsdLux, UsdShade

    pose = record.camera
    cam = UsdGeom.Camera(stage.GetPrimAtPath(CAPTURE_CAMERA)) or ensure_capture_camera(stage)
    _transform_op(cam.GetPrim()).Set(_matrix(pose.rotation @ USD_FROM_OPENCV, pose.position))
    aperture = cfg.camera.sensor_width_mm
    cam.CreateFocalLengthAttr().Set(float(focal_length_mm(pose.hfov_deg, aperture)))
    cam.CreateHorizontalApertureAttr().Set(float(aperture))
    cam.CreateVerticalApertureAttr().Set(float(aperture * height / width))
    sun = stage.GetPrimAtPath("/World/Sun")  # a DistantLight: local +Z toward the sun
    _transform_op(sun).Set(_matrix(sun_frame(record.sun_elevation_deg, record.sun_azimuth_deg), [0.0, 0.0, 0.0]))
    UsdLux.DistantLight(sun).GetIntensityAttr().Set(float(record.sun_irradiance) * 1000.0)
    UsdLux.DomeLight(stage.GetPrimAtPath("/World/Stars")).GetIntensityAttr().Set(float(record.star_brightness))
    for look, albedo in (("Regolith", record.regolith_albedo), ("Rock", record.rock_albedo)):
        shader = UsdShade.Shader(stage.GetPrimAtPath(f"/World/Looks/{look}/PreviewSurface"))
        shader.GetInput("diffuseColor").Set(Gf.Vec3f(float(albedo), float(albedo), float(albedo)))


def for_camera_model(result: RenderResult, record: FrameRecord) -> RenderResult:
    """With the camera model on, RTX's LDR frame linearised (sRGB decode) for `render.develop`,
    which re-meters exposure on the regolith, so the tone already applied matters little."""
    if record.camera_model is None:
        return result
    linear = srgb_decode(result.rgb.astype(np.float32) / 255.0).astype(np.float32)
    return dataclasses.replace(result, rgb=None, linear=linear)


# -- annotator data -> dataset arrays --------------------------------------------------------
def _label_names(value) -> set[str]:
    text = value.get("class", "") if isinstance(value, dict) else str(value)
    return {part.strip().split(":")[-1].lower() for part in str(text).split(",") if part.strip()}


def semantic_to_mask(ids: np.ndarray, id_to_labels: dict) -> np.ndarray:
    """Replicator semantic ids + idToLabels -> our class ids (rock wins over regolith; background
    is sky; unlabelled or unknown is ignore)."""
    ids = np.asarray(ids).reshape(np.asarray(ids).shape[:2])
    lut = {}
    for key, value in id_to_labels.items():
        names = _label_names(value)
        lut[int(key)] = (ROCK if "rock" in names else REGOLITH if "regolith" in names
                         else SKY if "background" in names else IGNORE_ID)
    mask = np.full(ids.shape, IGNORE_ID, np.uint8)
    for sid, cls in lut.items():
        mask[ids == sid] = cls
    return mask


def planar_depth(raw, mask: np.ndarray) -> np.ndarray:
    """distance_to_image_plane -> float32 metres, 0 where the pixel sees sky or nothing."""
    depth = np.asarray(raw, np.float32).reshape(mask.shape).copy()
    depth[~np.isfinite(depth) | (depth <= 0) | (depth > 1e6) | (mask == SKY)] = 0.0
    return depth


@dataclass(frozen=True)
class Audit:
    ok: bool | None  # None: too few rocks in view to tell
    expected: int
    found: int

    @property
    def message(self) -> str:
        if self.ok is None:
            return f"audit inconclusive: {self.expected} auditable rock(s) in view"
        return f"{self.found} of {self.expected} rocks in view show rock pixels"


def audit_rock_labels(mask: np.ndarray, depth: np.ndarray, rocks, record: FrameRecord,
                      min_expected: int = MIN_EXPECTED) -> Audit:
    """Do the rocks the plan puts in view appear as rock pixels? (`rocks`: a RockLayout)"""
    pose, k = record.camera, record.intrinsics
    h, w = mask.shape
    radius = rocks.scales[:, 0].astype(float)
    centre = rocks.positions.astype(float) + np.column_stack([0 * radius, 0 * radius, 0.25 * radius])
    cam = (centre - pose.position) @ pose.rotation  # world -> OpenCV camera coordinates
    z = cam[:, 2]
    safe = np.where(z > 0.05, z, 1.0)
    u, v = k["fx"] * cam[:, 0] / safe + k["cx"], k["fy"] * cam[:, 1] / safe + k["cy"]
    r_px = k["fx"] * radius / safe
    sel = (z > 0.05) & (r_px >= MIN_ROCK_PX) & (u >= 0) & (u <= w - 1) & (v >= 0) & (v <= h - 1)
    expected = found = 0
    for i in np.flatnonzero(sel):
        ui, vi = int(round(u[i])), int(round(v[i]))
        d = depth[vi, ui]
        if d <= 0 or d < z[i] - 1.5 * radius[i]:
            continue  # sky (plan and render disagree) or hidden behind something nearer
        expected += 1
        r = max(1, int(0.5 * r_px[i]))
        found += bool((mask[max(0, vi - r):vi + r + 1, max(0, ui - r):ui + r + 1] == ROCK).any())
    if expected < min_expected:
        return Audit(None, expected, found)
    return Audit(found >= FOUND_SHARE * expected, expected, found)


def probe_record(scene, template: FrameRecord, width: int, height: int) -> FrameRecord | None:
    """A camera over the layout's largest rock, looking almost straight down at it: nothing can
    hide that rock, so this audit always concludes (None when the layout has no rocks)."""
    from ..scene.camera import look_rotation

    rocks = scene.rocks
    if len(rocks) == 0:
        return None
    i = int(np.argmax(rocks.scales[:, 0]))
    r = float(rocks.scales[i, 0])
    target = rocks.positions[i].astype(float) + [0.0, 0.0, 0.25 * r]
    position = target + [-0.2 * r, 0.0, 6.0 * r]  # pitch -88: no degenerate straight-down basis
    rotation = look_rotation(0.0, float(np.degrees(np.arctan2(-6.0, 0.2))), 0.0)
    pose = CameraPose(position, rotation, 40.0)
    return dataclasses.replace(template, index=-1, camera=pose, intrinsics=pose.intrinsics(width, height))


# -- the run ---------------------------------------------------------------------------------
def _log_warn(text: str) -> None:
    import carb

    carb.log_warn(f"[omni.regolith] {text}")


class ReplicatorBackend:
    """The Replicator renderer (`render.contract.Renderer`; its `render` is a coroutine on Kit's
    loop) and the generation run it drives, in the stage `stage_fn()` returns (/World is replaced)."""

    def __init__(self, stage_fn, rt_subframes: int = 8, audit_frames: int = 3, star_dir=None,
                 warn=_log_warn, max_inconclusive: int = 20):
        self._stage_fn = stage_fn
        self.rt_subframes = rt_subframes
        self.audit_frames = audit_frames  # conclusive audits that must pass before auditing stops
        self.max_inconclusive = max_inconclusive
        self.star_dir = star_dir
        self.warn = warn
        self.deinstanced = False
        self.probed = False
        self.audits: list[Audit] = []  # every audit, probes included (goes to the manifest)
        self.frame_audits: list[Audit] = []
        self.stage = self.scene = self.config = None
        self.width = self.height = 0
        self._rep = self._product = None
        self._annotators: dict = {}

    # -- the renderer contract ---------------------------------------------------------------
    def info(self) -> dict:
        return {"backend": "replicator", "rt_subframes": self.rt_subframes, "deinstanced_rocks": self.deinstanced,
                "audit": [a.message for a in self.audits], "not_applied": list(NOT_APPLIED) + self.skipped_levers()}

    def skipped_levers(self) -> list[str]:
        """The enabled photoreal levers this backend cannot apply (the headless backend does)."""
        return [name for name in MITSUBA_ONLY_LEVERS if self.config is not None and getattr(self.config, name).enabled]

    def set_layout(self, scene) -> None:
        author_layout(self.stage, scene, self._star_file, self.deinstanced)
        self.scene = scene

    async def render(self, record: FrameRecord, seed: int = 0) -> RenderResult:
        apply_frame(self.stage, record, self.config, self.width, self.height)
        frame = await self._render()
        if self._auditing():
            frame = await self._audit(record, frame)
        return for_camera_model(RenderResult(*frame), record)

    # -- a generation run --------------------------------------------------------------------
    async def run(self, request, progress=None) -> str:
        """Render a `GenerateRequest` into its dataset folder (resumable, like `regolith generate`)."""
        from ..dataset.job import open_job
        from ..dataset.writer import DatasetWriter
        from ..plan.layout import layout_scene

        cfg = request.config
        job = open_job(cfg, request.out_dir, request.frames, request.width, request.height)
        self._open(cfg, request.width, request.height)
        if skipped := self.skipped_levers():
            self.warn(f"Replicator does not apply {', '.join(skipped)}: these frames lack them "
                      "(the headless Mitsuba backend applies every lever)")
        timings = {"layout_s": 0.0, "render_s": 0.0}
        t0, done = time.perf_counter(), 0
        try:
            with DatasetWriter(job.root, depth_format=cfg.render.depth_format) as writer:
                for records in job.todo.values():
                    t = time.perf_counter()
                    self.set_layout(layout_scene(cfg, records))
                    if not self.probed:
                        await self._probe(records[0])
                    timings["layout_s"] += time.perf_counter() - t
                    for record in records:
                        t = time.perf_counter()
                        result = await self.render(record)
                        timings["render_s"] += time.perf_counter() - t
                        writer.write_frame(record.index, result.rgb, result.mask, result.depth,
                                           finish=finisher(result, record, cfg))
                        done += 1
                        if progress is not None:
                            progress(done, job.pending)
            await self._rep.orchestrator.wait_until_complete_async()
        finally:
            self._close()
            job.release()
        timings["total_s"] = time.perf_counter() - t0
        job.finish(self.info(), timings)
        return f"wrote {done} frames ({len(job.plan) - job.pending} already done) to {job.root}"

    def _open(self, cfg, width: int, height: int) -> None:
        """Render product and annotators on the capture camera, for this run's resolution."""
        import omni.replicator.core as rep

        from ..stage.author import star_texture_file

        self.config, self.width, self.height, self._rep = cfg, width, height, rep
        self.stage = self._stage_fn()
        self._star_file = str(star_texture_file(cfg, self.star_dir))
        ensure_capture_camera(self.stage)
        rep.orchestrator.set_capture_on_play(False)
        self._product = rep.create.render_product(CAPTURE_CAMERA, (width, height))
        self._annotators = {
            "rgb": rep.AnnotatorRegistry.get_annotator("rgb"),
            "semantic": rep.AnnotatorRegistry.get_annotator("semantic_segmentation", init_params={"colorize": False}),
            "depth": rep.AnnotatorRegistry.get_annotator("distance_to_image_plane"),
        }
        for annotator in self._annotators.values():
            annotator.attach([self._product])

    def _close(self) -> None:
        for annotator in self._annotators.values():
            annotator.detach()
        if self._product is not None:
            self._product.destroy()
        self.stage.RemovePrim(CAPTURE_ROOT)
        self._annotators, self._product = {}, None

    async def _render(self):
        await self._rep.orchestrator.step_async(rt_subframes=self.rt_subframes, delta_time=0.0)
        a = self._annotators
        rgb = np.asarray(a["rgb"].get_data())[..., :3].astype(np.uint8)
        semantic = a["semantic"].get_data()
        mask = semantic_to_mask(semantic["data"], semantic["info"]["idToLabels"])
        depth = planar_depth(a["depth"].get_data(), mask)
        return rgb, mask, depth

    def _auditing(self) -> bool:
        conclusive = sum(a.ok is not None for a in self.frame_audits)
        return conclusive < self.audit_frames and len(self.frame_audits) - conclusive < self.max_inconclusive

    async def _probe(self, template: FrameRecord) -> None:
        """Before any frame is written: look down at the largest rock; it must be rock pixels."""
        record = probe_record(self.scene, template, self.width, self.height)
        if record is None:
            return
        apply_frame(self.stage, record, self.config, self.width, self.height)
        await self._audit(record, await self._render(), 1)
        self.probed = True

    async def _audit(self, record: FrameRecord, frame, min_expected=MIN_EXPECTED):
        audit = audit_rock_labels(frame[1], frame[2], self.scene.rocks, record, min_expected)
        self.audits.append(audit)
        if record.index >= 0:
            self.frame_audits.append(audit)
        if audit.ok is not False:
            return frame
        what = "probe" if record.index < 0 else f"frame {record.index}"
        if self.deinstanced:
            raise RenderError(f"{what}: rock labels missing on de-instanced rocks ({audit.message}); "
                              "no mask written")
        self.warn(f"{what}: {audit.message}: Replicator dropped the labels of instanced "
                  "rocks (IsaacSim#253/#256, IsaacLab#1946); re-rendering with de-instanced rocks")
        deinstance_rocks(self.stage)
        self.deinstanced = True
        frame = await self._render()
        retry = audit_rock_labels(frame[1], frame[2], self.scene.rocks, record, min_expected)
        self.audits.append(retry)
        if retry.ok is False:
            raise RenderError(f"{what}: rock labels still missing after de-instancing "
                              f"({retry.message}); no mask written")
        return frame
