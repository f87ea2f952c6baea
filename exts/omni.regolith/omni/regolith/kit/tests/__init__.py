"""Kit's test runner looks for tests in `<python.module>.tests` (omni.kit.test docs), so this
shim loads the cases from the repository's tests/kit/test_extension.py. An extension copied out
of the repository has no such file and so no Kit tests."""
import importlib.util
from pathlib import Path

_CASES = Path(__file__).resolve().parents[6] / "tests" / "kit" / "test_extension.py"

if _CASES.is_file():
    _spec = importlib.util.spec_from_file_location(f"{__name__}.test_extension", _CASES)
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    globals().update({k: v for k, v in vars(_module).items() if k.startswith("Test")})
