"""The shape of the package: a layered import graph and a docstring on every public function (#14).

The import graph is read from the source (``ast``), not by importing: one node per module of
planlib, one edge per ``import`` statement that names a planlib module, at module level or inside
a function (a function-level import runs later, but it still ties the two modules together: a
reader has to know both, and moving it to the top must not break the package).
``from planlib.schedule import gantt`` is an edge to the submodule ``planlib.schedule.gantt``;
``from planlib.schedule.problem import Problem`` an edge to ``planlib.schedule.problem``, and, when
the importer is outside ``planlib.schedule``, to the package ``planlib.schedule`` as well, whose
``__init__`` Python runs first. The root package ``planlib`` is not a node: every module is in it.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import io
import itertools
import pkgutil
import re
import tokenize
from pathlib import Path

import planlib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "planlib"

#: Modules that still import ``Dataset`` through the ``planlib.data`` re-export; the graph reads
#: these imports as imports of ``planlib.dataset``, where the class lives. Their files belong to the
#: other parts of #14 (MRP, scenarios, schedule, factory); the integrator switches them to
#: ``from planlib.dataset import Dataset`` when those parts merge and empties this set.
DATASET_THROUGH_DATA: set[str] = set()

#: Function-level imports that stay, by (importer, imported), and why. None of them is there to
#: avoid a cycle: the graph with them is acyclic (:func:`test_import_graph_has_no_cycle`).
LATE_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    # ("planlib.validate", "planlib.schedule.problem") is gone: the uninterruptible rule lives in planlib.validate
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _comments(source: str) -> dict[int, str]:
    """The comment on each line of a source file."""
    return {tok.start[0]: tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT}


def import_edges(modules: dict[str, Path] | None = None) -> list[dict]:
    """Every import of a planlib module by a planlib module.

    Returns
    -------
    list of dict
        ``importer, imported, line, late`` (True inside a function or class body), ``names``
        (the names a ``from`` import takes) and ``comment`` (the comment on the import's line).
    """
    modules = _modules() if modules is None else modules
    edges = []
    for importer, path in modules.items():
        source = path.read_text()
        tree = ast.parse(source)
        comments = _comments(source)
        top = {id(node) for node in tree.body}
        # imports under `if TYPE_CHECKING:` or `try:` at module level are module-level too
        for node in tree.body:
            if isinstance(node, (ast.If, ast.Try)):
                top |= {id(n) for n in ast.walk(node)}
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[tuple[str, tuple]] = []
            if isinstance(node, ast.Import):
                targets = [(alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                names = tuple(alias.name for alias in node.names)
                submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules]
                targets = [(m, ()) for m in submodules]
                if len(submodules) < len(names):
                    targets.append((base, tuple(n for n in names if f"{base}.{n}" not in modules)))
            for target, names in targets:
                if target == "planlib.data" and set(names) == {"Dataset"} and importer in DATASET_THROUGH_DATA:
                    target = "planlib.dataset"
                hits = [target]
                # Python runs a package's __init__ before any of its submodules
                parent = target.rpartition(".")[0]
                while parent.count("."):
                    if not importer.startswith(parent + ".") and importer != parent:
                        hits.append(parent)
                    parent = parent.rpartition(".")[0]
                for hit in hits:
                    if hit in modules and hit != importer and hit != "planlib":
                        edges.append({"importer": importer, "imported": hit, "line": node.lineno,
                                      "late": id(node) not in top, "names": names,
                                      "comment": comments.get(node.lineno, "")})
    return edges


def find_cycle(edges: list[dict]) -> list[str] | None:
    """A cycle of the graph as a list of modules (first == last), or None."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e["importer"], set()).add(e["imported"])
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _describe(cycle: list[str], edges: list[dict]) -> str:
    lines = []
    for a, b in itertools.pairwise(cycle):
        e = next(e for e in edges if e["importer"] == a and e["imported"] == b)
        lines.append(f"{a} imports {b} (line {e['line']}{', in a function' if e['late'] else ''})")
    return "; ".join(lines)


def test_import_graph_has_no_cycle():
    edges = import_edges()
    cycle = find_cycle(edges)
    assert cycle is None, f"import cycle: {_describe(cycle, edges)}"


def test_no_import_is_late_to_avoid_a_cycle():
    """A function-level import is never a way around a cycle: written at module level instead,
    it would close no cycle, and no comment gives a cycle as its reason. The few that stay for
    another reason are listed by name in :data:`LATE_IMPORTS_ALLOWED`."""
    edges = import_edges()
    top = [e for e in edges if not e["late"]]
    late = [e for e in edges if e["late"]]
    bad = []
    for e in late:
        key = (e["importer"], e["imported"])
        if re.search(r"cycl|circular", e["comment"], re.IGNORECASE) and key not in LATE_IMPORTS_ALLOWED:
            bad.append(f"{e['importer']} line {e['line']}: {e['comment']}")
        cycle = find_cycle(top + [dict(e, late=False)])
        if cycle is not None and key not in LATE_IMPORTS_ALLOWED:
            bad.append(f"{e['importer']} line {e['line']} imports {e['imported']} in a function; at the top "
                       f"it would close the cycle {_describe(cycle, top + [e])}")
    assert not bad, "\n".join(bad)
    stale = set(LATE_IMPORTS_ALLOWED) - {(e["importer"], e["imported"]) for e in late}
    assert not stale, f"LATE_IMPORTS_ALLOWED lists imports that are gone: {sorted(stale)}"


def test_dataset_through_data_lists_only_modules_that_still_do_it():
    """The integrator's list shrinks: a module that imports Dataset from planlib.dataset leaves it."""
    still = set()
    for importer, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "planlib.data" \
                    and "Dataset" in {a.name for a in node.names}:
                still.add(importer)
    assert DATASET_THROUGH_DATA == still - {"planlib"}  # planlib/__init__ re-exports it on purpose


def test_the_graph_reader_finds_a_planted_cycle(tmp_path):
    """The reader sees function-level imports, relative imports and packages' __init__."""
    pkg = tmp_path / "planlib"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from planlib.sub.c import f\n")
    (pkg / "sub" / "__init__.py").write_text("from .c import f\n")
    (pkg / "sub" / "c.py").write_text("def f():\n    from planlib import b\n")
    (pkg / "b.py").write_text("def g():\n    import planlib.a\n")
    modules = {"planlib": pkg / "__init__.py", "planlib.a": pkg / "a.py", "planlib.b": pkg / "b.py",
               "planlib.sub": pkg / "sub" / "__init__.py", "planlib.sub.c": pkg / "sub" / "c.py"}
    edges = import_edges(modules)
    got = {(e["importer"], e["imported"], e["late"]) for e in edges}
    assert got == {("planlib.a", "planlib.sub.c", False), ("planlib.a", "planlib.sub", False),
                   ("planlib.sub", "planlib.sub.c", False), ("planlib.sub.c", "planlib.b", True),
                   ("planlib.b", "planlib.a", True)}
    assert find_cycle(edges) == ["planlib.a", "planlib.sub", "planlib.sub.c", "planlib.b", "planlib.a"]


# --------------------------------------------------------------------------- docstrings

#: Modules the other parts of #14 rewrite this session (MRP, scenarios, comparison, archive, the
#: schedule's model, the factory); the docstring test skips them until #14's other parts merge
#: (the integrator empties this tuple). ``planlib.schedule`` is the package's ``__init__`` only.
DOCSTRINGS_LATER = ()


def _skipped(name: str) -> bool:
    return any(name == m or (m != "planlib.schedule" and name.startswith(m + ".")) for m in DOCSTRINGS_LATER)


def _public_modules() -> list[str]:
    names = ["planlib"] + [m.name for m in pkgutil.walk_packages(planlib.__path__, "planlib.")]
    return [n for n in names if not n.endswith("__main__") and not _skipped(n)]


def _mentions_frame(annotation) -> bool:
    return "DataFrame" in (annotation if isinstance(annotation, str) else repr(annotation))


def _section(doc: str, title: str) -> bool:
    return re.search(rf"^{title}\n-{{3,}}$", doc, re.MULTILINE) is not None


def docstring_findings(module_names: list[str]) -> list[str]:
    """What the docstring rule finds in the public functions and classes of these modules.

    Public: named in the module's ``__all__``, or not starting with ``_``; defined in the module
    (a re-export is checked where it is defined). Each needs a docstring; a function with a
    parameter annotated ``DataFrame`` needs a ``Parameters`` section, one returning a DataFrame
    (alone or in a tuple) a ``Returns`` section, where the columns and units go.
    """
    found = []
    for name in module_names:
        module = importlib.import_module(name)
        listed = set(getattr(module, "__all__", ()))
        for attr, obj in vars(module).items():
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != name:
                continue
            if attr.startswith("_") and attr not in listed:
                continue
            doc = inspect.getdoc(obj) or ""
            where = f"{name}.{attr}"
            if not doc.strip():
                found.append(f"{where}: no docstring")
                continue
            if inspect.isfunction(obj):
                ann = obj.__annotations__
                if any(_mentions_frame(v) for k, v in ann.items() if k != "return") and not _section(doc, "Parameters"):
                    found.append(f"{where}: takes a DataFrame, no Parameters section")
                if "return" in ann and _mentions_frame(ann["return"]) and not _section(doc, "Returns"):
                    found.append(f"{where}: returns a DataFrame, no Returns section")
    return found


def test_every_public_function_has_a_docstring():
    found = docstring_findings(_public_modules())
    assert not found, "\n".join(found)


def test_the_docstring_rule_sees_what_it_must(tmp_path, monkeypatch):
    (tmp_path / "planlib_doc_probe.py").write_text(
        '"""A probe."""\nimport pandas as pd\n\n__all__ = ["_listed"]\n\n\n'
        'def bare(x):\n    return x\n\n\n'
        'def takes(frame: pd.DataFrame) -> int:\n    """Takes a table."""\n    return 0\n\n\n'
        'def gives() -> tuple[pd.DataFrame, int]:\n    """Gives a table.\n\n    Returns\n    -------\n'
        '    tuple\n        Columns ``a``.\n    """\n\n\n'
        'def _listed():\n    pass\n\n\n'
        'def _private():\n    pass\n\n\n'
        'class Thing:\n    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert docstring_findings(["planlib_doc_probe"]) == [
        "planlib_doc_probe.bare: no docstring",
        "planlib_doc_probe.takes: takes a DataFrame, no Parameters section",
        "planlib_doc_probe._listed: no docstring",
        "planlib_doc_probe.Thing: no docstring",
    ]


# --------------------------------------------------------------------------- where the moved names live

def test_moved_names_live_in_their_new_modules_and_stay_importable_from_data():
    import planlib.data
    import planlib.dataset
    import planlib.problems

    assert planlib.dataset.Dataset.__module__ == "planlib.dataset"
    assert planlib.data.Dataset is planlib.dataset.Dataset is planlib.Dataset
    assert planlib.data.empty_table is planlib.dataset.empty_table
    assert planlib.data.mask_source is planlib.problems.mask_source
    assert planlib.data.mask_text is planlib.problems.mask_text
    assert planlib.data.check_source.__module__ == "planlib.data"
    assert set(planlib.data.__all__) <= set(vars(planlib.data))
