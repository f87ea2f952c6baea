import numpy as np
import pytest
from omni.regolith.scene.build import build_scene
from omni.regolith.scene.camera import focal_length_mm
from omni.regolith.scene.geometry import geometry_from_scene
from omni.regolith.scene.terrain import crater_profile, power_law_sizes
from omni.regolith.stage.author import author_stage, write_stage
from omni.regolith.stage.read import open_stage, read_stage
from pxr import Usd, UsdGeom, UsdLux, UsdSemantics


@pytest.fixture(scope="module")
def scene(small_config):
    return build_scene(small_config)


@pytest.fixture(scope="module")
def stage(scene):
    return author_stage(scene)


def labels(prim):
    return list(UsdSemantics.LabelsAPI(prim, "class").GetLabelsAttr().Get())


def test_stage_units_and_tree(stage):
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/World"
    expected = {"/World/Terrain": UsdGeom.Mesh, "/World/Rocks": UsdGeom.PointInstancer,
                "/World/Sun": UsdLux.DistantLight, "/World/Stars": UsdLux.DomeLight,
                "/World/Rover/Camera": UsdGeom.Camera}
    for path, schema in expected.items():
        assert schema(stage.GetPrimAtPath(path)), path
    for look in ("Regolith", "Rock"):
        assert stage.GetPrimAtPath(f"/World/Looks/{look}/PreviewSurface").IsValid()


def test_terrain_mesh(stage, small_config):
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/World/Terrain"))
    n = small_config.terrain.resolution
    assert len(mesh.GetPointsAttr().Get()) == n * n
    assert len(mesh.GetNormalsAttr().Get()) == n * n
    assert UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st").IsDefined()
    assert labels(mesh.GetPrim()) == ["regolith"]


def test_rocks_are_labelled_instances(stage, scene, small_config):
    inst = UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/Rocks"))
    protos = inst.GetPrototypesRel().GetTargets()
    assert len(protos) == small_config.rocks.prototypes
    assert len(inst.GetProtoIndicesAttr().Get()) == len(scene.rocks) > 0.8 * small_config.rocks.count
    assert labels(inst.GetPrim()) == ["rock"]
    for target in protos:
        prim = stage.GetPrimAtPath(target)
        assert labels(prim) == ["rock"]
        assert prim.GetAttribute("semantic:Semantics:params:semanticData").Get() == "rock"
        # the legacy schema is unknown to usd-core, so read the authored list op, not GetAppliedSchemas()
        assert "SemanticsAPI:Semantics" in prim.GetMetadata("apiSchemas").GetAddedOrExplicitItems()


def test_rocks_rest_on_the_terrain(scene):
    hf, pos = scene.terrain, scene.rocks.positions
    ground = hf.height_at(pos[:, 0], pos[:, 1])
    radius = scene.rocks.scales[:, 0]
    assert np.all(pos[:, 2] <= ground + 1e-4)  # partly buried, never floating
    assert np.all(pos[:, 2] > ground - radius)  # never swallowed whole


def test_camera_fov_and_sun(stage, small_config):
    cam = UsdGeom.Camera(stage.GetPrimAtPath("/World/Rover/Camera")).GetCamera(Usd.TimeCode.Default())
    hfov = np.degrees(2 * np.arctan(cam.horizontalAperture / 2 / cam.focalLength))
    assert hfov == pytest.approx(small_config.camera.hfov_deg, abs=1e-3)
    assert cam.focalLength == pytest.approx(focal_length_mm(small_config.camera.hfov_deg, 36.0), rel=1e-5)
    sun = UsdLux.DistantLight(stage.GetPrimAtPath("/World/Sun"))
    assert sun.GetAngleAttr().Get() == pytest.approx(0.53)


def test_camera_is_above_ground_and_looks_forward(scene):
    pos = scene.camera.position
    assert pos[2] > scene.terrain.height_at(pos[0], pos[1]) + 0.5


def test_deterministic_bytes(tmp_path, small_config):
    a = write_stage(build_scene(small_config), tmp_path / "a" / "stage.usda").read_bytes()
    b = write_stage(build_scene(small_config), tmp_path / "b" / "stage.usda").read_bytes()
    assert a == b
    assert (tmp_path / "a" / "stars.png").read_bytes() == (tmp_path / "b" / "stars.png").read_bytes()
    from omni.regolith.config.files import replace
    c = write_stage(build_scene(replace(small_config, seed=1)), tmp_path / "c" / "stage.usda").read_bytes()
    assert c != a


def test_read_stage_matches_scene(tmp_path, scene):
    path = write_stage(scene, tmp_path / "stage.usda")
    geometry, frame, cfg = read_stage(open_stage(path))
    direct = geometry_from_scene(scene)
    assert cfg == scene.config
    np.testing.assert_allclose(geometry.terrain_points, direct.terrain_points, atol=1e-5)
    np.testing.assert_array_equal(geometry.terrain_triangles, direct.terrain_triangles)
    np.testing.assert_allclose(geometry.rock_points, direct.rock_points, atol=2e-3)  # quath precision
    np.testing.assert_array_equal(geometry.rock_ids, direct.rock_ids)  # the same rock ids from USD
    assert direct.rock_ids.min() == 1 and direct.rock_ids.max() == len(scene.rocks)
    np.testing.assert_allclose(frame.camera.rotation, scene.camera.rotation, atol=1e-6)
    np.testing.assert_allclose(frame.camera.position, scene.camera.position, atol=1e-6)


def test_crater_profile_and_size_law():
    d = np.array([0.0, 0.5, 1.0, 2.0, 3.5])
    h = crater_profile(d, depth=1.0, rim=0.2)
    assert h[0] == pytest.approx(-1.0) and h[2] == pytest.approx(0.2) and h[3] < h[2] and h[4] == 0
    sizes = power_law_sizes(np.random.default_rng(0), 20000, 1.0, 100.0, 2.0)
    assert sizes.min() >= 1.0 and sizes.max() <= 100.0
    # cumulative N(>r) ~ r^-2: about a quarter of the rocks above 1 are above 2
    assert np.mean(sizes > 2.0) == pytest.approx(0.25, abs=0.02)
