"""`autograder integrity`: compare a batch's submissions (and earlier terms') and write the findings into
OUTDIR as integrity.html, integrity.csv and integrity.json. It reads the batch's reports and never
writes a grade."""
from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.assignment import Assignment
from autograder.course.load import Submission, load_submissions
from autograder.integrity import IntegrityError
from autograder.integrity.answers import shared_values
from autograder.integrity.export import to_csv, to_json
from autograder.integrity.findings import Pair, Party, SharedValue, Summary, ranked
from autograder.integrity.page import render_page
from autograder.integrity.sources import Source, read_sources, template_cells
from autograder.results.atomic import write_atomic

if TYPE_CHECKING:
    from autograder.integrity.code import CodeIndex  # imports copydetect, an optional extra

HTML, CSV, JSON = "integrity.html", "integrity.csv", "integrity.json"


@dataclass(frozen=True)
class Written:
    """What was written and found, for the command's last lines."""

    folder: Path
    pairs: int
    compared: int
    answers: int

    def lines(self) -> list[str]:
        answers = (f"the answers of {self.answers} graded submissions" if self.answers
                   else "no answers (no graded reports in the folder: run `autograder batch` first)")
        return [f"Compared the code of {self.compared} submissions and {answers}: {self.pairs} pair(s) to review",
                *(f"Wrote {self.folder / name}" for name in (HTML, CSV, JSON))]


def check_integrity(source: Path, assignment: Assignment, outdir: Path, earlier: list[Path], threshold: float,
                    boilerplate: list[Path]) -> Written:
    """Compare, rank and write; an IntegrityError for a mistake of the caller (nothing written then)."""
    if importlib.util.find_spec("copydetect") is None:
        raise IntegrityError("code similarity needs copydetect: pip install 'autograder[integrity]'")
    from autograder.integrity.code import CodeIndex

    templates = ([assignment.notebook] if assignment.notebook else []) + boilerplate
    template = template_cells(templates)
    terms = _terms(earlier)
    sources = _read(source, assignment.name, terms, template)
    compared = [s for s in sources if not s.problem]
    graded = load_submissions(outdir) if outdir.is_dir() else []
    found = ranked(_pairs(CodeIndex(compared, template), threshold, shared_values(graded), graded), threshold)
    summary = Summary(assignment.name, threshold, sum(1 for s in compared if not s.party.term),
                      {term: sum(1 for s in compared if s.party.term == term) for term in terms},
                      [p.name for p in templates], [(s.party.id, s.problem) for s in sources if s.problem],
                      sum(1 for g in graded if g.report is not None and g.readable))
    outdir.mkdir(parents=True, exist_ok=True)
    write_atomic(outdir / HTML, render_page(summary, found, {s.party.id: s.code for s in compared}))
    write_atomic(outdir / CSV, to_csv(found, threshold))
    write_atomic(outdir / JSON, to_json(summary, found))
    return Written(outdir, len(found), summary.compared, summary.answers)


def _terms(earlier: list[Path]) -> dict[str, Path]:
    """Each earlier folder under its name (numbered when two share one)."""
    terms: dict[str, Path] = {}
    for folder in earlier:
        name = folder.resolve().name or "earlier"
        terms[name if name not in terms else f"{name} ({len(terms) + 1})"] = folder
    return terms


def _read(source: Path, assignment: str, terms: dict[str, Path], template: list[str]) -> list[Source]:
    """This batch's sources, then each earlier term's."""
    with tempfile.TemporaryDirectory(prefix="autograder-integrity-") as scratch:
        sources = read_sources(source, assignment, Path(scratch) / "batch", template)
        for i, (term, folder) in enumerate(terms.items()):
            sources += read_sources(folder, assignment, Path(scratch) / f"earlier{i}", template, term)
    return sources


def _pairs(index: CodeIndex, threshold: float, values: dict[tuple[str, str], list[SharedValue]],
           graded: list[Submission]) -> list[Pair]:
    """Every pair alike in code or holding unusual values in common, with both its code match and its values."""
    position = {s.party.id: i for i, s in enumerate(index.sources)}
    parties = {g.key: Party(g.key, tuple(g.students)) for g in graded} | {s.party.id: s.party for s in index.sources}
    pairs = {tuple(sorted((index.sources[i].party.id, index.sources[j].party.id))):
             Pair(index.sources[i].party, index.sources[j].party, match)
             for (i, j), match in index.similar(threshold).items()}
    for (a, b), shared in values.items():
        if (a, b) not in pairs:
            code = index.compare(position[a], position[b]) if a in position and b in position else None
            pairs[a, b] = Pair(parties[a], parties[b], code)
        pairs[a, b].values = shared
    return list(pairs.values())
