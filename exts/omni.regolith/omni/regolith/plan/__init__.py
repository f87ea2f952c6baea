"""The frame plan: every randomized value of every frame, sampled from one seed.

- `sample`: drawing layouts and frames; `record`: the typed frame record both renderers read;
  `io`: the only reader and writer of `frames.jsonl`; `layout`: the scene of one layout.
"""
