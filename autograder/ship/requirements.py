"""Runtime requirements for a grading machine, pinned to the versions installed here."""
from __future__ import annotations

import platform
import sys
import zipfile
from collections.abc import Iterable
from email.message import Message
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from autograder.assignment import Assignment, load_assignment
from autograder.config import ConfigError, load_config
from autograder.ship import ShipError


def _oldest_python(requires_python: str | None) -> Version | None:
    """The oldest Python 3 minor version, up to the running one, that `requires_python` admits."""
    spec = SpecifierSet(requires_python or "")
    current = sys.version_info.minor
    for minor in range(current + 1):
        if spec.contains(platform.python_version() if minor == current else f"3.{minor}"):
            return Version(f"3.{minor}")
    return None


def _line(req: Requirement, specifier: str, *markers: str) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{specifier}" + (f"; {' and '.join(markers)}" if markers else "")


def wheel_metadata(wheel: Path) -> Message:
    """The METADATA of a wheel (its name, Requires-Python and Requires-Dist)."""
    try:
        with zipfile.ZipFile(wheel) as z:
            name = next((n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
            if name is not None:
                return Parser().parsestr(z.read(name).decode("utf-8"))
    except (OSError, zipfile.BadZipFile):
        pass
    raise ShipError(f"{wheel}: not a readable wheel (no .dist-info/METADATA)")


def pinned_requirements(wheel: Path, assignments: Iterable[Assignment] = (), extras: Iterable[str] = ()) -> list[str]:
    """One line per runtime dependency of `wheel` (with its `extras`), then per package of `assignments`:
    `name==version` as installed here.

    Local labels are dropped (torch 2.13.0+cpu gives torch==2.13.0, which the +cpu build
    satisfies). A pinned release that needs a newer Python than the oldest one the wheel supports
    applies from that Python on; older Pythons get the declared range instead (numpy 2.4
    needs 3.11, Gradescope's Ubuntu 22.04 has 3.10). A dependency this Python does not need
    is kept as declared. A project asked for twice (numpy, by the wheel and an assignment) is
    pinned once, to the ranges of both.
    """
    meta = wheel_metadata(wheel)
    ours = _oldest_python(meta.get("Requires-Python"))
    wanted = [(Requirement(text), f"a dependency of {meta['Name']}") for text in meta.get_all("Requires-Dist") or []]
    wanted += [(Requirement(text), f"a package of assignment {a.name}") for a in assignments for text in a.packages]
    merged: dict[tuple[str, str], tuple[Requirement, str]] = {}
    extras = set(extras)
    for req, whose in wanted:
        if req.marker and "extra" in str(req.marker):
            if not any(req.marker.evaluate({"extra": extra}) for extra in extras):
                continue
            req.marker = None  # an extra asked for: required here
        key = (canonicalize_name(req.name), str(req.marker))
        if key in merged:
            merged[key][0].specifier &= req.specifier
            merged[key][0].extras |= req.extras
        else:
            merged[key] = (req, whose)
    return [line for req, whose in merged.values() for line in _pinned(req, whose, ours)]


def _pinned(req: Requirement, whose: str, ours: Version | None) -> list[str]:
    """`req` pinned to the installed version (see pinned_requirements); `whose` says who asks for it."""
    markers = [f"({req.marker})"] if req.marker else []
    if req.marker and not req.marker.evaluate():
        return [str(req)]
    try:
        installed = metadata.distribution(req.name)
    except metadata.PackageNotFoundError:
        raise ShipError(f"{req.name}, {whose}, is not installed here: cannot pin it") from None
    pin = f"=={Version(installed.version).public}"
    theirs = _oldest_python(installed.metadata.get("Requires-Python"))
    if ours and theirs and theirs > ours:
        return [_line(req, pin, *markers, f'python_version >= "{theirs}"'),
                _line(req, str(req.specifier), *markers, f'python_version < "{theirs}"')]
    return [_line(req, pin, *markers)]


def main(argv: list[str]) -> int:
    """`python -m autograder.ship.requirements WHEEL CONFIG [EXTRA...]` (used by .ci/wheelhouse): the pinned
    requirements of WHEEL (with its EXTRAs, e.g. ray) and of the packages of every assignment in CONFIG,
    one per line."""
    if len(argv) < 2:
        print("usage: python -m autograder.ship.requirements WHEEL CONFIG [EXTRA...]", file=sys.stderr)
        return 2
    wheel, config, extras = Path(argv[0]), Path(argv[1]), argv[2:]
    try:
        assignments = [load_assignment(config, name) for name in load_config(config).assignments]
        print(*pinned_requirements(wheel, assignments, extras), sep="\n")
    except (ConfigError, ShipError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
