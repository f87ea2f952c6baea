"""Rendering: stage + frame record in, RGB, class mask and depth out.

- `contract`: the small interface every renderer implements (Mitsuba here, Replicator in `kit`).
- `mitsuba`, `integrator`, `textures`, `geometry`, `backend`: the headless Mitsuba 3 renderer.
- `generate`: a frame plan rendered into a dataset; `preview`: one stage file's own camera.
"""
