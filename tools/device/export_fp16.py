"""Copy a trained model as fp16 safetensors with its preprocessor config (the embedded-model format).

Usage: python3 tools/device/export_fp16.py MODEL_DIR OUT_DIR
"""
import shutil
import sys
from pathlib import Path

from transformers import SegformerForSemanticSegmentation

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
SegformerForSemanticSegmentation.from_pretrained(src).half().save_pretrained(dst, safe_serialization=True)
shutil.copy(src / "preprocessor_config.json", dst / "preprocessor_config.json")
print(f"wrote {dst}")
