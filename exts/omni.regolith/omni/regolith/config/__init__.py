"""Every config key, in one place: TOML in, validated frozen dataclasses out.

- `fields`: the field helpers (`num`, `pair`, `choice`, `switch`) and the one validator that
  reports every bad value with its dotted path and allowed range.
- `scene`: the stage and randomization sections (`Config`); `train`: training and
  augmentation; `video`: the drive video. Each parameter is declared once.
- `files`: reading TOML, `--set` overrides, merging, writing configs back.
"""
from .files import DEFAULT_CONFIG, config_to_dict, config_to_toml, load_config, replace
from .scene import Config

__all__ = ["Config", "DEFAULT_CONFIG", "config_to_dict", "config_to_toml", "load_config", "replace"]
