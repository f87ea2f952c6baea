"""Shared fixtures: small configs so real stages and renders stay fast on 2 cores."""
from __future__ import annotations

import pytest

from omni.regolith.config.files import load_config

SMALL = [
    "terrain.resolution=64",
    "terrain.size_m=40.0",
    "craters.count=10",
    "rocks.count=60",
    "rocks.prototypes=3",
    "rocks.spread_m=15.0",
    "lighting.star_texture_width=256",
    "lighting.star_count=200",
    "render.width=64",
    "render.height=64",
    "render.spp=1",
]


@pytest.fixture(scope="session")
def small_config():
    return load_config(None, SMALL)
