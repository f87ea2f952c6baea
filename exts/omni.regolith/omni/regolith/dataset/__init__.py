"""The dataset on disk (docs/dataset-format.md): the one layout every renderer writes.

- `layout`: folders, the one file-name rule, depth formats, finding frame files.
- `writer`: atomic frame writes, the dataset identity check, the manifest.
- `check`: `stats --check`, every problem one line; `stats` and `figure`: what a dataset holds.
"""
