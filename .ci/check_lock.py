"""Fail when uv.lock no longer matches the requirements in pyproject.toml.

A quick offline check run by .ci/run before anything is installed (`uv lock --check` follows it,
online, for what this cannot see). It compares kefu's dependencies and extras, as written in
pyproject.toml, with the ones the lock recorded when it was made.

    python .ci/check_lock.py [PROJECT_DIR]
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REFRESH = "uv lock"


def _key(name: str, extras, specifier: str, marker: str) -> tuple[str, tuple[str, ...], str, str]:
    spec = ",".join(sorted(part.strip() for part in specifier.split(",") if part.strip()))
    return canonicalize_name(name), tuple(sorted(extras)), spec, marker.replace('"', "'")


def wanted(project: dict) -> set[tuple]:
    out = set()
    groups = [("", project.get("dependencies", []))]
    groups += [(extra, reqs) for extra, reqs in project.get("optional-dependencies", {}).items()]
    for extra, reqs in groups:
        for text in reqs:
            req = Requirement(text)
            markers = [str(req.marker)] if req.marker else []
            if extra:
                markers.append(f"extra == '{extra}'")
            out.add(_key(req.name, req.extras, str(req.specifier), " and ".join(markers)))
    return out


def locked(lock: dict, name: str) -> tuple[set[tuple], list[str]]:
    package = next((p for p in lock.get("package", []) if canonicalize_name(p["name"]) == name), None)
    if package is None:
        return set(), []
    meta = package.get("metadata", {})
    out = {
        _key(r["name"], r.get("extras", ()), r.get("specifier", ""), r.get("marker", ""))
        for r in meta.get("requires-dist", [])
    }
    return out, sorted(meta.get("provides-extras", []))


def problems(root: Path) -> list[str]:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    lock_file = root / "uv.lock"
    if not lock_file.exists():
        return ["uv.lock is missing"]
    lock = tomllib.loads(lock_file.read_text(encoding="utf-8"))
    project = pyproject["project"]
    have, extras = locked(lock, canonicalize_name(project["name"]))
    want = wanted(project)
    out = [f"not in the lock: {' '.join(filter(None, k))}" for k in sorted(want - have)]
    out += [
        f"in the lock but no longer in pyproject.toml: {' '.join(filter(None, k))}"
        for k in sorted(have - want)
    ]
    if extras != sorted(project.get("optional-dependencies", {})):
        out.append(f"extras differ: the lock has {extras}")
    if lock.get("requires-python") != project.get("requires-python"):
        out.append(f"requires-python differs: the lock has {lock.get('requires-python')}")
    return out


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
    found = problems(root)
    if not found:
        print("uv.lock matches pyproject.toml")
        return 0
    print("uv.lock is out of date with pyproject.toml:", file=sys.stderr)
    for line in found:
        print(f"  - {line}", file=sys.stderr)
    print(f"Refresh it with `{REFRESH}` and commit uv.lock.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
