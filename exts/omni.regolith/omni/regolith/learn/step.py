"""One training step (augmentation on the device, loss, optimizer) and the validation pass."""
from __future__ import annotations

from ..config.train import TrainConfig


class TrainStep:
    """One optimizer step on a uint8 (B, S, S, 3) batch: photometric augmentation on the device
    (generator seeded by (seed, step)), bf16 autocast + channels_last on CUDA, CE loss at full size
    ignoring 255 (+ Lovasz-softmax if weighted), AdamW, schedule. Returns the detached loss (no
    host sync). Distributed (`model` wrapped in DDP, `ranks.world` > 1): the loss is divided by the
    valid pixels of the whole global batch (summed over ranks) times the ranks DDP averages over,
    so the gradient is the one-process gradient of that batch; augmentation draws per rank."""

    def __init__(self, model, opt, sched, cfg: TrainConfig, device, ranks=None):
        import torch

        from .distributed import SINGLE
        from .model import IMAGENET_MEAN, IMAGENET_STD

        self.model, self.opt, self.sched, self.cfg, self.device = model, opt, sched, cfg, device
        self.ranks = ranks or SINGLE
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1) * 255
        self.amp = dict(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
        self.forward = model
        if cfg.compile and device.type == "cuda":
            self.forward = torch.compile(model)

    def __call__(self, images, masks, step: int):
        import torch
        import torch.nn.functional as F

        from .augment import photometric
        from .distributed import all_sum
        from .losses import lovasz_softmax
        from .model import upsample_bilinear

        cfg, dev, ranks = self.cfg, self.device, self.ranks
        g = torch.Generator(device=dev).manual_seed(cfg.seed * 1_000_003 + step * ranks.world + ranks.rank)
        x = images.to(dev, non_blocking=True).permute(0, 3, 1, 2).float()
        y = masks.to(dev, non_blocking=True).long()
        x = ((photometric(x, g, cfg.augment) - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        with torch.autocast(**self.amp):
            logits = self.forward(pixel_values=x).logits
        logits = upsample_bilinear(logits.float(), y.shape[-2:])
        valid = all_sum((y != 255).sum()).clamp_min(1) / ranks.world  # an all-ignore batch: 0 loss, not nan
        loss = F.cross_entropy(logits, y, ignore_index=255, reduction="sum") / valid
        if cfg.lovasz_weight > 0:
            loss = loss + cfg.lovasz_weight * lovasz_softmax(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.opt.step()
        self.sched.step()
        return loss.detach()


def validation_matrix(model, loader, size: int, device):
    """Confusion matrix over the whole loader, predicted like `Segmenter` does at inference."""
    import torch

    from .inference import Segmenter
    from .metrics import ConfusionMatrix

    seg = Segmenter(model, (size, size), device=device)
    cm = ConfusionMatrix()
    for images, masks in loader:
        groups: dict = {}
        for im, m in zip(images, masks):
            groups.setdefault(tuple(im.shape), []).append((im, m))
        for pairs in groups.values():
            pred = seg.predict_tensor(torch.stack([p[0] for p in pairs]))
            cm.update(torch.stack([p[1] for p in pairs]).to(device), pred)
    model.train()
    return cm.matrix
