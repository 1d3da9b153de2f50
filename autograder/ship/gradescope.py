"""Gradescope's autograder.zip: setup.sh, run_autograder, pinned requirements, the grader's wheel
and the solution-free bundle of one assignment, all at the zip's root (Gradescope unzips it into
/autograder/source)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.assignment import Assignment
from autograder.ship import ShipError
from autograder.ship.bundle import write_bundle
from autograder.ship.requirements import pinned_requirements, wheel_metadata

TEMPLATES = Path(__file__).parent / "templates"
SCRIPTS = ("setup.sh", "run_autograder")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What building the wheel needs, copied out of the source tree: no stale build/ or egg-info leaks in.
PROJECT_FILES = ("pyproject.toml", "README.md", "autograder")


def requirements_txt(wheel: Path, assignment: Assignment) -> str:
    """requirements.txt for setup.sh: torch's CPU index, then `wheel`'s dependencies and the assignment's
    packages, pinned."""
    meta = wheel_metadata(wheel)
    return "\n".join([f"# Runtime requirements of {meta['Name']} {meta['Version']} and the packages of "
                      f"{assignment.name}, pinned to the versions installed where this zip was made.",
                      f"--extra-index-url {TORCH_CPU_INDEX}", *pinned_requirements(wheel, [assignment])]) + "\n"


def build_wheel(dest: Path) -> Path:
    """Build the autograder wheel from the source tree this package runs from, into `dest`."""
    root = Path(__file__).resolve().parents[2]
    if not all((root / name).exists() for name in PROJECT_FILES):
        raise ShipError(f"autograder is not running from a source tree ({root}); pass --wheel")
    with tempfile.TemporaryDirectory(prefix="autograder-src-") as src:
        for name in PROJECT_FILES:
            if (root / name).is_dir():
                shutil.copytree(root / name, Path(src) / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(root / name, Path(src) / name)
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", src, "-w", str(dest)],
                                capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ShipError(f"pip wheel could not build autograder: {last}")
    return next(dest.glob("autograder-*.whl"))


def write_gradescope_zip(assignment: Assignment, out: Path, wheel: Path | None = None) -> None:
    """Write Gradescope's autograder.zip for `assignment` to `out` (with `wheel`, or one built now)."""
    if wheel is not None and not (wheel.is_file() and wheel.name.startswith("autograder-") and wheel.suffix == ".whl"):
        raise ShipError(f"{wheel}: not an autograder wheel (autograder-*.whl)")
    with tempfile.TemporaryDirectory(prefix="autograder-zip-") as tmp:
        wheel = wheel or build_wheel(Path(tmp) / "wheel")
        stage = Path(tmp) / "stage"
        write_bundle(assignment, stage)
        for name in SCRIPTS:
            shutil.copyfile(TEMPLATES / name, stage / name)
        (stage / "requirements.txt").write_text(requirements_txt(wheel, assignment), encoding="utf-8")
        shutil.copyfile(wheel, stage / wheel.name)
        _zip(stage, out)


def _zip(folder: Path, out: Path) -> None:
    """Zip `folder`'s files to `out` atomically, with Unix modes (scripts executable) whatever the umask."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as z:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
                info.external_attr = (0o100755 if info.filename in SCRIPTS else 0o100644) << 16
                info.compress_type = zipfile.ZIP_STORED if path.suffix == ".whl" else zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
