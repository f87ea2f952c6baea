"""Which photoreal lever groups the new default keeps: a rule fixed before the experiment ran.

The rule reads the photoreal experiment's metrics.json (each lever group's arm against the reference,
mean over seeds of the paired difference, with a bootstrap interval over the real images):

- harm: a group is dropped if any of these is clearly worse (its interval off zero on the bad side):
  ALLD rock IoU, chandai rock recall, chandai hardware-as-rock;
- gain: of the rest, a group is kept if its mean difference is positive on ALLD rock IoU or on
  chandai rock recall, and hardware-as-rock did not rise by more than 0.02 on average.

Both real sets count and neither alone decides; the synthetic val sets do not enter (each arm has
its own look). The kept groups' overrides are unioned into the new default's data. This is no
pick of a model checkpoint (those are picked on synthetic validation), and the held-back real
frames that other people keep check it independently.

Usage (tools/device/session.sh):
  pick_levers.py arms CONFIG                 -- "arm --set a --set b" per line
  pick_levers.py sets CONFIG ARM             -- that arm's --set flags
  pick_levers.py filter CONFIG CHECKDIR OUT  -- CONFIG without the groups whose check render failed
  pick_levers.py chosen METRICS OUT_JSON     -- apply the rule; print the kept --set flags
"""
from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

HARM = {("real_lunar", "rock_iou"): +1, ("chandai_ce3_eval", "rock_recall"): +1,
        ("chandai_ce3_eval", "hardware_as_rock"): -1}  # +1: higher is better
GAIN = (("real_lunar", "rock_iou"), ("chandai_ce3_eval", "rock_recall"))
HARDWARE_SLACK = 0.02


def flags(sets: list) -> str:
    return " ".join(f"--set {s}" for s in sets)


def arms_of(config: Path) -> dict:
    return {name: list(arm.get("set", [])) for name, arm in tomllib.loads(config.read_text())["arms"].items()}


def check_passed(check: Path, arm: str) -> bool:
    try:
        manifest = json.loads((check / arm / "manifest.json").read_text())
        return manifest["frames_complete"] == manifest["frames_planned"] > 0
    except (OSError, ValueError, KeyError):
        return False


def composite(arm: str) -> bool:
    """`all` and `all_but_...`: arms made of several groups, stripped of a failing group's overrides."""
    return arm == "all" or arm.startswith("all_")


def filtered(config: Path, check: Path) -> str:
    """The config's TOML without failing groups (and without their overrides in the composite arms)."""
    arms, text = arms_of(config), config.read_text()
    failed = [a for a in arms if a != "reference" and not composite(a) and not check_passed(check, a)]
    drop = {s for a in failed for s in arms[a]}
    doc = tomllib.loads(text)
    lines = [line for line in text.split("\n[arms.")[0].splitlines()]
    for name, arm in doc["arms"].items():
        if name in failed:
            continue
        keep = [s for s in arm.get("set", []) if not composite(name) or s not in drop]
        lines += ["", f"[arms.{name}]", "set = [" + ", ".join(json.dumps(s) for s in keep) + "]"]
        lines += ["reference = true"] if arm.get("reference") else []
    print(f"lever check: {'failed ' + ', '.join(failed) if failed else 'every group rendered'}", file=sys.stderr)
    return "\n".join(lines) + "\n"


def rule(metrics: dict) -> dict:
    """{arm: {"kept": bool, "why": str, "numbers": {...}}} for each lever group (not reference, not all)."""
    table = {(s["name"], k): v for s in metrics["sets"] for k, v in s["metrics"].items()}
    out = {}
    for arm in metrics["arms"]:
        if arm in (metrics["reference"], "all"):
            continue
        nums, harm = {}, []
        for (name, metric), good in HARM.items():
            entry = (table.get((name, metric)) or {}).get("vs_reference", {}).get(arm)
            if not entry:
                continue
            nums[f"{name}/{metric}"] = {"mean": entry["mean"], "interval": entry.get("interval")}
            lo, hi = entry.get("interval") or (None, None)
            if entry.get("verdict") in ("clear", "lean") and lo is not None and (hi < 0 if good > 0 else lo > 0):
                harm.append(f"{name} {metric} worse {entry['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        gains = [f"{n} {m} {nums[f'{n}/{m}']['mean']:+.3f}" for n, m in GAIN
                 if f"{n}/{m}" in nums and (nums[f"{n}/{m}"]["mean"] or 0) > 0]
        hw = nums.get("chandai_ce3_eval/hardware_as_rock", {}).get("mean") or 0.0
        kept = not harm and bool(gains) and hw <= HARDWARE_SLACK
        why = ("harm: " + "; ".join(harm)) if harm else (
            ("gain: " + "; ".join(gains)) if gains else "no gain on either real set")
        if not harm and gains and hw > HARDWARE_SLACK:
            why += f"; but hardware-as-rock {hw:+.3f}"
        out[arm] = {"kept": kept, "why": why, "numbers": nums}
    return out


def main(argv: list) -> None:
    what = argv[0]
    if what == "arms":
        for name, sets in arms_of(Path(argv[1])).items():
            print(name, flags(sets))
    elif what == "sets":
        print(flags(arms_of(Path(argv[1]))[argv[2]]))
    elif what == "filter":
        Path(argv[3]).write_text(filtered(Path(argv[1]), Path(argv[2])))
    elif what == "chosen":
        metrics = json.loads(Path(argv[1]).read_text())
        verdicts = rule(metrics)
        sets = sorted({s for arm, v in verdicts.items() if v["kept"] for s in metrics["config"]["arms"][arm]["set"]})
        Path(argv[2]).write_text(json.dumps({"rule": __doc__.split("Usage")[0].strip(), "groups": verdicts,
                                             "kept": [a for a, v in verdicts.items() if v["kept"]], "set": sets},
                                            indent=1) + "\n")
        Path(argv[2]).with_suffix(".sets").write_text(flags(sets))
        for arm, v in verdicts.items():
            print(f"{arm}: {'KEPT' if v['kept'] else 'dropped'} ({v['why']})", file=sys.stderr)
        print(flags(sets))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
