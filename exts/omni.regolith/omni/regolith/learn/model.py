"""SegFormer models for regolith/rock/sky: build from scratch, save, load with validation.

Weights cannot be downloaded here, so every size is built from `SegformerConfig` with the
standard Mix-Transformer widths and depths (Xie et al. 2021, table 1). Saved models are plain
`save_pretrained` directories (safetensors) with a `preprocessor_config.json`, so anyone can load
them with `SegformerForSemanticSegmentation` / `SegformerImageProcessor` and no regolith code.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

from .. import CLASS_NAMES, IGNORE_ID
from ..errors import ModelError
from ..io import _UMASK, atomic_write_text

ID2LABEL = {i: name for i, name in CLASS_NAMES.items()}


LABEL2ID = {name: i for i, name in ID2LABEL.items()}


# MiT-B0..B5: hidden sizes per stage, blocks per stage, all-MLP decoder width.
SIZES = {
    "b0": ((32, 64, 160, 256), (2, 2, 2, 2), 256),
    "b1": ((64, 128, 320, 512), (2, 2, 2, 2), 256),
    "b2": ((64, 128, 320, 512), (3, 4, 6, 3), 768),
    "b3": ((64, 128, 320, 512), (3, 4, 18, 3), 768),
    "b4": ((64, 128, 320, 512), (3, 8, 27, 3), 768),
    "b5": ((64, 128, 320, 512), (3, 6, 40, 3), 768),
}


HEADS = (1, 2, 5, 8)


IMAGENET_MEAN = (0.485, 0.456, 0.406)


IMAGENET_STD = (0.229, 0.224, 0.225)


PREPROCESSOR_FILE = "preprocessor_config.json"


# Models that ship with the extension, usable by name (`--model fast`): `default` meets the quality
# target at 1024 input; `fast` is the 512-input model that meets the CPU latency target.
EMBEDDED_MODELS = Path(__file__).resolve().parents[3] / "data" / "models"


TRAIN_HINT = "train one with `regolith train --data DATASET --out RUN_DIR` (the model lands in RUN_DIR/model)"


def segformer_config(size: str = "b0"):
    """A `SegformerConfig` for MiT size `b0`..`b5` with our three classes and ignore id 255."""
    from transformers import SegformerConfig

    if size not in SIZES:
        raise ModelError(f"unknown SegFormer size {size!r}; choose one of {', '.join(SIZES)}")
    hidden, depths, decoder = SIZES[size]
    return SegformerConfig(
        hidden_sizes=list(hidden), depths=list(depths), decoder_hidden_size=decoder,
        num_attention_heads=list(HEADS), num_labels=len(ID2LABEL), id2label=dict(ID2LABEL),
        label2id=dict(LABEL2ID), semantic_loss_ignore_index=IGNORE_ID,
    )


def build_model(size: str = "b0", attn: str = "sdpa", fast_head: bool = True):
    """A randomly initialised `SegformerForSemanticSegmentation` (seed torch before calling)."""
    from transformers import SegformerForSemanticSegmentation

    config = segformer_config(size)
    config._attn_implementation = attn
    model = SegformerForSemanticSegmentation(config)
    return use_fast_head(model) if fast_head else model


_INTERP: dict = {}


def _interp_matrix(n_in: int, n_out: int, device):
    """(n_out, n_in) weights of 1-D bilinear resizing, exactly F.interpolate's align_corners=False.

    Cached per size and device; under torch.compile built inside the graph instead: dynamo
    cannot read inference mode, and that read once left the whole decode head uncompiled
    (2.1 -> 1.8 ms per frame at 1024 input on an H100 when fixed; docs/benchmarks.md)."""
    import torch

    if torch.compiler.is_compiling():
        return _build_interp_matrix(n_in, n_out, device)
    key = (n_in, n_out, str(device), torch.is_inference_mode_enabled())  # inference tensors can't go to autograd
    m = _INTERP.get(key)
    if m is None:
        m = _INTERP[key] = _build_interp_matrix(n_in, n_out, device)
    return m


def _build_interp_matrix(n_in: int, n_out: int, device):
    import torch

    o = torch.arange(n_out, device=device, dtype=torch.float32)
    src = ((o + 0.5) * (n_in / n_out) - 0.5).clamp_min(0)
    i0 = src.floor().long().clamp_max(n_in - 1)
    i1 = (i0 + 1).clamp_max(n_in - 1)
    w1 = (src - i0)[:, None]
    m = torch.zeros(n_out, n_in, device=device)
    return m.scatter_add_(1, i0[:, None], 1 - w1).scatter_add_(1, i1[:, None], w1)


def upsample_bilinear(x, size):
    """Bilinear resize of (B, C, h, w), align_corners=False. On CUDA as two small matmuls
    (tensor cores; exact weights: k/2^n steps for power-of-two scales), 10x+ faster forward and
    backward than the NCHW interpolate kernel, which dominated SegFormer training time."""
    import torch.nn.functional as F

    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if x.device.type != "cuda":
        return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)
    a_h = _interp_matrix(x.shape[-2], size[0], x.device)
    a_w = _interp_matrix(x.shape[-1], size[1], x.device)
    if x.dtype != a_h.dtype and not _autocasting():
        a_h, a_w = a_h.to(x.dtype), a_w.to(x.dtype)
    return (a_h @ x) @ a_w.T


def _autocasting() -> bool:
    import torch

    return torch.is_autocast_enabled("cuda")


def use_fast_head(model):
    """Evaluate the all-MLP decoder in a cheaper, mathematically identical order (same weights).

    HF projects each stage to 256 channels, upsamples all four to 1/4 resolution, concatenates
    (1024 channels) and mixes them with a 1x1 conv: ~4.3 GMAC per 512x512 image, more than the
    whole B0 encoder. Upsampling is linear per channel and commutes with 1x1 convs, so each
    stage's projection and its slice of the fuse conv fold into one small matrix applied at the
    stage's own resolution; the four 256-channel maps are upsampled and summed. Saved weights and
    `save_pretrained` output are unchanged; only float rounding differs.
    """
    import types

    import torch.nn.functional as F

    head = model.decode_head
    original = head.forward

    def forward(self, encoder_hidden_states, **kwargs):
        if any(h.ndim != 4 for h in encoder_hidden_states):
            return original(encoder_hidden_states, **kwargs)
        n, d = len(encoder_hidden_states), self.config.decoder_hidden_size
        size = encoder_hidden_states[0].shape[2:]
        fuse = self.linear_fuse.weight.reshape(d, n * d)
        total = None
        for i, (h, mlp) in enumerate(zip(encoder_hidden_states, self.linear_projections)):
            w_i = fuse[:, (n - 1 - i) * d:(n - i) * d]  # HF concatenates the stages in reverse order
            weight, bias = w_i @ mlp.proj.weight, w_i @ mlp.proj.bias
            z = F.conv2d(h, weight[:, :, None, None], bias)  # autocast picks the dtype
            z = upsample_bilinear(z, size)
            total = z if total is None else total.add_(z)  # fresh tensors: in place is autograd-safe
        return self.classifier(self.dropout(self.activation(self.batch_norm(total))))

    head.forward = types.MethodType(forward, head)
    return model


def size_of(config) -> str | None:
    """The MiT size name matching a config's widths and depths, or None for a custom one."""
    for name, (hidden, depths, decoder) in SIZES.items():
        if (tuple(config.hidden_sizes), tuple(config.depths), config.decoder_hidden_size) == (hidden, depths, decoder):
            return name
    return None


def preprocessor_dict(image_size: int | tuple[int, int]) -> dict:
    """What `SegformerImageProcessor` reads: fixed resize, 1/255 rescale, ImageNet normalisation."""
    h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
    return {
        "image_processor_type": "SegformerImageProcessor",
        "do_resize": True, "size": {"height": int(h), "width": int(w)}, "resample": 2,  # bilinear
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": list(IMAGENET_MEAN), "image_std": list(IMAGENET_STD),
        "do_reduce_labels": False,
    }


def read_preprocessor(path) -> dict:
    """The model's preprocessing; defaults (512x512, ImageNet stats) for dirs saved without one."""
    file = Path(path) / PREPROCESSOR_FILE
    out = preprocessor_dict(512)
    if file.is_file():
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"{file}: unreadable ({exc})") from None
        if not isinstance(data, dict):
            raise ModelError(f"{file}: expected a JSON object, got {type(data).__name__}")
        out.update({k: data[k] for k in ("size", "image_mean", "image_std", "rescale_factor") if k in data})
        size = out["size"]
        if isinstance(size, dict) and "height" not in size and "shortest_edge" in size:
            out["size"] = {"height": size["shortest_edge"], "width": size["shortest_edge"]}
        _check_preprocessor(file, out)
    return out


INPUT_SIDES = (32, 4096)  # a model input side outside this is a corrupt file (one asked for 240 GB)


def _check_preprocessor(file: Path, pre: dict) -> None:
    size = pre["size"]
    sides = [size.get("height"), size.get("width")] if isinstance(size, dict) else [None]
    if not all(isinstance(v, int) and not isinstance(v, bool) and INPUT_SIDES[0] <= v <= INPUT_SIDES[1]
               for v in sides):
        raise ModelError(f"{file}: size {size!r} is not a model input size (height and width are integers "
                         f"within {list(INPUT_SIDES)}); fix the file or save the model again")
    for key in ("image_mean", "image_std"):
        v = pre[key]
        if not (isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                            and math.isfinite(x) for x in v)):
            raise ModelError(f"{file}: {key} {v!r} is not three finite numbers")
    if any(x <= 0 for x in pre["image_std"]):
        raise ModelError(f"{file}: image_std {pre['image_std']} must be positive")


def save_model(model, path, image_size: int | tuple[int, int]) -> Path:
    """Write a `save_pretrained` dir (safetensors) + preprocessor config; replaces `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from transformers.utils import logging as hf_logging

    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        hf_logging.disable_progress_bar()  # no "Writing model shards" bar inside our own progress output
        model.save_pretrained(tmp, safe_serialization=True)
        atomic_write_text(tmp / PREPROCESSOR_FILE, json.dumps(preprocessor_dict(image_size), indent=2) + "\n")
        for f in tmp.iterdir():  # mkdtemp/mkstemp make 0700/0600; a model is meant to be shared
            os.chmod(f, 0o666 & ~_UMASK)
        os.chmod(tmp, 0o777 & ~_UMASK)
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
        tmp.rename(path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def resolve_model_dir(path) -> Path:
    """Accept a model dir, a training RUN_DIR (uses RUN_DIR/model) or an embedded model's name."""
    path = Path(path)
    if not path.exists() and len(path.parts) == 1 and (EMBEDDED_MODELS / path / "config.json").is_file():
        return EMBEDDED_MODELS / path
    if not path.exists():
        raise ModelError(f"no model at {path}; {TRAIN_HINT}")
    if not (path / "config.json").is_file() and (path / "model" / "config.json").is_file():
        return path / "model"
    if not (path / "config.json").is_file():
        raise ModelError(f"{path} has no config.json: not a save_pretrained model directory; {TRAIN_HINT}")
    return path


def check_config(path) -> dict:
    """Validate config.json before loading weights: SegFormer, our labels, ignore index."""
    path = resolve_model_dir(path)
    try:
        cfg = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path / 'config.json'}: unreadable ({exc})") from None
    kind = cfg.get("model_type")
    if kind != "segformer":
        raise ModelError(f"{path} holds a {kind or 'unknown'} model; regolith needs a SegFormer (model_type segformer)")
    labels = {int(k): v for k, v in (cfg.get("id2label") or {}).items()}
    if labels != ID2LABEL:
        shown = labels if len(labels) <= 6 else f"{len(labels)} labels"
        raise ModelError(f"{path} predicts {shown}, not regolith's {ID2LABEL}; "
                         "train or fine-tune one with `regolith train`")
    return cfg


PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")


def check_weights(path: Path) -> None:
    """Safetensors only: a pickled `pytorch_model.bin` can run code when loaded, so it is refused
    before anything reads it."""
    if (path / "model.safetensors").is_file() or (path / "model.safetensors.index.json").is_file():
        return
    other = [name for name in PICKLE_WEIGHTS if (path / name).exists()]
    if other:
        raise ModelError(f"{path}: holds {other[0]}, not model.safetensors; regolith loads safetensors only "
                         "(a pickled model file can run code when opened). Convert it where you trust it: "
                         "load it and call model.save_pretrained(DIR, safe_serialization=True)")
    raise ModelError(f"{path}: no model.safetensors (weights) beside config.json; {TRAIN_HINT}")


def load_model(path, device=None, attn: str = "sdpa", fast_head: bool = True):
    """Load a checked SegFormer in eval mode; `ModelError` if missing, not SegFormer, or other labels."""
    from safetensors import SafetensorError
    from transformers import SegformerForSemanticSegmentation

    path = resolve_model_dir(path)
    check_config(path)
    check_weights(path)
    try:
        model, info = SegformerForSemanticSegmentation.from_pretrained(
            path, output_loading_info=True, attn_implementation=attn, use_safetensors=True)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, EOFError, SafetensorError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot load the SegFormer weights ({first}); the file is damaged or not "
                         "a SegFormer's: copy or train it again") from None
    missing = [k for k in info.get("missing_keys", ()) if "num_batches_tracked" not in k]
    mismatched = info.get("mismatched_keys", ())
    if missing or mismatched:
        what = (missing or [m[0] if isinstance(m, (tuple, list)) else m for m in mismatched])[:3]
        raise ModelError(f"{path}: weights do not fit the SegFormer architecture in config.json "
                         f"(missing or mis-shaped: {', '.join(map(str, what))}...)")
    if device is not None:
        model.to(device)
    return (use_fast_head(model) if fast_head else model).eval()
