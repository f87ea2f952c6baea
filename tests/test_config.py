import subprocess
import sys

import pytest

from omni.regolith.config.files import DEFAULT_CONFIG, config_to_dict, config_to_toml, load_config
from omni.regolith.config.scene import config_from_dict
from omni.regolith.errors import ConfigError


def test_default_config_loads_and_round_trips(tmp_path):
    cfg = load_config()
    assert cfg.terrain.resolution >= 256 and cfg.terrain.size_m >= 20
    path = tmp_path / "c.toml"
    path.write_text(config_to_toml(cfg))
    assert load_config(path) == cfg
    assert config_from_dict(config_to_dict(cfg)) == cfg


@pytest.mark.parametrize("data, needle", [
    ({"rocks": {"count": -3}}, "rocks.count: -3 is outside the allowed range"),
    ({"terrain": {"size_m": -1.0}}, "terrain.size_m"),
    ({"terrain": {"colour": 1}}, "terrain.colour: unknown key"),
    ({"terrain": {"resolution": "big"}}, "terrain.resolution: expected an integer"),
    ({"terrain": {"resolution": 2.5}}, "terrain.resolution: expected an integer"),
    ({"randomization": {"sun_elevation_deg": [40, 10]}}, "randomization.sun_elevation_deg: min 40 > max 10"),
    ({"randomization": {"sun_elevation_deg": [0, 95]}}, "randomization.sun_elevation_deg: 95"),
    ({"randomization": {"hfov_deg": 5}}, "randomization.hfov_deg: expected [min, max]"),
    ({"rocks": {"model": "v9"}}, "rocks.model: 'v9' is not one of v1, v2"),
    ({"rocks": {"min_radius_m": 2.0, "max_radius_m": 1.0}}, "rocks.max_radius_m"),
    ({"camera": 3}, "camera: expected a table"),
])
def test_bad_values_name_the_key(data, needle):
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert needle in str(err.value)


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as err:
        config_from_dict({"rocks": {"count": -1}, "terrain": {"size_m": "x"}})
    assert "rocks.count" in str(err.value) and "terrain.size_m" in str(err.value)


def test_overrides_and_missing_file(tmp_path):
    assert load_config(None, ["rocks.count=7", "render.variant=scalar_rgb"]).rocks.count == 7
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[rocks\ncount=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    assert DEFAULT_CONFIG.exists()


def test_cli_reports_one_line_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rocks]\ncount = -5\n[randomization]\nsun_elevation_deg = [50, 10]\n")
    proc = subprocess.run([sys.executable, "-m", "omni.regolith.cli", "stage", "build", "--config", str(bad),
                           "--out", str(tmp_path / "s.usda")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "rocks.count" in lines[0] and "min 50 > max 10" in lines[0]
    assert not (tmp_path / "s.usda").exists()


def test_train_and_video_tables_share_the_config_file(tmp_path):
    path = tmp_path / "all.toml"
    path.write_text("seed = 3\n[rocks]\ncount = 50\n[train]\nepochs = 2\n[video]\nframes = 6\n")
    cfg = load_config(path)
    assert cfg.seed == 3 and cfg.rocks.count == 50
    from omni.regolith.config.train import load_train_config
    from omni.regolith.config.video import load_video_config
    assert load_train_config(path).epochs == 2
    assert load_video_config(path)[1].frames == 6
