"""Feedback as HTML: one self-contained page per submission (`feedback.html`), and each question's
part of it as the fragment Gradescope shows as that test's output.

Everything a report holds may come from the student (their code's output and error messages, file
names, answers): it is cleaned of control characters and escaped (Jinja's autoescape). The page
runs no script and loads nothing: its style is inline and its pictures are data URIs. A fragment
uses only markup Gradescope's sanitiser keeps (no style, no classes: those are added on the page).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup, escape

from autograder import __version__
from autograder.checks.compare import fmt
from autograder.checks.parts import Numbers, Part, PartKind, Reveal
from autograder.grading.report import AnswerRecord, CallRecord, GradeReport, QuestionResult, Severity
from autograder.results.atomic import write_atomic
from autograder.results.figures import heatmap_uri
from autograder.results.text import printable

FEEDBACK = "feedback.html"
MAX_NUMBERS = 300  # characters of one array written out
MAX_CALLS = 10  # calls of a function answer listed
STATUS_MEANING = {  # report.status(), in a student's words
    "graded": "every statement of your file ran",
    "partial": "some statements raised an error or could not run; each question was graded as its cell left it",
    "timed out": "your code hit a time limit; each question was graded as its cell left it",
}
_CODE = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class Row:
    """One checked part as a row of the parts table (`note`: an explanation, not graded)."""

    passed: bool
    what: str
    expected: str = ""
    got: str = ""
    error: str = ""
    weight: str = ""
    note: bool = False


@dataclass(frozen=True)
class Picture:
    title: str
    uri: Markup  # a PNG data URI: base64 has nothing to escape (and escaping 20 KB is not free)


@dataclass(frozen=True)
class QuestionView:
    """A question as the templates show it: every text cleaned, every number written out."""

    anchor: str
    name: str
    score: str
    points: str
    verdict: str  # passed, partial, failed, or pending (a written answer a person has not graded yet)
    problems: list[tuple[str, str]]  # (Warning or Error, text): how obtaining the answer went wrong
    fixes: list[str]  # what to do about the failed parts (their hints)
    first_step: str  # what to look at first in a question short of its points: a problem, a fix, a failed part
    rows: list[Row]
    values: bool  # the table has the expected, got and error columns (a value part shows one of them)
    pictures: list[Picture]
    answer: str  # the answer's value ("" when it has none: a public check says why)
    text: str | None  # a written answer
    calls: list[str]
    info: list[str]  # where the answer was read


def verdict(result: QuestionResult) -> str:
    """passed, partial, failed, or pending (a written answer no person has scored yet: not a failure)."""
    if result.question.written and result.ta_score is None:
        return "pending"
    return "passed" if result.passed else "partial" if result.score > 0 else "failed"


def question_view(result: QuestionResult, images: bool = True) -> QuestionView:
    """What to show of one question (`images`: with its heatmaps drawn)."""
    q = result.question
    failed = [p for p in result.parts if p.graded and not p.passed]
    failed.sort(key=lambda p: not p.required)  # a failed required part costs the whole question: first
    pictures = [Picture(clean(f.title), Markup(uri)) for f in result.figures if images and (uri := heatmap_uri(f))]
    calls = result.calls if result.calls is not None and q.reveal.allows(Reveal.GOT) else []
    problems = [(m.severity.value.capitalize(), clean(m.text)) for m in result.messages + result.causes
                if m.severity != Severity.INFO]
    fixes = list(dict.fromkeys(clean(p.hint) for p in failed if p.hint))
    shown = verdict(result)
    first = [] if shown in ("passed", "pending") else [t for _, t in problems] + fixes + [clean(p.what) for p in failed]
    return QuestionView(
        anchor="q-" + re.sub(r"[^A-Za-z0-9_.-]", "-", q.id), name=clean(q.name), score=f"{result.score:g}",
        points=f"{q.points:g}", verdict=shown, problems=problems, fixes=fixes, first_step=next(iter(first), ""),
        rows=[_row(p) for p in result.parts],
        values=any(p.kind == PartKind.VALUE and (p.got is not None or p.expected is not None) for p in result.parts),
        pictures=pictures,
        answer=_answer(result.answer) if result.answer and result.answer.problem is None else "",
        text=None if result.text is None else clean(result.text),
        calls=[_call(i, c) for i, c in enumerate(calls[:MAX_CALLS], 1)]
        + ([f"… {len(calls) - MAX_CALLS} more calls"] if len(calls) > MAX_CALLS else []),
        info=[clean(m.text) for m in result.messages + result.causes if m.severity == Severity.INFO])


def _row(part: Part) -> Row:
    if part.kind == PartKind.NOTE:
        return Row(True, clean(part.what), note=True)
    weight = "required" if part.required else f"{part.weight:g}"
    if part.kind != PartKind.VALUE:
        return Row(part.passed, clean(part.what), weight=weight)
    if part.error is not None:
        at = f" at {part.at}" if part.at else ""
        error = f"{part.error:.4g}{at} {'within' if part.passed else 'exceeds'} tolerance {part.tolerance:g}"
    else:  # the shapes differ, or the values are not shown
        error = "wrong shape" if part.got is not None else ""
    return Row(part.passed, clean(part.what), _numbers(part.expected, "not shown"), _numbers(part.got, "not shown"),
               error, weight)


def _numbers(data: Numbers | None, missing: str) -> str:
    if data is None:
        return missing
    text = fmt(data)
    return text if len(text) <= MAX_NUMBERS else text[:MAX_NUMBERS] + "…"


def _answer(record: AnswerRecord) -> str:
    if record.problem is not None:
        return clean(record.problem)
    shape = f"{record.dtype} of shape {tuple(record.shape or [])}"
    return f"`{clean(record.name)}` = {clean(shape)}: `{_numbers(record.data, 'too many numbers to show')}`"


def _call(index: int, call: CallRecord) -> str:
    if call.error is not None:
        return f"call {index} raised {clean(call.error)}"
    return f"call {index} returned {', '.join(map(_answer, call.outputs)) or 'nothing'}"


def clean(text: str) -> str:
    """Untrusted text without control characters or terminal escapes (newlines kept); escaped later.
    A character UTF-8 cannot encode (a lone surrogate) becomes `?`, as in the rest of results.json."""
    return printable(text.encode("utf-8", errors="replace").decode("utf-8"), newlines=True)


def code(text: str) -> Markup:
    """`text` escaped, with its `backticked` spans as <code>."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))


QUESTION = """\
{% for kind, text in q.problems %}
<p{{ cls(kind|lower) }}><b>{{ "⚠" if kind == "Warning" else "✗" }} {{ kind }}:</b> {{ text|code }}</p>
{% endfor %}
{% if q.fixes %}
<div{{ cls("fix") }}><p><b>What to fix</b></p>
<ul>
{% for fix in q.fixes %}
<li>{{ fix|code }}</li>
{% endfor %}
</ul></div>
{% endif %}
{% if q.rows %}
<table border="1" cellpadding="4" cellspacing="0"{{ cls("parts") }}>
<tr><th></th><th>checked</th>{% if q.values %}<th>expected</th><th>got</th><th>max abs error</th>{% endif %}\
<th>weight</th></tr>
{% for r in q.rows %}
{% if r.note %}
<tr{{ cls("note") }}><td></td><td colspan="{{ 5 if q.values else 2 }}"><i>{{ r.what|code }}</i></td></tr>
{% else %}
<tr{{ cls("pass" if r.passed else "fail") }}><td>{{ "✓" if r.passed else "✗" }}</td><td>{{ r.what|code }}</td>\
{% if q.values %}<td>{{ r.expected|numbers }}</td><td>{{ r.got|numbers }}</td><td>{{ r.error }}</td>{% endif %}\
<td>{{ r.weight }}</td></tr>
{% endif %}
{% endfor %}
</table>
{% endif %}
{% for p in q.pictures %}
<p{{ cls("figure") }}><b>{{ p.title|code }}</b><br><img src="{{ p.uri }}" alt="{{ p.title }} as a heatmap"></p>
{% endfor %}
{% if q.answer %}
<p><b>Your answer:</b> {{ q.answer|code }}</p>
{% endif %}
{% if q.text is not none %}
<p><b>Your written answer:</b></p>
<blockquote>{{ q.text|lines }}</blockquote>
{% endif %}
{% if q.calls %}
<p><b>Your function's calls:</b></p>
<ul>
{% for c in q.calls %}
<li>{{ c|code }}</li>
{% endfor %}
</ul>
{% endif %}
{% for text in q.info %}
<p{{ cls("info") }}><small>{{ text|code }}</small></p>
{% endfor %}
"""

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ assignment }} feedback: {{ submission }}</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #f6f7f9;
  margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0; }
h2 { font-size: 1.15rem; margin: 0 0 .6rem; }
code, pre { font: .9em/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
section, header { background: #fff; border: 1px solid #d8dde3; border-radius: 8px; padding: 1rem 1.25rem;
  margin-bottom: 1rem; }
header .file { color: #57606a; margin: .2rem 0 .8rem; }
.total { font-size: 2rem; font-weight: 700; margin: 0; }
.total small { font-size: 1rem; font-weight: 400; color: #57606a; }
.bar { height: .5rem; background: #e5e8eb; border-radius: 4px; overflow: hidden; margin: .4rem 0 .8rem; }
.bar span { display: block; height: 100%; background: #1a7f37; }
.badge { font-size: .85rem; font-weight: 600; padding: .1rem .6rem; border-radius: 1rem; margin-left: .5rem;
  white-space: nowrap; vertical-align: middle; }
.passed .badge, .badge.passed { background: #dafbe1; color: #116329; }
.partial .badge, .badge.partial { background: #fff1c2; color: #7a4e00; }
.failed .badge, .badge.failed { background: #ffe0de; color: #a40e26; }
.pending .badge, .badge.pending { background: #eaeef2; color: #424a53; }
section.passed { border-left: 6px solid #1a7f37; }
section.partial { border-left: 6px solid #d4a72c; }
section.failed { border-left: 6px solid #cf222e; }
section.pending { border-left: 6px solid #8c959f; }
blockquote { margin: .4rem 0; padding: .5rem 1rem; border-left: 4px solid #d8dde3; background: #f6f8fa; }
.problem { border: 2px solid #cf222e; background: #fff5f5; }
.overview table { width: 100%; }
.overview td:first-child { min-width: 16rem; }
.overview td:nth-child(2) { white-space: nowrap; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { border: 1px solid #d8dde3; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f2f4; font-weight: 600; }
tr.pass td:first-child { color: #1a7f37; font-weight: 700; }
tr.fail td:first-child { color: #cf222e; font-weight: 700; }
tr.fail { background: #fff8f7; }
tr.note td { color: #57606a; }
p.warning, p.error { padding: .5rem .75rem; border-radius: 6px; margin: .5rem 0; }
p.warning { background: #fff8c5; border: 1px solid #d4a72c; }
p.error { background: #ffebe9; border: 1px solid #cf222e; }
div.fix { background: #fffbe6; border-left: 4px solid #d4a72c; padding: .25rem 1rem; margin: .6rem 0;
  border-radius: 0 6px 6px 0; }
div.fix p { margin: .4rem 0 0; }
div.fix ul { margin: .3rem 0 .5rem; }
p.figure img { max-width: 100%; margin-top: .3rem; }
p.info { color: #57606a; margin: .2rem 0; }
pre { background: #f6f8fa; border: 1px solid #d8dde3; border-radius: 6px; padding: .75rem; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; max-height: 40rem; }
footer { color: #57606a; font-size: .85rem; text-align: center; }
</style>
</head>
<body>
<main>
<header>
<h1>{{ assignment }} feedback</h1>
<p class="file">{{ submission }}{% if read_as %} · read as {{ read_as }}{% endif %}</p>
<p class="total">{{ score }} <small>/ {{ max_score }} points</small></p>
<div class="bar"><span style="width: {{ percent }}%"></span></div>
<p><b>Status:</b> {{ status }}{% if meaning %}: {{ meaning }}{% endif %}{% if note %} ({{ note|code }}){% endif %}</p>
</header>
{% if failure %}
<section class="problem">
<h2>Problem</h2>
<p>{{ failure|code }}</p>
</section>
{% endif %}
<section class="overview">
<h2>Questions</h2>
<table>
<tr><th>question</th><th>score</th>{% if steps %}<th>what to fix first</th>{% endif %}</tr>
{% for q in questions %}
<tr><td>{% if bodies %}<a href="#{{ q.anchor }}">{{ q.name }}</a>{% else %}{{ q.name }}{% endif %}</td>\
<td><span class="badge {{ q.verdict }}">{{ q.score }} / {{ q.points }} · {{ q.verdict }}</span></td>\
{% if steps %}<td>{{ q.first_step|code }}</td>{% endif %}</tr>
{% endfor %}
</table>
</section>
{% for q in questions if bodies %}
<section class="q {{ q.verdict }}" id="{{ q.anchor }}">
<h2>{{ q.name }} <span class="badge">{{ q.score }} / {{ q.points }} · {{ q.verdict }}</span></h2>
{{ bodies[loop.index0] }}
</section>
{% endfor %}
{% if notes %}
<section>
<h2>Notes from running your file</h2>
<ul>
{% for note in notes %}
<li>{{ note|code }}</li>
{% endfor %}
</ul>
</section>
{% endif %}
{% if output %}
<section>
<h2>What your code printed</h2>
<pre>{{ output }}</pre>
</section>
{% endif %}
<footer>autograder {{ version }} · run in isolation: {{ isolation }} · {{ seconds }} s</footer>
</main>
</body>
</html>
"""

_ENV = Environment(loader=DictLoader({"question.html": QUESTION, "page.html": PAGE}), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, auto_reload=False)
_ENV.filters["code"] = code
_ENV.filters["lines"] = lambda text: escape(text).replace("\n", Markup("<br>\n"))
_ENV.filters["numbers"] = lambda text: Markup("<code>%s</code>") % text if text else ""


def question_html(result: QuestionResult, images: bool = True) -> str:
    """One question's feedback as an HTML fragment Gradescope can show (no style, no classes)."""
    return _body(question_view(result, images), page=False)


def _body(view: QuestionView, page: bool) -> str:
    return _ENV.get_template("question.html").render(q=view, cls=_class if page else _no_class)


def _class(name: str) -> Markup:
    return Markup(' class="%s"') % name


def _no_class(name: str) -> str:
    return ""


def feedback_page(report: GradeReport) -> str:
    """The whole feedback of one submission as a self-contained HTML page."""
    views = [question_view(q) for q in report.questions]
    status, note = report.status()
    troubled = report.format == "unreadable" or report.grader_failed  # the problem is the same for every question
    return _ENV.get_template("page.html").render(
        assignment=clean(report.assignment), submission=clean(report.submission),
        read_as="" if troubled else clean(report.format), score=f"{report.score:g}",
        max_score=f"{report.max_score:g}",
        percent=f"{100 * report.score / report.max_score:.1f}" if report.max_score > 0 else "0",
        status=status, meaning=STATUS_MEANING.get(status, ""), note="" if troubled else clean(note),
        failure=clean(report.failure or ""), questions=views,
        bodies=[] if troubled else [Markup(_body(v, page=True)) for v in views],
        steps=not troubled and any(v.first_step for v in views),
        notes=[clean(n) for n in report.notes], output=clean(report.student_output).rstrip(),
        version=__version__, isolation=clean(report.isolation), seconds=f"{report.execution_time:.2f}")


def write_feedback(report: GradeReport, path: Path) -> None:
    """Write feedback.html atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, feedback_page(report))
