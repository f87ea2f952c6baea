"""Architecture rules that keep the layout readable: small modules, imports in one direction.

Every import between the package's modules counts, lazy ones inside functions too: a lazy import
hides a cycle from Python, not from a reader.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "exts" / "omni.regolith" / "omni" / "regolith"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (names relative to omni.regolith, '' = the package)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        here = name.split(".") if name else []
        base_pkg = here if is_pkg else here[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = base_pkg[:len(base_pkg) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:  # `from . import data` imports a module
                    sub = f"{target}.{alias.name}" if target else alias.name
                    graph[name].add(sub if sub in modules else target)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("omni.regolith"):
                graph[name].add(node.module[len("omni.regolith."):] if node.module != "omni.regolith" else "")
        graph[name].discard(name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these modules (over {MAX_LINES} lines): {long}"


def test_no_import_cycle_inside_the_package():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(m or "omni.regolith" for m in cycle)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_core_stages_import_no_later_stage():
    """Data flows config -> scene -> plan -> stage/render -> dataset -> learn -> evaluate -> video;
    an experiment runs them all, and scale (processes, GPUs, machines) runs the stages before it."""
    order = ["config", "scene", "plan", "stage", "render", "dataset", "learn", "evaluate", "video", "experiment",
             "scale"]
    allowed_back = {("render", "dataset")}  # generate writes through the dataset writer
    graph = import_graph()
    wrong = []
    for module, targets in graph.items():
        stage = module.split(".")[0]
        if stage not in order:
            continue
        for t in targets:
            ts = t.split(".")[0]
            if ts in order and order.index(ts) > order.index(stage) and (stage, ts) not in allowed_back:
                wrong.append(f"{module} -> {t}")
    assert wrong == [], wrong
