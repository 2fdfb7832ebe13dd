"""The package's layering rules, checked on the source with `ast` so a slip fails in a second.

- Only rehearse/store imports the database libraries (sqlite-utils, sqlite3): it alone writes SQL.
- Only rehearse/web and the pages import Streamlit.
- Each third-party library is imported by one module, except the ones listed in SHARED with why.
- Every third-party library imported is declared in pyproject.toml (the tests' ones in the test extra).
- No stored time is cut up for display outside clock.py: it goes through clock.label and friends.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rehearse"

# Libraries more than one module may import, and why.
SHARED = {
    # The array type every audio path passes around; wrapping it would only hide it.
    "numpy",
    # The database layer is a package; the rule for it is "store/ only" (below).
    "sqlite_utils",
    # The pages are the UI; the rule for it is "web/ and pages/ only" (below).
    "streamlit",
}


def _sources() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "streamlit_app.py"])


def _imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in the file, also those inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("rehearse", "__future__")}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _users() -> dict[str, set[str]]:
    users: dict[str, set[str]] = defaultdict(set)
    for path in _sources():
        for name in _imports(path):
            users[name].add(_rel(path))
    return users


def test_the_sources_are_found():
    # Guards the other tests against passing on an empty walk.
    users = _users()
    assert "rehearse/store/database.py" in users["sqlite_utils"]
    assert "rehearse/web/ui.py" in users["streamlit"]
    assert len(_sources()) > 40


def test_only_store_uses_the_database_libraries():
    users = _users()
    outside = {p for name in ("sqlite_utils", "sqlite3") for p in users[name] if not p.startswith("rehearse/store/")}
    assert not outside, f"only rehearse/store may import sqlite_utils or sqlite3; also imported by {sorted(outside)}"


def test_only_web_and_pages_use_streamlit():
    allowed = ("rehearse/web/", "pages/", "streamlit_app.py")
    outside = {p for p in _users()["streamlit"] if not p.startswith(allowed)}
    assert not outside, f"only rehearse/web and pages may import streamlit; also imported by {sorted(outside)}"


def test_each_library_has_one_module():
    shared = {
        name: sorted(paths)
        for name, paths in _users().items()
        if name in _third_party({name}) and name not in SHARED and len(paths) > 1
    }
    assert not shared, f"each third-party library is imported by one module (or listed in SHARED with why): {shared}"


def _declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *(d for e in extras for d in project["optional-dependencies"][e])]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in wanted}


def _undeclared(paths: list[Path], declared: set[str], local: set[str] = frozenset()) -> dict[str, list[str]]:
    distributions = metadata.packages_distributions()
    missing = {}
    for name in _third_party({n for p in paths for n in _imports(p)}) - local:
        dists = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
        if not dists & declared:
            missing[name] = sorted(dists)
    return missing


def test_every_imported_library_is_declared():
    assert not (missing := _undeclared(_sources(), _declared())), f"not in pyproject.toml dependencies: {missing}"


def test_every_library_the_tests_import_is_declared():
    tests = sorted((ROOT / "tests").rglob("*.py"))
    local = {p.stem for p in tests}  # tests/support helpers and conftest, imported by bare name
    missing = _undeclared([*tests, *(ROOT / "scripts").glob("*.py")], _declared("test"), local)
    assert not missing, f"not in pyproject.toml dependencies or the test extra: {missing}"


def test_stored_times_are_shown_through_clock():
    """`started_at[:16]` and the like show UTC; clock.label shows the local time."""
    cut = []
    for path in _sources():
        if path == PACKAGE / "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Slice)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr.endswith("_at")
            ):
                cut.append(f"{_rel(path)}:{node.lineno}")
    assert not cut, f"stored times sliced for display instead of clock.label: {cut}"
