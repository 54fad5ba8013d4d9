"""Rules of the house that the linters do not check: small functions (none over 80 lines), and
one list of the pure cores for mypy and import-linter."""

import ast
import functools
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 80  # lines from `def` to the function's last line, docstring included


@functools.cache
def function_lengths() -> dict[str, int]:
    """Every function and method of steer (migrations aside), "path::Class.name" → lines."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, path: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{path}::{prefix}{child.name}"
                size = (child.end_lineno or child.lineno) - child.lineno + 1
                lengths[name] = max(size, lengths.get(name, 0))
                visit(child, path, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, path, f"{prefix}{child.name}.")
            else:
                visit(child, path, prefix)

    for file in sorted((ROOT / "steer").rglob("*.py")):
        if "migrations" not in file.parts:
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
            visit(tree, file.relative_to(ROOT).as_posix(), "")
    return lengths


def test_no_function_is_longer_than_80_lines():
    lengths = function_lengths()
    long = sorted(f"{n} ({lengths[n]} lines)" for n in lengths if lengths[n] > LIMIT)
    assert not long, f"Over {LIMIT} lines: split into named steps: {', '.join(long)}"


def test_the_length_check_reads_every_function():
    lengths = function_lengths()
    assert "steer/accounts/access.py::Access.roles" in lengths
    assert "steer/documents/content.py::_programme_context" in lengths
    assert len(lengths) > 1000


def test_the_pure_cores_are_listed_alike_for_mypy_and_import_linter():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (override,) = [
        o for o in config["tool"]["mypy"]["overrides"] if "steer.composite.*" in o["module"]
    ]
    for_mypy = {m.removesuffix(".*") for m in override["module"]}
    (contract,) = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "pure-cores"
    ]
    assert for_mypy == set(contract["source_modules"])
    for module in for_mypy:
        path = ROOT / module.replace(".", "/")
        assert path.is_dir() or path.with_suffix(".py").exists(), module


def test_services_and_selectors_are_typed_strictly():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (override,) = [
        o for o in config["tool"]["mypy"]["overrides"] if "steer.*.services" in o["module"]
    ]
    assert override["disallow_untyped_defs"] and override["disallow_any_generics"]


WRITES = {"save", "delete", "create", "update", "bulk_create", "bulk_update", "get_or_create"}
WRITES |= {"update_or_create"}
# Calls named like a model write that write no model row: (module, receiver, method) and why.
NOT_MODEL_WRITES: set[tuple[str, str, str]] = set()


def view_modules() -> list[Path]:
    steer = ROOT / "steer"
    modules = [*steer.glob("*/views.py"), *steer.glob("*/*_views.py"), *steer.glob("*/views/*.py")]
    # The API's endpoints are views too: the modules that define a router.
    routers = [
        p for p in (steer / "api").glob("*.py") if "Router(" in p.read_text(encoding="utf-8")
    ]
    modules += routers
    return sorted(modules)


def model_writes_in(path: Path) -> list[str]:
    relative = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        if method not in WRITES:
            continue
        name = ast.unparse(receiver)
        if (relative, name, method) in NOT_MODEL_WRITES:
            continue
        commit = {k.arg: k.value for k in node.keywords}.get("commit")
        if method == "save" and isinstance(commit, ast.Constant) and commit.value is False:
            continue  # a form building an unsaved instance
        found.append(f"{relative}:{node.lineno} {name}.{method}()")
    return found


def test_no_views_module_writes_a_model():
    writes = [w for path in view_modules() for w in model_writes_in(path)]
    assert not writes, "Model writes belong in services: " + ", ".join(writes)
