"""The package's shape (issue 12, "Architecture"): no import cycles, and the layers import downwards only.

`salescrm/cli/` may import the domain and the store, `salescrm/domain/` the store, and `salescrm/store/`
(its migrations too) neither of them; the modules beside them (errors.py, typed_text.py) none of the three.

The import graph is read from the source with `ast`, counting every import wherever it sits: at the top of
a module, inside a function (where heavy modules are imported, and where an import made only to dodge a
cycle would hide one) and under `if TYPE_CHECKING`; importing a module counts as importing the packages
whose __init__ it runs.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

import salescrm

pytestmark = pytest.mark.no_database

PACKAGE = Path(salescrm.__file__).parent
# (importing layer, layers it may not import), as module name prefixes.
FORBIDDEN = (
    ("salescrm.store", ("salescrm.domain", "salescrm.cli")),
    ("salescrm.domain", ("salescrm.cli",)),
)
LAYERS = ("salescrm.cli", "salescrm.domain", "salescrm.store")


def module_files(root: Path = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """Module name -> (its file, whether it is a package's __init__)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def import_graph(root: Path = PACKAGE, packages: bool = True) -> dict[str, dict[str, int]]:
    """Module -> {salescrm module it imports: the line of the first such import}. With `packages`, the
    packages whose __init__ an import runs too (`salescrm.domain.audit` for `salescrm.domain.audit.base`)."""
    files = module_files(root)
    top = root.name
    graph: dict[str, dict[str, int]] = {}
    for name, (path, package) in files.items():
        here = name if package else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        with warnings.catch_warnings():  # a module's own warnings (an escape in a string) are not this test's
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: `from . import x`, `from ..store import models`
                    parts = here.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from salescrm.store import models` imports the module models; `from x import name`, x.
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] != top:
                    continue
                while target and target not in files:  # `import salescrm.store.models.Deal`: the module that holds it
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.setdefault(target, node.lineno)
                # Importing a module runs its packages' __init__ first, when they are not the importer's own.
                parent = target.rpartition(".")[0] if packages else ""
                while parent.count(".") and not (name + ".").startswith(parent + "."):
                    edges.setdefault(parent, node.lineno)
                    parent = parent.rpartition(".")[0]
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each group of modules that import each other (Tarjan's strongly connected
    components, then a shortest way round each), as [a, b, ..., a]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    found = []
    for group in groups:
        start = min(group)
        paths = {start: [start]}
        frontier = [start]
        while frontier and start not in [w for v in frontier for w in graph[v]]:
            following = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w in group and w not in paths:
                        paths[w] = paths[v] + [w]
                        following.append(w)
            frontier = following
        last = next(v for v in frontier if start in graph[v])
        found.append(paths[last] + [start])
    return found


def shown(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def layer_violations(root: Path = PACKAGE) -> list[str]:
    packages = {name for name, (_path, package) in module_files(root).items() if package}
    found = []
    for name, edges in sorted(import_graph(root, packages=False).items()):
        # The modules beside the layers (errors.py, interrupts.py, typed_text.py) are below all three.
        neutral = name.count(".") == 1 and name not in packages and not name.endswith(".__main__")
        for layer, forbidden in (*FORBIDDEN, (name, LAYERS)) if neutral else FORBIDDEN:
            if name == layer or name.startswith(layer + "."):
                found += [f"{name} (line {line}) imports {target}" for target, line in sorted(edges.items())
                          if any(target == f or target.startswith(f + ".") for f in forbidden)]
    return found


def test_no_module_of_salescrm_takes_part_in_an_import_cycle():
    graph = import_graph()
    found = [shown(c, graph) for c in cycles(graph)]
    assert not found, "Import cycles:\n" + "\n".join(found)


def test_the_store_imports_neither_the_domain_nor_the_cli_and_the_domain_not_the_cli():
    found = layer_violations()
    assert not found, "Imports against the layers:\n" + "\n".join(found)


# --- The checks themselves, on a package written for them ----------------------------------------


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "salescrm" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "salescrm"


def test_a_cycle_hidden_in_a_function_is_found_with_its_lines(tmp_path):
    root = write(tmp_path, {
        "__init__.py": "",
        "domain/__init__.py": "",
        "domain/views.py": "def timeline():\n    from salescrm.domain.tasks import task_object\n",
        "domain/tasks.py": "from salescrm.domain import views\n",
        "domain/other.py": "from .views import timeline\n",
    })
    graph = import_graph(root)
    assert graph["salescrm.domain.other"] == {"salescrm.domain.views": 1}
    assert [shown(c, graph) for c in cycles(graph)] == [
        "salescrm.domain.tasks (line 1) -> salescrm.domain.views (line 2) -> salescrm.domain.tasks"]


def test_a_cycle_through_a_package_init_is_found_and_a_package_importing_its_own_modules_is_none(tmp_path):
    root = write(tmp_path, {
        "__init__.py": "",
        "domain/__init__.py": "",
        "domain/audit/__init__.py": "from salescrm.domain.audit.deals import check\n",
        "domain/audit/base.py": "",
        "domain/audit/deals.py": "from salescrm.domain.audit.base import Finding\nfrom salescrm.domain import known\n",
        "domain/known.py": "def unknown():\n    from salescrm.domain.audit.base import Finding\n",
    })
    graph = import_graph(root)
    assert graph["salescrm.domain.known"] == {"salescrm.domain.audit.base": 2, "salescrm.domain.audit": 2}
    assert [shown(c, graph) for c in cycles(graph)] == [
        "salescrm.domain.audit (line 1) -> salescrm.domain.audit.deals (line 2) -> salescrm.domain.known (line 2) "
        "-> salescrm.domain.audit"]


def test_an_import_of_a_higher_layer_is_found_wherever_it_sits(tmp_path):
    root = write(tmp_path, {
        "__init__.py": "",
        "cli/__init__.py": "",
        "cli/output.py": "",
        "domain/__init__.py": "",
        "domain/views.py": "import typing\nif typing.TYPE_CHECKING:\n    import salescrm.cli.output\n",
        "store/__init__.py": "",
        "store/migrations/versions/0005_x.py": "def upgrade():\n    from ....domain.views import iso\n",
        "errors.py": "def storage_failure():\n    from salescrm.store import engine\n",
        "__main__.py": "from salescrm.cli.output import main\n",
    })
    assert layer_violations(root) == [
        "salescrm.domain.views (line 3) imports salescrm.cli.output",
        "salescrm.errors (line 2) imports salescrm.store",
        "salescrm.store.migrations.versions.0005_x (line 2) imports salescrm.domain.views",
    ]
