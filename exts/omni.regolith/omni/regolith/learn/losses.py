"""Training losses. Cross-entropy alone scores every pixel alike, so a few pixels of rock edge
cost almost nothing while they are most of a small rock's IoU; the Lovasz-softmax term
(Berman et al., CVPR 2018) is the convex surrogate of the Jaccard loss and optimises IoU itself.
"""
from __future__ import annotations


def _lovasz_grad(fg_sorted):
    """Gradient of the Jaccard loss w.r.t. the sorted errors (the Lovasz extension's weights)."""
    import torch

    gts = fg_sorted.sum()
    intersection = gts - fg_sorted.cumsum(0)
    union = gts + (1.0 - fg_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    return torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]])


def lovasz_softmax(logits, target, ignore: int = 255):
    """Mean over the classes present in `target` of the Lovasz hinge on softmax probabilities.

    `logits` (B, C, H, W), `target` (B, H, W) long; pixels equal to `ignore` are left out. Over
    the whole batch (not per image), as for semantic segmentation. Ignored pixels get error 0
    rather than being indexed out: they sort last and add nothing, and the step stays free of
    host syncs. Equals 1 - mean IoU over the present classes for one-hot (hard) predictions.
    """
    import torch

    probs = logits.float().softmax(1)
    valid = (target != ignore).flatten()
    labels = target.flatten()
    losses, present = [], []
    for c in range(probs.shape[1]):
        fg = ((labels == c) & valid).float()
        errors, order = ((fg - probs[:, c].flatten()).abs() * valid).sort(descending=True)
        losses.append(torch.dot(errors, _lovasz_grad(fg[order])))
        present.append(fg.sum() > 0)
    losses, present = torch.stack(losses), torch.stack(present).float()
    return (losses * present).sum() / present.sum().clamp_min(1.0)
