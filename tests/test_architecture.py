"""The house rules CI can check: dependencies point inward, settings come only from infra."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "projections", "api", "bot", "infra")
FORBIDDEN = {
    "domain": {"projections", "api", "bot", "infra"},
    "projections": {"api", "bot", "infra"},
    "api": {"bot", "infra"},
    "bot": {"api", "infra", "projections"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_inward(package):
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(package)
        for name in imported_packages(path) & FORBIDDEN[package]
    }
    assert not offenders, sorted(offenders)


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "infra"])
def test_only_infra_reads_the_environment(package):
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources(package)
        if "os.environ" in path.read_text() or "os.getenv" in path.read_text()
    ]
    assert not offenders
