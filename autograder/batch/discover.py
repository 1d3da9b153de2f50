"""Find the submissions in a folder or in a Gradescope "Export Submissions" zip."""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

SUFFIXES = (".py", ".ipynb")
METADATA = "submission_metadata.yml"
MAX_UNZIPPED = 2 * 1024**3
MAX_MEMBERS = 100_000


class InputError(Exception):
    """The batch input itself is unusable (a message for the instructor)."""


@dataclass(frozen=True)
class Student:
    name: str = ""
    sid: str = ""
    email: str = ""


@dataclass
class Entry:
    """One submission to grade: `key` names its output folder; `path` is None if there is no file."""

    key: str
    path: Path | None
    students: list[Student] = field(default_factory=list)
    problem: str = ""


def discover(source: Path, assignment: str, scratch: Path) -> list[Entry]:
    """Entries for every submission in `source` (a folder or a zip, extracted under `scratch`)."""
    if source.is_file() and zipfile.is_zipfile(source):
        source = _extract(source, scratch / "input")
    elif not source.is_dir():
        raise InputError(f"{source}: not a folder or a zip file")
    meta_file = next(iter(sorted(source.rglob(METADATA), key=lambda p: len(p.parts))), None)
    if meta_file is not None:
        return _gradescope(meta_file, assignment)
    entries = []
    for item in sorted(source.iterdir()):
        if item.name.startswith("."):
            continue
        if item.is_dir():
            entries.append(_folder_entry(item.name, item, assignment))
        elif item.suffix.lower() in SUFFIXES:
            entries.append(Entry(item.name, item))
    if not entries:
        raise InputError(f"{source}: no .py or .ipynb submissions found")
    return entries


def _gradescope(meta_file: Path, assignment: str) -> list[Entry]:
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(f"{meta_file}: unreadable ({str(e).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise InputError(f"{meta_file}: expected a mapping of submissions")
    entries = []
    for key in sorted(meta, key=str):
        info = meta[key] if isinstance(meta[key], dict) else {}
        students = [Student(str(s.get(":name", "") or ""), str(s.get(":sid", "") or ""), str(s.get(":email", "") or ""))
                    for s in info.get(":submitters", []) or [] if isinstance(s, dict)]
        folder = meta_file.parent / str(key)
        entry = _folder_entry(str(key), folder, assignment) if folder.is_dir() else Entry(
            str(key), None, problem="no files in the export for this submission")
        entry.students = students
        entries.append(entry)
    return entries


def _folder_entry(key: str, folder: Path, assignment: str) -> Entry:
    """Pick the submission file in a student's folder: the assignment's .py, then its .ipynb, then any."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                   and not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(folder).parts))
    if not files:
        return Entry(key, None, problem="no .py or .ipynb file in the submission")
    named = re.compile(rf"(^|[^a-z0-9]){re.escape(assignment.lower())}([^a-z0-9]|$)")
    ranked = sorted(files, key=lambda p: (not named.search(p.stem.lower()), p.suffix.lower() != ".py", len(p.parts), p.name))
    return Entry(key, ranked[0])


def _extract(archive: Path, dest: Path) -> Path:
    """Extract safely: no paths outside `dest`, no links, bounded size and count."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
                raise InputError(f"{archive}: too large to extract safely")
            for m in members:
                parts = PurePosixPath(m.filename.replace("\\", "/")).parts
                if m.is_dir() or not parts or parts[0] == "/" or ".." in parts or (m.external_attr >> 16) & 0o170000 == 0o120000:
                    continue
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(f"{archive}: cannot extract ({e})") from None
    return dest
