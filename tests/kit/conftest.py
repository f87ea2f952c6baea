"""tests/kit: runs the omni.kit.test cases of omni.regolith inside Isaac Sim.

The cases live in the package (`omni/regolith/kit/tests/`, as kit-app-template keeps extension
tests); Kit's own test runner collects them, never pytest. `test_in_kit.py` starts that runner
when ISAACSIM_PATH is set (`./repo.sh test --kit`) and is skipped, with the reason printed,
everywhere else. `tests/kit_kernel/` runs the real Kit kernel here, without Isaac Sim.
"""
