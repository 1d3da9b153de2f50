"""`autograder integrity`: work copied between students, on a corpus made here from the A2S1 solution.

Planted: a copy reformatted (black-like) and handed in as a notebook instead of a .py; a copy with its
comments and variable names changed; two students holding the same odd wrong values, written
differently; a copy of an earlier term's submission. Honest: students who answer differently and
whose code is alike only where the template is, and two blank notebooks. The planted pairs must be
found above the threshold, the honest ones never; nothing of the batch's grades may change."""
from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from autograder.batch.metadata import Student
from autograder.course.load import Submission
from autograder.grading.report import AnswerRecord, GradeReport, QuestionInfo, QuestionResult
from autograder.integrity import DEFAULT_THRESHOLD
from autograder.integrity.answers import rare_limit, shared_values
from autograder.integrity.code import blank_template_lines, template_lines
from autograder.integrity.findings import CodeMatch, Pair, Party, SharedValue, ranked
from autograder.integrity.page import segments
from autograder.integrity.sources import joined
from conftest import REPO

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text(encoding="utf-8")
NOTEBOOK = json.loads((REPO / "assignments" / "A2S1" / "A2S1.ipynb").read_text(encoding="utf-8"))
SOLUTION_ANSWERS = ["query121 = 1e5 * key[0].unsqueeze(0)", "query122 = 1e5 * key",
                    "query131 = 1e-2 * key.mean(0, keepdim=True)", "query132 = 8 * key[:2].mean(0, keepdim=True)",
                    "m_key[2] = (key[0] + key[1]) / 2", "m_key[2] = query132[0]"]
SLOT = re.compile(r"^(query1\d\d|m_key\[2\]) =$")
HOSTILE_CODE = "print('</pre><script>alert(1)</script>')"
HOSTILE_NAME = "Carol <b>Chen</b>"

ALICE_EXTRA = f'''
def weights_of(q, k=key):
    """The attention weights of query q over the keys k."""
    return torch.softmax(q @ k.T, dim=-1)


def sharpest_scale(direction, scales=(1, 2, 5, 10, 20, 40, 80)):
    """The smallest scale at which a query along `direction` puts almost all its weight on one key."""
    for s in scales:
        w = weights_of(s * direction.reshape(1, -1))
        if w.max() > 0.999:
            return s, w
    return None, None


for i in range(key.shape[0]):
    s, w = sharpest_scale(key[i])
    print(f'key {{i}}: scale {{s}}, weights {{w}}')

gaps = [(key[i] @ key[i] - key[i] @ key[j]).item() for i in range(4) for j in range(4) if i != j]
print('smallest gap between a key and another:', min(gaps))
{HOSTILE_CODE}
'''
CAROL_EXTRA = f'''
def weights_of(q, k=key):
    """The attention weights of query q over the keys k."""
    return torch.softmax(q @ k.T, dim=-1)


def sharpest_scale(
    direction,
    scales=(1, 2, 5, 10, 20, 40, 80),
):
    """The smallest scale at which a query along `direction` puts almost all its weight on one key."""
    for s in scales:
        w = weights_of(
            s * direction.reshape(1, -1),
        )
        if w.max() > 0.999:
            return s, w

    return None, None


for i in range(key.shape[0]):
    s, w = sharpest_scale(key[i])
    print(f"key {{i}}: scale {{s}}, weights {{w}}")

gaps = [
    (key[i] @ key[i] - key[i] @ key[j]).item()
    for i in range(4)
    for j in range(4)
    if i != j
]
print("smallest gap between a key and another:", min(gaps))
{HOSTILE_CODE}
'''
BOB_EXTRA = '''
# How far is each of my answers from its target?
targets = {"1.2.1": value[0], "1.2.2": value, "1.3.1": value.mean(0), "1.3.2": value[:2].mean(0)}
answers = {"1.2.1": query121, "1.2.2": query122, "1.3.1": query131, "1.3.2": query132}
for name in targets:
    out = attention(answers[name], key, value)
    err = (out - targets[name]).abs().max().item()
    status = "ok" if err < 1e-3 else "too far"
    print(f"{name}: error {err:.2e} ({status})")

# the weights of the averaging queries, to see they are flat
for name in ("1.3.1", "1.3.2"):
    weights = torch.softmax(answers[name] @ key.T, dim=-1)
    print(name, weights.round(decimals=3))
'''
DAN_EXTRA = '''
# checking every answer against what it should give
goals = {"1.2.1": value[0], "1.2.2": value, "1.3.1": value.mean(0), "1.3.2": value[:2].mean(0)}
mine = {"1.2.1": query121, "1.2.2": query122, "1.3.1": query131, "1.3.2": query132}
for qid in goals:
    result = attention(mine[qid], key, value)  # what my query gives
    gap = (result - goals[qid]).abs().max().item()
    verdict = "ok" if gap < 1e-3 else "too far"
    print(f"{qid}: error {gap:.2e} ({verdict})")

# are the averaging weights flat?
for qid in ("1.3.1", "1.3.2"):
    w_avg = torch.softmax(mine[qid] @ key.T, dim=-1)
    print(qid, w_avg.round(decimals=3))
'''
KIM_EXTRA = '''
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for ax, (title, q) in zip(axes, [("select key 0", query121), ("average", query131)]):
    ax.bar(range(4), torch.softmax(q @ key.T, dim=-1).flatten().tolist())
    ax.set_title(title)
    ax.set_ylim(0, 1)
plt.tight_layout()
plt.show()
'''
JACK_EXTRA = '''
import matplotlib.pyplot as plt

figure, panels = plt.subplots(1, 2, figsize=(8, 3))
for panel, (label, query) in zip(panels, [("select key 0", query121), ("average", query131)]):
    panel.bar(range(4), torch.softmax(query @ key.T, dim=-1).flatten().tolist())
    panel.set_title(label)
    panel.set_ylim(0, 1)
plt.tight_layout()
plt.show()
'''
GINA_EXTRA = '''
# a sweep of scales for the selection query: the error falls as the scale grows
for scale in [1, 10, 100, 1000]:
    err = (attention(scale * key[:1], key, value) - value[0]).abs().max()
    print(scale, float(err))
'''
HUGO_EXTRA = '''
import numpy as np

cos = (key @ key.T).numpy()
np.set_printoptions(precision=2, suppress=True)
print("cosine similarity of the keys:")
print(cos)
best = np.argsort(-cos, axis=1)[:, 1]
print("closest other key:", best)
'''


def answers(*lines: str) -> list[str]:
    assert len(lines) == 6
    return list(lines)


STUDENTS = {  # folder: (students, A2S1.py or .ipynb, its six answer lines, its own extra code)
    "alice": ([("Alice Archer", "S01", "alice@uni.edu")], ".py", answers(
        "query121 = 40 * key[0:1]", "query122 = 60 * key", "query131 = key.mean(0, keepdim=True) / 50",
        "query132 = 12 * (key[0] + key[1]).unsqueeze(0) / 2", "m_key[2] = key[:2].mean(0)",
        "m_key[2] = query132.squeeze(0)"), ALICE_EXTRA),
    "carol": ([(HOSTILE_NAME, "S03", "carol@uni.edu")], ".ipynb", answers(
        "query121 = 40*key[0 : 1]", "query122 = 60*key", "query131 = key.mean(0, keepdim=True)/50",
        "query132 = 12*(key[0] + key[1]).unsqueeze(0)/2", "m_key[2] = key[:2].mean(0)",
        "m_key[2] = query132.squeeze(0)"), CAROL_EXTRA),
    "bob": ([("Bob Brown", "S02", "bob@uni.edu")], ".ipynb", answers(
        "query121 = key[0].unsqueeze(0) * 25", "query122 = key * 30", "query131 = torch.zeros(1, 3)",
        "query132 = 10 * key[[0, 1]].mean(0, keepdim=True)", "m_key[2] = 0.5 * (key[0] + key[1])",
        "m_key[2] = query132[0].clone()"), BOB_EXTRA),
    "dan": ([("Dan Diaz", "S04", "dan@uni.edu")], ".py", answers(
        "query121 = key[0].unsqueeze(0) * 25", "query122 = key * 30", "query131 = torch.zeros(1, 3)",
        "query132 = 10 * key[[0, 1]].mean(0, keepdim=True)", "m_key[2] = 0.5 * (key[0] + key[1])",
        "m_key[2] = query132[0].clone()"), DAN_EXTRA),
    "erin": ([("Erin Evans", "S05", "erin@uni.edu")], ".py", answers(
        "query121 = 1.75 * key[0].unsqueeze(0)", "query122 = 200 * key", "query131 = 0.001 * key[:1]",
        "query132 = 1.3 * key[:2].mean(0, keepdim=True)", "m_key[2] = key[0] / 2 + key[1] / 2",
        "m_key[2] = query132[0] * 1"), ""),
    "frank": ([("Frank Fisher", "S06", "frank@uni.edu")], ".ipynb", answers(
        "query121 = (key[0] * 1.75).reshape(1, 3)", "query122 = torch.eye(4) @ key * 80",
        "query131 = torch.zeros_like(key[:1])", "query132 = (key[0] + key[1]).unsqueeze(0) * 0.65",
        "m_key[2] = torch.stack([key[0], key[1]]).mean(0)", "m_key[2] = 3 * query132[0]"), ""),
    "gina": ([("Gina Garcia", "S07", "gina@uni.edu")], ".py", answers(
        "query121 = 500 * key[:1]", "query122 = key * 1000", "query131 = key.sum(0, keepdim=True) * 0",
        "query132 = key[0:2].sum(0, keepdim=True) * 6", "m_key[2] = key[0:2].sum(0) / 2",
        "m_key[2] = query132.flatten()"), GINA_EXTRA),
    "hugo": ([], ".ipynb", answers(
        "query121 = key[0][None, :] * 90", "query122 = 45 * key.clone()", "query131 = 1e-4 * key[3:4]",
        "query132 = key[:2].mean(dim=0, keepdim=True) * 15", "m_key[2] = (key[1] + key[0]) * 0.5",
        "m_key[2] = query132.reshape(3)"), HUGO_EXTRA),
    "ivan": ([("Ivan Ivanov", "S09", "ivan@uni.edu")], ".py", answers(
        "query121 = torch.unsqueeze(key[0], 0) * 250", "query122 = key.mul(700)",
        "query131 = torch.full((1, 3), 0.0)", "query132 = torch.mean(key[:2], 0, True).mul(20)",
        "m_key[2] = key[0].add(key[1]).div(2)", "m_key[2] = query132.view(-1)"), ""),
    "jack": ([("Jack Jones", "S10", "jack@uni.edu")], ".py", answers(
        "query121 = 700*key[0:1]", "query122 = 150*key", "query131 = key[:1]*1e-5",
        "query132 = 30*key[:2].mean(0, keepdim=True)", "m_key[2] = key[0:2].mean(0)",
        "m_key[2] = query132[0]/1"), JACK_EXTRA),
    "blank1": ([("Blank One", "S11", "b1@uni.edu")], ".ipynb", None, ""),
    "blank2": ([("Blank Two", "S12", "b2@uni.edu")], ".ipynb", None, ""),
}
EARLIER = {  # an earlier term's plain folder of files
    "kim_A2S1.py": (answers("query121 = 700 * key[0:1]", "query122 = 150 * key", "query131 = key[:1] * 1e-5",
                            "query132 = 30 * key[:2].mean(0, keepdim=True)", "m_key[2] = key[0:2].mean(0)",
                            "m_key[2] = query132[0] / 1"), KIM_EXTRA),
    "lee_A2S1.py": (answers("query121 = 1e4 * key[0].unsqueeze(0)", "query122 = 3e3 * key",
                            "query131 = key[1:2] * 0", "query132 = 40 * key[:2].mean(0, keepdim=True)",
                            "m_key[2] = (key[0] + key[1]) / 2.0", "m_key[2] = query132[0].detach()"), ""),
}
COPIED = {("alice", "carol"), ("bob", "dan"), ("erin", "frank"), ("jack", "fall2025/kim_A2S1.py")}


def as_script(lines: list[str], extra: str) -> str:
    """The Colab .py export of the solution with these answers, and the extra code at its end."""
    text = SOLUTION
    for old, new in zip(SOLUTION_ANSWERS, lines):
        assert old in text
        text = text.replace(old, new, 1)
    return text + extra


def as_notebook(lines: list[str] | None, extra: str) -> str:
    """The student notebook with these answers (None: as handed out), and the extra code as a last cell."""
    notebook = json.loads(json.dumps(NOTEBOOK))
    fill = iter(lines or [])
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and lines is not None:
            source = "".join(cell["source"]).split("\n")
            cell["source"] = "\n".join(next(fill) if SLOT.match(line) else line for line in source)
    if extra:
        notebook["cells"].append({"cell_type": "code", "id": "own-code", "execution_count": None, "metadata": {},
                                  "outputs": [], "source": extra})
    return json.dumps(notebook)


def make_corpus(root: Path) -> tuple[Path, Path]:
    """A Gradescope export of STUDENTS (unzipped) and a folder of an earlier term."""
    export = root / "export"
    for key, (_, suffix, lines, extra) in STUDENTS.items():
        (export / key).mkdir(parents=True)
        text = as_script(lines, extra) if suffix == ".py" else as_notebook(lines, extra)
        (export / key / f"A2S1{suffix}").write_text(text, encoding="utf-8")
    meta = {key: {":submitters": [{":name": n, ":sid": sid, ":email": e} for n, sid, e in people]}
            for key, (people, *_) in STUDENTS.items() if people}
    (export / "submission_metadata.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    earlier = root / "fall2025"
    earlier.mkdir()
    for name, (lines, extra) in EARLIER.items():
        (earlier / name).write_text(as_script(lines, extra), encoding="utf-8")
    return export, earlier


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO)


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The corpus graded by `autograder batch`: (export, earlier term, OUTDIR)."""
    root = tmp_path_factory.mktemp("integrity")
    export, earlier = make_corpus(root)
    out = root / "out"
    done = cli("batch", export, "-a", "A2S1", "--out", out, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    return export, earlier, out


@pytest.fixture(scope="module")
def checked(corpus) -> tuple[Path, dict, subprocess.CompletedProcess, dict[str, str], dict[str, str]]:
    """`autograder integrity` run on the graded corpus: (OUTDIR, integrity.json, the run, the batch's
    files before and after)."""
    export, earlier, out = corpus
    before = digests(out)
    done = cli("integrity", export, "-a", "A2S1", "--out", out, "--earlier", earlier)
    assert done.returncode == 0, done.stderr
    return out, json.loads((out / "integrity.json").read_text(encoding="utf-8")), done, before, digests(out)


def pair_ids(found: dict) -> list[tuple[str, str]]:
    def ident(party: dict) -> str:
        return f"{party['term']}/{party['key']}" if party["term"] else party["key"]
    return [tuple(sorted((ident(p["a"]), ident(p["b"])))) for p in found["pairs"]]


def test_the_corpus_grades_as_planted(corpus):
    _, _, out = corpus
    with (out / "grades.csv").open(encoding="utf-8", newline="") as f:
        totals = {row["Submission"]: float(row["Total Score"]) for row in csv.DictReader(f)}
    honest_or_copied = {"alice", "carol", "bob", "dan", "gina", "hugo", "ivan", "jack"}
    assert {k: totals[k] for k in honest_or_copied} == {k: 6.0 for k in honest_or_copied}
    assert totals["erin"] == totals["frank"] < 6 and totals["blank1"] == totals["blank2"] == 0


def test_the_planted_pairs_are_found_above_the_threshold_and_no_honest_pair(checked):
    _, found, done, _, _ = checked
    assert sorted(pair_ids(found)) == sorted(tuple(sorted(p)) for p in COPIED)
    by_pair = dict(zip(pair_ids(found), found["pairs"]))
    for copy in (("alice", "carol"), ("bob", "dan"), ("fall2025/kim_A2S1.py", "jack")):
        pair = by_pair[tuple(sorted(copy))]
        assert "code" in pair["reasons"] and min(pair["code"]["similarity"]) >= 0.8, pair
    answers = by_pair["erin", "frank"]
    assert answers["reasons"] == ["answers"]
    assert {(v["question"], v["correct"], v["holders"]) for v in answers["values"]} == {
        ("1.2.1", False, 2), ("1.3.2", False, 2)}
    assert [p["rank"] for p in found["pairs"]] == list(range(1, len(COPIED) + 1))
    assert "4 pair(s) to review" in done.stdout


def test_names_come_from_the_metadata_only(checked):
    _, found, _, _, _ = checked
    parties = {p[side]["key"]: p[side] for p in found["pairs"] for side in ("a", "b")}
    assert parties["alice"]["students"] == [{"name": "Alice Archer", "sid": "S01", "email": "alice@uni.edu"}]
    assert parties["kim_A2S1.py"] == {"key": "kim_A2S1.py", "term": "fall2025", "students": []}
    assert found["compared"] == {"submissions": 12, "earlier": {"fall2025": 2}, "answers": 12, "unread": []}
    erin = next(p for p in found["pairs"] if p["a"]["key"] == "erin")
    assert [v["answered"] for v in erin["values"]] == [10, 10]  # the blank notebooks answer none
    assert found["template"] == ["A2S1.ipynb"] and found["threshold"] == DEFAULT_THRESHOLD


def test_integrity_never_changes_a_grade_or_a_file_of_the_batch(checked):
    out, _, _, before, after = checked
    # its own files, and the course report, refreshed to show the pairs (no grade is in it)
    written = {"integrity.html", "integrity.csv", "integrity.json", "report.html"}
    assert set(after) - set(before) <= written
    assert {k: v for k, v in after.items() if k not in written} == {k: v for k, v in before.items() if k not in written}
    assert all(k in after for k in before), "nothing of the batch is removed"


def test_the_csv_has_a_row_per_pair_with_safe_cells(checked):
    out, found, _, _, _ = checked
    with (out / "integrity.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["Rank"] for r in rows] == [str(p["rank"]) for p in found["pairs"]]
    carol = next(r for r in rows if "carol" in (r["Submission A"], r["Submission B"]))
    assert HOSTILE_NAME in (carol["Students A"], carol["Students B"])
    erin = next(r for r in rows if r["Submission A"] == "erin")
    assert erin["Why"] == "answers" and erin["Shared values"] == "2" and erin["Code similarity A"] == "0.000"
    assert "1.2.1 query121 = [[0.8225, 1.1375, 1.05 ]] (wrong, held by 2 of 10)" in erin["Values"]


def test_the_page_opens_cleanly_with_names_keys_and_escaped_code(checked, load, tmp_path):
    out, _, _, _, _ = checked
    seen = load(out / "integrity.html", tmp_path / "integrity.png")
    assert seen.errors == [] and seen.external == [] and seen.broken_images == []
    for text in ("Alice Archer", HOSTILE_NAME, "Dan Diaz", "fall2025/kim_A2S1.py", "jack", "erin", "frank",
                 HOSTILE_CODE, "4 pairs to review"):
        assert text in seen.text, text
    assert "Blank One" not in seen.text and "Gina Garcia" not in seen.text
    page = seen.page
    assert page.eval_on_selector_all("script", "s => s.length") == 0
    assert page.eval_on_selector_all("b", "b => b.length") == 0  # the name's markup is text
    assert page.eval_on_selector_all("#pair-1 mark", "m => m.length") > 0


def test_honest_pairs_stay_apart_at_a_low_threshold_and_near_copies_drop_at_a_high_one(corpus, tmp_path):
    export, _, _ = corpus
    found = {}
    for threshold in ("0.1", "0.995"):
        done = cli("integrity", export, "-a", "A2S1", "--out", tmp_path / threshold, "--threshold", threshold)
        assert done.returncode == 0, done.stderr
        assert "no answers (no graded reports in the folder" in done.stdout
        found[threshold] = pair_ids(json.loads((tmp_path / threshold / "integrity.json").read_text()))
    assert sorted(found["0.1"]) == [("alice", "carol"), ("bob", "dan")]
    assert found["0.995"] == [("bob", "dan")]  # the exact copy (renamed), not the reformatted one


def test_a_gradescope_zip_and_its_folder_give_the_same_pairs(corpus, checked, tmp_path):
    export, earlier, _ = corpus
    archive = Path(shutil.make_archive(str(tmp_path / "export"), "zip", export))
    done = cli("integrity", archive, "-a", "A2S1", "--out", tmp_path / "out", "--earlier", earlier)
    assert done.returncode == 0, done.stderr
    from_zip = json.loads((tmp_path / "out" / "integrity.json").read_text())
    assert pair_ids(from_zip) == [p for p in pair_ids(checked[1]) if p != ("erin", "frank")]  # no reports here


def test_boilerplate_files_are_left_out_like_the_template(corpus, tmp_path):
    export, _, _ = corpus
    handout = tmp_path / "worked_example.py"  # handed out to everyone: not evidence
    handout.write_text(as_script(*STUDENTS["alice"][2:]), encoding="utf-8")
    done = cli("integrity", export, "-a", "A2S1", "--out", tmp_path / "out", "--boilerplate", handout)
    assert done.returncode == 0, done.stderr
    found = json.loads((tmp_path / "out" / "integrity.json").read_text())
    assert pair_ids(found) == [("bob", "dan")]
    assert found["template"] == ["A2S1.ipynb", "worked_example.py"]


@pytest.mark.parametrize("args, message", [
    (["--threshold", "0"], "Invalid value for '--threshold'"),
    (["--earlier", "/nonexistent/term"], "/nonexistent/term: cannot read it"),
    (["--boilerplate", "/nonexistent.py"], "/nonexistent.py: cannot read it"),
])
def test_mistakes_are_one_line_errors(corpus, tmp_path, args, message):
    export, _, _ = corpus
    done = cli("integrity", export, "-a", "A2S1", "--out", tmp_path / "out", *args)
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_input_that_is_not_a_batch_is_a_one_line_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to compare")
    done = cli("integrity", tmp_path, "-a", "A2S1", "--out", tmp_path / "out")
    assert done.returncode == 1 and done.stderr.strip().count("\n") == 0 and "no .py or .ipynb" in done.stderr


def test_without_copydetect_the_command_says_so_in_one_line(corpus, tmp_path):
    export, _, _ = corpus
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.modules["copydetect"] = None  # as if the extra were not installed
        from autograder.cli import main
        main(["integrity", {str(export)!r}, "-a", "A2S1", "--out", {str(tmp_path / "out")!r}])
        """)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: code similarity needs copydetect: pip install 'autograder[integrity]'"
    assert not (tmp_path / "out").exists()


# Units, on data made here (no grading).

Q = QuestionInfo("1", "The answer", 1.0)


def graded(key: str, value: list[float], passed: bool) -> Submission:
    result = QuestionResult(Q, 1.0 if passed else 0.0, answer=AnswerRecord("x", "float32", [len(value)], value))
    return Submission(key, [], GradeReport("T", key, "Python script", [result]))


def test_unusual_values_are_wrong_and_rare_correct_ones_need_a_large_batch():
    odd, common, constant = [37.5, -12.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]
    batch = [graded("a", odd, False), graded("b", [37.50000001, -12.0, 3.0], False),
             graded("c", constant, False), graded("d", constant, False),
             graded("e", common, True), graded("f", common, True), graded("g", [9.0, 8.0, 7.0], True)]
    assert list(shared_values(batch)) == [("a", "b")]  # equal to six digits; constants and small-batch correct
    large = batch + [graded(f"x{i}", [float(i), 1.0, 2.0], True) for i in range(30)]
    found = shared_values(large)
    assert found[("e", "f")][0].correct and found[("e", "f")][0].weight == 0.5
    crowd = large + [graded(f"y{i}", odd, False) for i in range(rare_limit(len(large)))]
    assert ("a", "b") not in shared_values(crowd)  # held by too many to be unusual


def test_ranking_puts_both_reasons_first_then_code_then_values():
    a, b, c, d = (Party(k, (Student("N " + k),)) for k in "abcd")
    wrong = SharedValue("1", "x", "[1, 2]", 2, 10, False)
    pairs = [Pair(a, b, CodeMatch((0.9, 0.9), 100)), Pair(a, c, CodeMatch((0.6, 0.2), 100), [wrong]),
             Pair(b, c, None, [wrong, wrong]), Pair(c, d, CodeMatch((0.4, 0.3), 100))]
    found = ranked(pairs, 0.5)
    assert [(p.a.key, p.b.key, p.rank) for p in found] == [("a", "c", 1), ("a", "b", 2), ("b", "c", 3)]
    assert found[0].reasons(0.5) == ["code", "answers"] and a.names == "N a"


def test_segments_cut_the_code_at_the_matched_spans():
    assert segments("abcdef", ((1, 3), (2, 4), (5, 99))) == [("a", False), ("bc", True), ("d", True),
                                                             ("e", False), ("f", True)]
    assert segments("", ()) == []


def test_template_lines_are_blanked_in_place_and_text_cells_dropped():
    known = template_lines(['m_key = key.clone()\n"""\nx = f(\'a\')'])
    code = 'm_key = key.clone()\n"""\nmine = 1\n    x = f(\'a\')'
    assert blank_template_lines(code, known) == ' ' * 19 + '\n"""\nmine = 1\n' + ' ' * 14  # a lone """ is kept
    assert joined(['"""## 1.2. Selection"""', "x = 1\n", "'''a'''\n'b'", "'s'.upper()"]) == "x = 1\n\n's'.upper()"
