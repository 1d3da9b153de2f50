"""integrity.csv (one row per flagged pair, for a spreadsheet) and integrity.json (the same findings for
a program, e.g. the course report). Text cells are made safe as grades.csv's are."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from autograder.batch.sheet import text_cell
from autograder.integrity.findings import Pair, Party, Summary

SCHEMA = 1
HEADER = ["Rank", "Submission A", "Students A", "Submission B", "Students B", "Code similarity A",
          "Code similarity B", "Code overlap", "Shared values", "Values", "Why"]


def to_csv(pairs: list[Pair], threshold: float) -> str:
    """The CSV's text: the header, then the pairs in rank order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for p in pairs:
        code = ([f"{p.code.similarity[0]:.3f}", f"{p.code.similarity[1]:.3f}", str(p.code.overlap)] if p.code
                else ["", "", ""])
        values = "; ".join(f"{v.question} {v.name} = {' '.join(v.value.split())} "
                           f"({'correct' if v.correct else 'wrong'}, held by {v.holders} of {v.answered})"
                           for v in p.values)
        writer.writerow([p.rank, text_cell(p.a.id), text_cell(p.a.names), text_cell(p.b.id), text_cell(p.b.names),
                         *code, len(p.values), text_cell(values), " ".join(p.reasons(threshold))])
    return out.getvalue()


def to_json(summary: Summary, pairs: list[Pair]) -> str:
    """The JSON document (its shape is described in README.md, "Academic integrity")."""
    data = {
        "schema": SCHEMA,
        "assignment": summary.assignment,
        "threshold": summary.threshold,
        "template": summary.template,
        "compared": {"submissions": summary.compared, "earlier": summary.earlier, "answers": summary.answers,
                     "unread": [{"submission": key, "problem": why} for key, why in summary.unread]},
        "pairs": [{
            "rank": p.rank,
            "reasons": p.reasons(summary.threshold),
            "a": _party(p.a),
            "b": _party(p.b),
            "code": None if p.code is None else {"similarity": list(p.code.similarity), "overlap": p.code.overlap},
            "values": [{"question": v.question, "name": v.name, "value": v.value, "holders": v.holders,
                        "answered": v.answered, "correct": v.correct} for v in p.values],
        } for p in pairs],
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _party(party: Party) -> dict[str, object]:
    return {"key": party.key, "term": party.term, "students": [asdict(s) for s in party.students]}
