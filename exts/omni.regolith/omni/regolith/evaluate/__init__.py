"""Scoring models on real and synthetic images, always next to a non-learned baseline.

- `images`: image sets (folders, dataset dirs), masks and their checks.
- `scoring`: per-set confusion matrices and mask-free proxies; `bootstrap`: intervals.
- `run`: `regolith evaluate` end to end; `report` and `figures`: report.md and contact sheets.
- `baseline`: the non-learned floor every table shows.
How to read the numbers is in docs/results.md and in every report.md.
"""
