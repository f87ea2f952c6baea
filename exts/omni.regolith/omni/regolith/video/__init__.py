"""The drive video: camera path, soft-sun renders, overlay, H.264 encoding (`regolith render`)."""
