"""tests/kit: cases that need a running Kit (Isaac Sim 5.x).

`test_extension.py` holds `omni.kit.test.AsyncTestCase`s; Kit's own test runner collects them
(through the `omni.regolith.kit.tests` shim), never pytest, so pytest ignores that file. pytest
only runs `test_in_kit.py`, which starts that runner inside Isaac Sim when ISAACSIM_PATH is set
(`./repo.sh test --kit`) and is skipped, with the reason printed, everywhere else.
"""
collect_ignore = ["test_extension.py"]
