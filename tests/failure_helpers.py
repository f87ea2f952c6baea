"""Shared by the tests/test_failures_*.py files (issue #24): running a command that must fail well."""
from __future__ import annotations

from omni.regolith.cli import main

# A dataset small enough to generate in about a second (32x32, one sample a pixel).
TINY = ["terrain.resolution=32", "terrain.size_m=30.0", "craters.count=3", "rocks.count=10", "rocks.prototypes=2",
        "rocks.spread_m=10.0", "lighting.star_texture_width=64", "lighting.star_count=20", "render.width=32",
        "render.height=32", "render.spp=1", "randomization.rock_count=[5, 10]", "randomization.frames_per_layout=3",
        "randomization.layouts_per_terrain=1"]


def one_line_error(capsys, argv, *words, code: int = 2) -> str:
    """Run `regolith ARGV`; it must exit with `code` and end with one `error:` line holding `words`."""
    try:
        got = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors
        got = exc.code
    err = capsys.readouterr().err
    assert got == code, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "error:" in last, err
    for word in words:
        assert word in last, last
    return last
