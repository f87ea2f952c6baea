#!/usr/bin/env bash
# Publish a rendered drive video: re-encode to H.264 (plays everywhere) and, when the GitHub CLI is
# installed and logged in, upload it as an asset of the release TAG. Videos never go into git.
# Usage: tools/publish_video.sh VIDEO.mp4 [TAG]   (default tag: videos)
set -euo pipefail
src="$1"; tag="${2:-videos}"
dst="${src%.mp4}.h264.mp4"
"$(dirname "$0")/../.venv/bin/python" - "$src" "$dst" <<'PY'
import sys
from omni.regolith.video_encode import transcode_h264
print(f"wrote {transcode_h264(sys.argv[1], sys.argv[2])}")
PY
if command -v gh >/dev/null && gh auth status >/dev/null 2>&1; then
  gh release view "$tag" >/dev/null 2>&1 || gh release create "$tag" --title "Rendered videos" --notes "regolith drive videos"
  gh release upload "$tag" "$dst" --clobber && echo "published $dst to release $tag"
else
  echo "not published: install and log in to the GitHub CLI (gh), then rerun; the H.264 file is $dst"
fi
