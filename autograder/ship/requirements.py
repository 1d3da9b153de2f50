"""Runtime requirements for a grading machine, pinned to the versions installed here."""
from __future__ import annotations

import platform
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

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


def pinned_requirements(wheel: Path) -> list[str]:
    """One line per runtime dependency of `wheel`: `name==version` as installed here.

    Local labels are dropped (torch 2.13.0+cpu gives torch==2.13.0, which the +cpu build
    satisfies). A pinned release that needs a newer Python than the oldest one the wheel supports
    applies from that Python on; older Pythons get the wheel's declared range instead (numpy 2.4
    needs 3.11, Gradescope's Ubuntu 22.04 has 3.10). A dependency this Python does not need
    is kept as declared.
    """
    meta = wheel_metadata(wheel)
    ours = _oldest_python(meta.get("Requires-Python"))
    lines = []
    for req in map(Requirement, meta.get_all("Requires-Dist") or []):
        markers = [f"({req.marker})"] if req.marker else []
        if req.marker and "extra" in str(req.marker):
            continue
        if req.marker and not req.marker.evaluate():
            lines.append(str(req))
            continue
        try:
            installed = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise ShipError(f"{req.name}, a dependency of {meta['Name']}, is not installed here: cannot pin it") \
                from None
        pin = f"=={Version(installed.version).public}"
        theirs = _oldest_python(installed.metadata.get("Requires-Python"))
        if ours and theirs and theirs > ours:
            lines += [_line(req, pin, *markers, f'python_version >= "{theirs}"'),
                      _line(req, str(req.specifier), *markers, f'python_version < "{theirs}"')]
        else:
            lines.append(_line(req, pin, *markers))
    return lines
