"""Find the submissions in a folder or in a Gradescope "Export Submissions" zip."""
from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.batch.metadata import METADATA, Student, read_metadata
from autograder.batch.names import is_component, safe_name
from autograder.batch.pick import SUFFIXES, nothing_to_grade, pick_submission

MAX_UNZIPPED = 2 * 1024**3
MAX_MEMBERS = 100_000


class InputError(Exception):
    """The batch input itself is unusable (a message for the instructor)."""


@dataclass
class Entry:
    """One submission to grade. `key` is a plain folder name, unique in the batch (see `names`): its
    results go to OUTDIR/<key>/. `path` is None if there is no file; a `refused` entry is neither
    graded nor written, and `problem` says why."""

    key: str
    path: Path | None
    students: list[Student] = field(default_factory=list)
    problem: str = ""
    refused: bool = False


@dataclass
class Found:
    """The submissions found, and a warning for each part of the input that could not be read."""

    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)


def discover(source: Path, assignment: str, scratch: Path) -> Found:
    """Entries for every submission in `source` (a folder or a zip, extracted under `scratch`)."""
    if source.is_file() and zipfile.is_zipfile(source):
        source = _extract(source, scratch / "input")
    elif not source.is_dir():
        raise InputError(f"{source}: not a folder or a zip file")
    meta_file = next(iter(sorted(source.rglob(METADATA), key=lambda p: len(p.parts))), None)
    if meta_file is not None:
        return _gradescope(meta_file, assignment)
    entries = _listing(source, assignment)
    if not entries:
        raise InputError(f"{source}: no .py or .ipynb submissions found")
    return Found(entries)


def _listing(folder: Path, assignment: str, skip: frozenset[str] = frozenset()) -> list[Entry]:
    """An entry for each submission file and each submission folder in `folder`."""
    entries = []
    for item in sorted(folder.iterdir()):
        if item.name.startswith(".") or item.name in skip:
            continue
        if item.is_dir():
            entries.append(_folder_entry(item.name, item, assignment))
        elif item.suffix.lower() in SUFFIXES:
            entries.append(Entry(safe_name(item.name), item))
    return entries


def _gradescope(meta_file: Path, assignment: str) -> Found:
    """Entries named by the metadata, with their students; then any folder it does not name."""
    root = meta_file.parent
    submissions, warnings = read_metadata(meta_file)
    entries = []
    for name, students in sorted(submissions.items()):
        folder = root / name
        if not is_component(name):
            entry = Entry(safe_name(name), None, problem=f"refused: {name[:100]!r} in {METADATA} is not the name "
                          "of a folder of the export", refused=True)
        elif folder.is_dir():
            entry = _folder_entry(name, folder, assignment)
        else:
            entry = Entry(safe_name(name), None, problem="no files in the export for this submission")
        entry.students = students
        entries.append(entry)
    return Found(entries + _listing(root, assignment, skip=frozenset(submissions)), warnings)


def _folder_entry(name: str, folder: Path, assignment: str) -> Entry:
    """A student's folder: the file `pick_submission` chooses, or none and what the folder holds."""
    path = pick_submission(folder, assignment)
    return Entry(safe_name(name), path, problem="" if path else nothing_to_grade(folder))


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
