"""Rock prototypes: both generators give closed, outward-facing, unit-sized meshes."""
import numpy as np
import pytest

from omni.regolith.scene.rocks import TRIANGLES, make_prototypes


@pytest.mark.parametrize("model, faces", [("v1", 80), ("v2", 1280)])  # TRIANGLES budgets these
def test_prototypes_are_closed_unit_meshes(model, faces):
    protos = make_prototypes(model, 4, seed=0)
    assert len(protos) == 4
    for p in protos:
        assert len(p.triangles) == faces == TRIANGLES[model]
        assert np.linalg.norm(p.points, axis=1).max() == pytest.approx(1.0, abs=1e-5)
        # closed: every edge is shared by exactly two triangles
        edges = np.sort(np.concatenate([p.triangles[:, [0, 1]], p.triangles[:, [1, 2]], p.triangles[:, [2, 0]]]), axis=1)
        _, counts = np.unique(edges, axis=0, return_counts=True)
        assert (counts == 2).all()
        # outward: the signed volume is positive (counter-clockwise seen from outside)
        a, b, c = (p.points[p.triangles[:, i]].astype(np.float64) for i in range(3))
        assert np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6 > 0.05
    assert not np.allclose(protos[0].points, protos[1].points)  # distinct shapes


def test_prototypes_are_deterministic():
    a, b = make_prototypes("v2", 2, seed=7), make_prototypes("v2", 2, seed=7)
    assert all(np.array_equal(x.points, y.points) for x, y in zip(a, b))
