"""The layers of DESIGN.md §4 and docs/architecture.md, checked on the import graph of the whole
package (every ``import`` anywhere in a module, including those inside functions):

* a layer imports only the layers its row allows;
* no two modules import each other, directly or through others (an import of a package's own
  ``__init__`` by one of its submodules does not count: Python runs it first anyway).

``KNOWN`` lists the imports that still cross the contract, each with where it goes instead. The
list only shrinks: a new crossing fails, and so does an entry that no longer occurs.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ristra"

#: each module's layer, by the first matching prefix
LAYERS: tuple[tuple[str, str], ...] = (
    ("ristra.core", "core"),
    ("ristra.reference", "data"),
    ("ristra.categories_defaults", "data"),
    ("ristra.plan_defaults", "data"),
    ("ristra.report_templates", "data"),
    ("ristra.stores", "stores"),
    ("ristra.engine", "adapter:engine"),
    ("ristra.ingest", "adapter:ingest"),
    ("ristra.reports", "adapter:reports"),
    ("ristra.linkage", "adapter:linkage"),
    ("ristra.synth", "adapter:synth"),
    ("ristra.services", "services"),
    ("ristra.web", "front:web"),
    ("ristra.cli", "front:cli"),
    ("ristra", "api"),  # the package itself: ``ristra.open``, the Python API (a front end)
)

ADAPTERS = {"adapter:engine", "adapter:ingest", "adapter:reports", "adapter:linkage", "adapter:synth"}
#: what each layer may import besides itself
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "data": {"core"},
    "stores": {"core", "data"},
    **{a: {"core", "data"} for a in ADAPTERS},
    "services": {"core", "data", "stores", *ADAPTERS},
    "front:web": {"core", "services"},
    # the CLI starts the web server and manages its users (`serve`, `createuser`, `audit`)
    "front:cli": {"core", "services", "front:web", "api"},
    "api": {"core", "services"},
}

#: shared by the adapters: the DuckDB connection settings (memory limit, threads, no extensions),
#: which every adapter that reads files through DuckDB uses, the one atomic file write, and the
#: snapshot file layout (names only) for the adapters that write or read a snapshot's files
SHARED = {"ristra.engine.connections", "ristra.stores.atomic", "ristra.stores.snapshots.layout"}

#: imports that still cross the contract (importer, imported) → where they go instead (issue 13)
KNOWN: dict[tuple[str, str], str] = {}


def layer_of(module: str) -> str:
    for prefix, name in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return name
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS and docs/architecture.md")


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(("ristra", *parts))
        found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The ristra modules that ``name`` imports (``from a import b`` counts ``a.b`` when it is a
    module, else ``a``)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in known else base)
        else:
            continue
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def crossings(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    bad = set()
    for importer, targets in edges.items():
        mine = layer_of(importer)
        for target in targets:
            theirs = layer_of(target)
            if theirs == mine or theirs in ALLOWED[mine] or (target in SHARED and mine in ADAPTERS):
                continue
            bad.add((importer, target))
    return bad


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), ignoring a submodule's
    import of its own package's ``__init__``."""
    paths = modules()

    def counts(importer: str, target: str) -> bool:
        path = paths.get(target)
        return not (path is not None and path.name == "__init__.py" and importer.startswith(target + "."))

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    successors = defaultdict(set, {m: {t for t in ts if counts(m, t)} for m, ts in edges.items()})

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(successors[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_every_module_has_a_layer() -> None:
    for module in modules():
        assert layer_of(module)


def test_no_import_crosses_the_layers_beyond_the_known_list() -> None:
    crossing = crossings(graph())
    assert sorted(crossing - set(KNOWN)) == []


def test_the_known_list_only_shrinks() -> None:
    crossing = crossings(graph())
    assert sorted(set(KNOWN) - crossing) == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_checker_finds_a_crossing_and_a_cycle() -> None:
    edges = {"ristra.core.a": {"ristra.web.views"}, "ristra.web.views": {"ristra.services.x"},
             "ristra.services.x": {"ristra.web.views"}}
    assert crossings(edges) == {("ristra.core.a", "ristra.web.views"), ("ristra.services.x", "ristra.web.views")}
    assert cycles(edges) == [["ristra.services.x", "ristra.web.views"]]


def test_services_open_the_engine_by_its_id_only() -> None:
    """Outside ``ristra.engine`` no module names a backend's runner class: services open one with
    ``open_engine(settings.engine, …)``, so a new backend is a registry entry, not an edit of every
    service."""
    naming = sorted(name for name, path in modules().items()
                    if not name.startswith("ristra.engine") and "MetricsEngine" in path.read_text(encoding="utf-8"))
    assert naming == []
