"""Gradescope's `submission_metadata.yml`: each submission's students, read defensively.

The file comes with the input, so it is untrusted: YAML aliases are refused (a "billion laughs"
file cannot expand), its size is bounded, and whatever cannot be read costs only the names it
would have given (a warning says so), never the batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

METADATA = "submission_metadata.yml"
MAX_BYTES = 16 * 1024**2
FIELDS = (":name", ":sid", ":email")


@dataclass(frozen=True)
class Student:
    name: str = ""
    sid: str = ""
    email: str = ""


class _NoAliases(yaml.SafeLoader):
    """A SafeLoader that refuses aliases, so that nothing in the file is expanded."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", self.peek_event().start_mark)
        return super().compose_node(parent, index)  # type: ignore[misc]


def read_metadata(path: Path) -> tuple[dict[str, list[Student]], list[str]]:
    """The students of each submission key, and a warning for everything that could not be read."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}, [f"{path}: larger than {MAX_BYTES // 1024**2} MB; students unknown"]
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoAliases)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as e:
        return {}, [f"{path}: unreadable ({(str(e).splitlines() or [type(e).__name__])[0]}); students unknown"]
    if not isinstance(data, dict):
        return {}, [f"{path}: not a mapping of submissions; students unknown"]
    submissions: dict[str, list[Student]] = {}
    warnings = []
    for key, info in data.items():
        name = str(key)
        students = _students(info)
        if name in submissions:
            warnings.append(f"{path}: {name[:100]!r} is named twice; its second entry is ignored")
        elif students is None:
            warnings.append(f"{path}: {name[:100]!r} is not a mapping with a list of :submitters; students unknown")
            submissions[name] = []
        else:
            submissions[name] = students
    return submissions, warnings


def _students(info: object) -> list[Student] | None:
    """The submitters of one entry, or None if the entry is malformed."""
    if not isinstance(info, dict):
        return None
    submitters = info.get(":submitters") or []
    if not isinstance(submitters, list) or not all(isinstance(s, dict) for s in submitters):
        return None
    values = [[s.get(f) for f in FIELDS] for s in submitters]
    if not all(v is None or isinstance(v, (str, int, float)) for row in values for v in row):
        return None
    return [Student(*("" if v is None else str(v) for v in row)) for row in values]
