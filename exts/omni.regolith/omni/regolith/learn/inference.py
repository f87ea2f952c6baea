"""Run a trained SegFormer on images: uint8 RGB in, class mask at the original resolution out.

One code path serves evaluation, video, the live preview and validation during training, so the
numbers reported are the numbers a user gets. Preprocessing matches `preprocessor_config.json`
(bilinear resize to the model's fixed input size, /255, ImageNet normalisation) but runs on the
model's device. On CUDA: fp16 autocast, channels_last, and (from `Segmenter.load`) one CUDA graph
per input shape, captured on first use, for the ~2 ms batch-1 latency the live preview needs.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelError
from .model import (
    EMBEDDED_MODELS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    TRAIN_HINT,
    load_model,
    read_preprocessor,
    resolve_model_dir,
)

DEFAULT_MODEL_DIR = EMBEDDED_MODELS / "default"


PRECISIONS = ("auto", "fp32", "fp16", "bf16")


def resolve_device(device=None):
    """'auto'/None -> cuda when available, else cpu; a clear error for an absent GPU."""
    import torch

    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelError("--device cuda asked for, but torch sees no CUDA GPU; use --device cpu or auto")
    return device


def as_rgb_u8(image) -> np.ndarray:
    """HxWx3 uint8 from HxW grayscale, HxWx3 or HxWx4 (alpha dropped) uint8 arrays."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {a.dtype} (scale floats to 0..255 first)")
    if a.ndim == 2:
        return np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        return a[:, :, :3]
    raise ValueError(f"expected an HxW or HxWx3 image, got shape {a.shape}")


def preprocess(images, size, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """(B, H, W, 3) uint8 tensor -> (B, 3, h, w) float32 normalised, channels_last.

    Antialiased bilinear when shrinking, as PIL's resize in `SegformerImageProcessor` does.
    """
    import torch
    import torch.nn.functional as F

    x = images.permute(0, 3, 1, 2).float()  # HWC storage is already channels_last
    if tuple(x.shape[-2:]) != tuple(size):
        shrink = x.shape[-2] > size[0] or x.shape[-1] > size[1]
        x = F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False, antialias=shrink)
    m = torch.as_tensor(mean, dtype=torch.float32, device=x.device).view(1, 3, 1, 1) * 255.0
    s = torch.as_tensor(std, dtype=torch.float32, device=x.device).view(1, 3, 1, 1) * 255.0
    return ((x - m) / s).contiguous(memory_format=torch.channels_last)


class Segmenter:
    """A loaded SegFormer plus its preprocessing: `predict(rgb) -> HxW uint8` class ids."""

    def __init__(self, model, size=(512, 512), mean=IMAGENET_MEAN, std=IMAGENET_STD, device=None,
                 precision: str = "auto", cuda_graphs: bool = False):
        import torch

        if precision not in PRECISIONS:
            raise ModelError(f"precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
        self.device = resolve_device(device if device is not None else next(model.parameters()).device)
        # weights in fp32 whatever they were saved as (the default model ships in fp16): autocast
        # gives fp16/bf16 speed on CUDA, and CPU convolutions need matching input and weight types
        self.model = model.float().to(self.device).to(memory_format=torch.channels_last).eval()
        self.size = (int(size[0]), int(size[1]))
        self.mean, self.std = tuple(mean), tuple(std)
        # on the device once: a host->device copy inside CUDA-graph capture is not allowed
        self._mean_t = torch.tensor(self.mean, dtype=torch.float32, device=self.device)
        self._std_t = torch.tensor(self.std, dtype=torch.float32, device=self.device)
        if precision == "auto":
            precision = "fp16" if self.device.type == "cuda" else "fp32"
        self.precision = precision
        self._dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
        self._forward = self._eager
        self._graphs: dict = {}
        self._pinned: dict = {}
        self.cuda_graphs = cuda_graphs and self.device.type == "cuda"

    @classmethod
    def load(cls, path=None, device=None, precision: str = "auto", cuda_graphs: bool = True,
             input_size: int | None = None) -> "Segmenter":
        """Load a model dir (or RUN_DIR); None -> the embedded default model, if one ships.
        On CUDA each new input shape is captured as a CUDA graph on first use (`cuda_graphs`).
        `input_size` overrides the preprocessor's square input side (SegFormer predicts at 1/4 of
        it, so a larger input gives finer masks at ~size^2 cost)."""
        if path is None:
            if not (DEFAULT_MODEL_DIR / "config.json").is_file():
                raise ModelError(f"no default model at {DEFAULT_MODEL_DIR}; {TRAIN_HINT}, "
                                 "then pass --model RUN_DIR/model or copy it there")
            path = DEFAULT_MODEL_DIR
        path = resolve_model_dir(path)
        dev = resolve_device(device)
        model = load_model(path, device=dev)
        pre = read_preprocessor(path)
        size = (input_size, input_size) if input_size else (pre["size"]["height"], pre["size"]["width"])
        return cls(model, size, pre["image_mean"], pre["image_std"], dev, precision, cuda_graphs)

    # -- forward passes ---------------------------------------------------------------------
    def _eager(self, pixels):
        import torch

        if self._dtype is None:
            return self.model(pixel_values=pixels).logits.float()
        with torch.autocast(self.device.type, dtype=self._dtype, cache_enabled=False):
            return self.model(pixel_values=pixels).logits.float()

    def logits(self, images):
        """(B, H, W, 3) uint8 on the device -> (B, classes, H, W) float logits at the image size."""
        from .model import upsample_bilinear

        logits = self._forward(preprocess(images, self.size, self._mean_t, self._std_t))
        return upsample_bilinear(logits, tuple(images.shape[1:3]))

    def _pipeline(self, images):
        """(B, H, W, 3) uint8 on the device -> (B, H, W) uint8 class ids."""
        import torch

        return self.logits(images).argmax(1).to(torch.uint8)

    def _graph(self, shape):
        """The CUDA graph of the whole pipeline for one (B, H, W), captured on first use.

        A graph replays preprocessing, the ~300 model kernels, upsampling and argmax with one
        launch: batch-1 latency is bound by launches, not arithmetic. None if capture failed.
        """
        import torch

        if shape in self._graphs or len(self._graphs) >= 8:  # bounded: one graph per camera size
            return self._graphs.get(shape)
        try:
            static_in = torch.zeros((*shape, 3), dtype=torch.uint8, device=self.device)
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                for _ in range(3):
                    self._pipeline(static_in)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                static_out = self._pipeline(static_in)
            self._graphs[shape] = (g, static_in, static_out)
        except Exception:  # an optimisation only: stay eager for this shape
            self._graphs[shape] = None
        return self._graphs[shape]

    def enable_cuda_graphs(self, shapes=((1, 512, 512),)) -> bool:
        """Use CUDA graphs (captured now for `shapes`, later for new (B, H, W) on first sight).
        False off CUDA or if a capture failed."""
        if self.device.type != "cuda":
            return False
        self.cuda_graphs = True
        import torch

        with torch.inference_mode():
            return all(self._graph(tuple(s)) is not None for s in shapes)

    def compile(self, mode: str = "default") -> None:
        """torch.compile the model forward (first calls are slow while it compiles); combines
        with CUDA graphs."""
        import torch

        self._graphs.clear()
        self._forward = torch.compile(self._eager, mode=mode, dynamic=False)

    # -- prediction -------------------------------------------------------------------------
    def predict_tensor(self, images):
        """(B, H, W, 3) uint8 tensor (any device) -> (B, H, W) uint8 class ids on `self.device`."""
        import torch

        with torch.inference_mode():
            entry = self._graph(tuple(images.shape[:3])) if self.cuda_graphs else None
            if entry is None:
                return self._pipeline(images.to(self.device, non_blocking=True))
            g, static_in, static_out = entry
            static_in.copy_(images, non_blocking=True)  # straight from the host: no device copy between
            g.replay()
            return static_out.clone()  # the next replay overwrites static_out

    def _staging(self, shape):
        """A pinned host buffer per batch shape, kept: pinning memory on every call cost ~8 ms
        (measured after torch.compile on an H200), 4x the whole 1024-input prediction."""
        import torch

        buf = self._pinned.get(shape)
        if buf is None:
            if len(self._pinned) >= 8:  # bounded, like the CUDA graphs
                self._pinned.clear()
            buf = self._pinned[shape] = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
        return buf

    def predict(self, rgb) -> np.ndarray:
        """HxW(x3) uint8 image -> HxW uint8 mask (0 regolith, 1 rock, 2 sky) at the same resolution."""
        return self.predict_batch([rgb])[0]

    def predict_batch(self, images: Sequence, batch_size: int = 16) -> list[np.ndarray]:
        """Masks for many images; same-sized images share one forward pass, `batch_size` at a time."""
        import torch

        arrays = [as_rgb_u8(im) for im in images]
        out: list = [None] * len(arrays)
        groups: dict = {}
        for i, a in enumerate(arrays):
            groups.setdefault(a.shape, []).append(i)
        for idx in groups.values():
            for start in range(0, len(idx), batch_size):
                chunk = idx[start:start + batch_size]
                frames = [arrays[i] for i in chunk]
                if self.device.type == "cuda":
                    batch = self._staging((len(frames), *frames[0].shape))
                    np.stack(frames, out=batch.numpy())
                else:
                    batch = torch.from_numpy(np.stack(frames))
                masks = self.predict_tensor(batch).cpu().numpy()  # .cpu() waits: the staging buffer is free again
                for j, i in enumerate(chunk):
                    out[i] = masks[j]
        return out
