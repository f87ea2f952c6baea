"""The rock label size rule, applied in the image as annotators do (measured §4).

Dense real masks mark a stone as rock from about 1.5% of the image width (equivalent diameter;
their 5th percentile is 1.58%), and leave smaller ones as ground. Per stone (one rock or pebble
instance, its visible pixels): at least `rock_min_px` across -> rock, under `regolith_max_px` ->
regolith, between -> ignore (255), so the model is not taught either way where annotators differ.
Pebbles always follow the rule; rocks follow it with `label_policy.enabled`.
"""
from __future__ import annotations

import numpy as np

from .. import IGNORE_ID, REGOLITH, ROCK


def pebble_ids(ids: np.ndarray) -> np.ndarray:
    """Pebble k is stored as -2 - k in the stones map (rocks are >= 0, nothing is -1)."""
    return -2 - ids


def size_rule(mask: np.ndarray, stones: np.ndarray, rock_min_px: float, regolith_max_px: float,
              rocks_too: bool) -> np.ndarray:
    """The mask with every stone labelled by its visible equivalent diameter in pixels."""
    chosen = stones <= -2 if not rocks_too else stones != -1
    if not chosen.any():
        return mask
    ids, inverse, area = np.unique(stones[chosen], return_inverse=True, return_counts=True)
    diameter = 2.0 * np.sqrt(area / np.pi)
    label = np.where(diameter >= rock_min_px, ROCK, np.where(diameter < regolith_max_px, REGOLITH, IGNORE_ID))
    out = mask.copy()
    out[chosen] = label[inverse].astype(np.uint8)
    return out


PEBBLE_ID0 = 32768  # instance ids of pebbles the rule makes rock: PEBBLE_ID0 + k (the layout's rocks stay below)


def rock_instances(instance: np.ndarray, mask: np.ndarray, stones: np.ndarray) -> np.ndarray:
    """A rock instance map (0 = no rock) that agrees with the relabelled mask: 0 where a stone is no
    longer rock, and pebble k made rock gets PEBBLE_ID0 + k (uint16)."""
    out = np.where(mask == ROCK, instance, 0)
    made = (mask == ROCK) & (stones <= -2)
    out[made] = np.minimum(PEBBLE_ID0 + pebble_ids(stones[made]), 65535)
    return out.astype(instance.dtype)
