"""The import structure (issue 19): no import circle; a function-local import only with its
``# lazy:`` reason; the quick commands' start-up free of the heavy libraries.

The graph is read from the source (ast), as Python runs it: a module's top-level imports,
including those under ``try`` or ``if`` but not under ``if TYPE_CHECKING``. flows/, tasks/
and deployments/ are insday.flows, insday.tasks and insday.deployments (pyproject.toml).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from filemaker import daily_row, write_xlsx
from mailtools import at

from insday.intake.service import ingest_paths

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"insday": ROOT / "insday", "insday.flows": ROOT / "flows", "insday.tasks": ROOT / "tasks",
            "insday.deployments": ROOT / "deployments"}
# Not needed to answer `insday status` nor to show `--help`: each costs 0.05-4 s to import.
HEAVY = ("great_expectations", "prefect", "pandas", "numpy", "matplotlib", "polars", "pyarrow", "openpyxl",
         "jinja2", "yagmail", "alembic", "scipy", "httpx", "pydantic_settings")
# Nor these: status asks with SQLAlchemy Core (about 0.08 s for the ORM, as much for the models).
ORM = ("sqlalchemy.orm", "insday.db.models")


def modules() -> dict[str, tuple[Path, ast.Module]]:
    """Every module of the distribution: dotted name -> (file, parsed source)."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if package == "insday" and parts[0] in ("flows", "tasks", "deployments"):
                continue  # not there in a checkout; mapped from the top-level folders
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return found


def _target(name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    return ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else []))


def _top_level(tree: ast.Module):
    """The import statements Python runs when it imports the module."""
    def walk(body):
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                    yield from walk(block)
    yield from walk(tree.body)


def import_graph() -> dict[str, set[str]]:
    """Module -> the insday modules its top-level imports name (``from pkg import sub``: pkg.sub)."""
    mods = modules()
    graph = {}
    for name, (path, tree) in mods.items():
        edges = set()
        for node in _top_level(tree):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
            else:
                target = _target(name, path, node)
                subs = {f"{target}.{a.name}" for a in node.names} & mods.keys()
                edges |= subs or {target}
        graph[name] = {m for m in edges if m in mods and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (its modules, the first repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def function_imports(tree: ast.Module):
    """(import statement, the statement list it is in) for every import inside a function."""
    def walk(node, in_function):
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, field, None) or []
            for child in block:
                if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                    yield child, block
                yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
        for child in getattr(node, "cases", ()):  # match statements
            yield from walk(child, in_function)
    yield from walk(tree, False)


def has_reason(lines: list[str], node, block) -> bool:
    """``# lazy:`` on the import's lines, or on the line above it or above the imports right before it."""
    if any("# lazy:" in lines[i] for i in range(node.lineno - 1, node.end_lineno)):
        return True
    previous = {s.end_lineno: s for s in block if isinstance(s, (ast.Import, ast.ImportFrom))}
    first = node.lineno
    while first - 1 in previous:  # a run of imports shares the reason above its first one
        first = previous[first - 1].lineno
    return first >= 2 and lines[first - 2].strip().startswith("# lazy:")


def test_the_import_graph_has_no_circle():
    graph = import_graph()
    assert len(graph) > 100 and "insday.flows.daily_run" in graph and "insday.tasks.common" in graph
    assert graph["insday.cli.core"] >= {"insday.cli.common"}
    assert find_cycle(graph) is None, "import circle: " + " -> ".join(find_cycle(graph))


def test_the_circle_finder_names_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_function_local_import_says_why_it_is_lazy():
    missing, seen = [], 0
    for name, (path, tree) in modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, block in function_imports(tree):
            seen += 1
            if not has_reason(lines, node, block):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert seen > 20  # the walk finds them: GX, Prefect, the CLI's commands...
    assert not missing, "function-local imports without a `# lazy: <reason>` comment:\n" + "\n".join(missing)


def test_the_reason_check_reads_comments_as_written():
    source = ("def f():\n    # lazy: GX costs 4 s\n    import a\n    from b import (c,\n        d)\n    import e\n\n"
              "    import g\n    import h  # lazy: h costs 1 s\n")
    tree = ast.parse(source)
    lines = source.splitlines()
    covered = {ast.unparse(n): has_reason(lines, n, block) for n, block in function_imports(tree)}
    assert covered == {"import a": True, "from b import c, d": True, "import e": True, "import g": False,
                       "import h": True}


def _loaded(args: list[str], environ: dict, cwd: Path) -> list[str]:
    """The heavy libraries a fresh process has imported after running ``insday ARGS``."""
    probe = ("import sys\nfrom insday.cli import main\nsys.argv = ['insday', *sys.argv[1:]]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}) | set({ORM!r}) & set(sys.modules)),"
             " file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=environ,
                          cwd=cwd, timeout=120)
    return proc.stderr.strip().splitlines()[-1]


def test_status_and_help_start_without_the_heavy_libraries(env, tmp_path):
    ingest_paths(env, [write_xlsx(tmp_path / "a.xlsx", [daily_row()])], received_at=at("2019-06-27 09:00"),
                 receipts=False)
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "insday", "status", "--json", "--as-of", "2019-06-28T12:00"],
                          capture_output=True, text=True, env=environ, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["deadlines"]  # the status path below is the one that answers
    assert _loaded(["status", "--json", "--as-of", "2019-06-28T12:00"], environ, tmp_path) == "[]"
    assert _loaded(["status", "--as-of", "2019-06-28T12:00"], environ, tmp_path) == "[]"  # the tables
    for args in (["--help"], ["status", "--help"]):
        assert _loaded(args, environ, tmp_path) == "[]"
    probe = "import sys\nimport insday.cli\nprint(sorted(m for m in ('sqlalchemy', 'insday.db') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environ, timeout=120)
    assert proc.stdout.strip() == "[]", proc.stderr  # registering the commands loads none of their code


def test_the_steps_import_starts_without_the_heavy_libraries():
    """`insday steps import` loads polars, NumPy and Arrow itself, while it hashes the file."""
    probe = ("import sys\nimport insday.cli, insday.steps, insday.db.bootstrap\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.stdout.strip() == "[]", proc.stderr
