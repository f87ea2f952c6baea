"""Every config key, in one place: TOML in, validated frozen dataclasses out.

- `fields`: the field helpers (`num`, `pair`, `choice`, `switch`) and the one validator that
  reports every bad value with its dotted path and allowed range.
- `scene`: the stage and randomization sections (`Config`); `train`: training and
  augmentation; `video`: the drive video. Each parameter is declared once.
- `files`: reading TOML, `--set` overrides, merging, writing configs back.
"""
