"""Copy a trained model as fp16 safetensors with its preprocessor config (the embedded-model format).

SRC is a model dir (`save_pretrained` + preprocessor), or a run's `checkpoint.pt` when a run had to
stop before its end (its weights of the last finished epoch; input size from the run's
`train_config.json` beside it).
Usage: python3 tools/device/export_fp16.py SRC OUT_DIR
"""
import argparse
import json
from pathlib import Path

from omni.regolith.learn.model import build_model, read_preprocessor, save_model

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("src", type=Path, help="model dir or a run's checkpoint.pt")
ap.add_argument("out", type=Path, help="where the fp16 model dir goes")
args = ap.parse_args()
src, dst = args.src, args.out
if src.is_file():
    import torch

    state = torch.load(src, map_location="cpu", weights_only=True)  # never unpickle code from a checkpoint
    run = json.loads((src.parent / "train_config.json").read_text())["config"]
    model = build_model(run.get("model", "b0"))
    model.load_state_dict(state["model"])
    size, what = run["image_size"], f"epoch {state['epoch']}, step {state['step']} of {src}"
else:
    from transformers import SegformerForSemanticSegmentation

    model = SegformerForSemanticSegmentation.from_pretrained(src, use_safetensors=True)  # no pickle either
    pre = read_preprocessor(src)["size"]
    size, what = (pre["height"], pre["width"]), str(src)
save_model(model.half(), dst, size)  # safetensors + preprocessor config, as training writes them
provenance = (src if src.is_dir() else src.parent / "model") / "trained_on.json"
if provenance.is_file():  # a model that saw real labels stays marked "real-tuned" on the scoreboard
    (dst / "trained_on.json").write_text(provenance.read_text())
print(f"wrote {dst} ({what})")
