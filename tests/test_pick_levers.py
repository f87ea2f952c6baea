"""tools/device/pick_levers.py: the rule that picks the new default's levers, and the lever check's filter."""
import json
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "device" / "pick_levers.py"
PHOTOREAL = ROOT / "experiments" / "configs" / "photoreal.toml"


def pick(*args):
    out = subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out


def test_a_group_that_fails_its_check_leaves_every_arm_it_is_part_of(tmp_path):
    arms = tomllib.loads(PHOTOREAL.read_text())["arms"]
    for arm in arms:
        if arm != "ground":  # the ground group's check render failed
            (tmp_path / arm).mkdir()
            (tmp_path / arm / "manifest.json").write_text('{"frames_complete": 8, "frames_planned": 8}')
    pick("filter", PHOTOREAL, tmp_path, tmp_path / "kept.toml")
    kept = tomllib.loads((tmp_path / "kept.toml").read_text())["arms"]
    assert "ground" not in kept and set(kept) == set(arms) - {"ground"}
    for name in ("all", "all_but_distractors"):
        assert not set(kept[name]["set"]) & set(arms["ground"]["set"])
        assert set(kept[name]["set"]) == set(arms[name]["set"]) - set(arms["ground"]["set"])
    assert kept["reference"].get("reference") is True


def _reading(mean, interval, verdict):
    return {"mean": mean, "interval": interval, "verdict": verdict}


def test_the_rule_keeps_a_gain_and_drops_harm_or_more_hardware(tmp_path):
    arms = {"reference": [], "good": ["a.enabled=true"], "harmful": ["b.enabled=true"],
            "hardware": ["c.enabled=true"], "all": ["a.enabled=true", "b.enabled=true", "c.enabled=true"]}
    vs = {
        ("real_lunar", "rock_iou"): {"good": _reading(0.02, [-0.01, 0.05], "noise"),
                                     "harmful": _reading(-0.06, [-0.09, -0.02], "clear"),
                                     "hardware": _reading(0.03, [-0.01, 0.06], "noise")},
        ("chandai_ce3_eval", "rock_recall"): {"good": _reading(0.1, [0.05, 0.15], "clear"),
                                              "harmful": _reading(0.2, [0.1, 0.3], "clear"),
                                              "hardware": _reading(0.05, [0.0, 0.1], "lean")},
        ("chandai_ce3_eval", "hardware_as_rock"): {"good": _reading(-0.1, [-0.2, 0.0], "noise"),
                                                   "harmful": _reading(0.0, [-0.1, 0.1], "noise"),
                                                   "hardware": _reading(0.05, [-0.02, 0.1], "noise")}}
    sets = {}
    for (name, metric), readings in vs.items():
        sets.setdefault(name, {"name": name, "metrics": {}})["metrics"][metric] = {"vs_reference": readings}
    metrics = {"arms": list(arms), "reference": "reference", "sets": list(sets.values()),
               "config": {"arms": {a: {"set": s} for a, s in arms.items()}}}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    out = pick("chosen", tmp_path / "metrics.json", tmp_path / "chosen.json")
    assert out.stdout.strip() == "--set a.enabled=true"
    chosen = json.loads((tmp_path / "chosen.json").read_text())
    assert chosen["kept"] == ["good"]
    assert chosen["groups"]["harmful"]["why"].startswith("harm: real_lunar rock_iou worse")
    assert "but hardware-as-rock +0.050" in chosen["groups"]["hardware"]["why"]
