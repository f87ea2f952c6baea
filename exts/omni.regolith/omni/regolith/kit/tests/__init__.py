"""omni.kit.test cases of omni.regolith, run by Kit's test runner inside Isaac Sim
(`./repo.sh test --kit`, or `[[test]]` of extension.toml with Kit's repo tools). They live in the
package, as kit-app-template's extension templates and Isaac Sim's own extensions keep them;
`scan_for_test_modules` makes the runner import every `test_*` module here (Isaac Sim 6.2,
isaacsim.replicator.synthetic_recorder/tests/__init__.py). pytest never collects them."""
scan_for_test_modules = True
