"""`written.html`: every written answer of a batch on one self-contained page, question by question,
for teaching assistants to read and score."""
from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from autograder.course.load import Submission
from autograder.grading.report import QuestionInfo

_ENV = Environment(loader=PackageLoader("autograder.manual", "templates"), autoescape=select_autoescape(["j2"]))


def written_page(title: str, submissions: list[Submission], questions: list[QuestionInfo],
                 prompts: dict[str, str]) -> str:
    """The page: per written question its prompt, then each submission's text and its score so far."""
    sections = []
    for q in questions:
        answers = []
        for s in submissions:
            found = next((r for r in s.report.questions if r.question.id == q.id), None) if s.report else None
            if found is not None:
                answers.append({"key": s.key, "names": ", ".join(st.name for st in s.students if st.name),
                                "text": found.text, "score": found.ta_score})
        sections.append({"question": q, "prompt": prompts.get(q.id, ""), "answers": answers,
                         "missing": sum(a["text"] is None for a in answers)})
    return _ENV.get_template("written.html.j2").render(title=title, sections=sections)
