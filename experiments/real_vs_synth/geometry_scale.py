"""Pixels -> metres on flat ground for the nominal camera (1.5 m high, pitch -12 deg, hfov 70 deg, 512x512),
for the texture rows and for the rock label threshold.

    python experiments/real_vs_synth/geometry_scale.py      # -> _out/real_vs_synth/out/geometry_scale.md
"""
import numpy as np

from common import OUT

H, PITCH, HFOV, W = 1.5, 12.0, 70.0, 512
fx = (W / 2) / np.tan(np.radians(HFOV / 2))
rows = ["| image row (fraction of height) | depression below horizontal (deg) | ground distance (m) | slant range (m) | mm per px across | mm per px along the ground | 2-4 px band = cm (across) | 32-64 px band = cm (across) | 1.5% of width (7.7 px) rock = cm |",
        "|---|---|---|---|---|---|---|---|---|"]
for frac in (0.95, 0.825, 0.7, 0.6, 0.5, 0.45):
    v = frac * W - (W - 1) / 2
    ang = np.radians(PITCH) + np.arctan(v / fx)
    slant = H / np.sin(ang)
    r2 = 1 + (v / fx) ** 2
    across = slant / (fx * np.sqrt(r2))  # angle per pixel across at the centre column: 1 / sqrt(fx^2 + v^2)
    along = slant / (fx * r2) / np.sin(ang)  # angle per pixel down: fx / (fx^2 + v^2), stretched by 1/sin on the ground
    rows.append(f"| {frac:.3f} | {np.degrees(ang):.1f} | {H / np.tan(ang):.2f} | {slant:.2f} | {1e3 * across:.1f} | {1e3 * along:.1f} | "
                f"{0.1 * 2e3 * across:.1f}-{0.1 * 4e3 * across:.1f} | {0.1 * 32e3 * across:.0f}-{0.1 * 64e3 * across:.0f} | {0.1 * 7.7e3 * across:.1f} |")
text = f"Nominal camera: height {H} m, pitch -{PITCH} deg, hfov {HFOV} deg, {W} px wide: fx = {fx:.1f} px.\n\n" + "\n".join(rows) + "\n"
text += ("\nRegolith albedo texture in render.py: 1024 texels over the 80 m terrain = 7.8 cm per texel, finest octave 0.25 m;"
         " terrain mesh 256 vertices over 80 m = 31 cm. So below ~0.25 m (>= ~30-45 px near the bottom of the frame) the ground has no detail at all.\n")
OUT.mkdir(parents=True, exist_ok=True)
(OUT / "geometry_scale.md").write_text(text)
print(text)
