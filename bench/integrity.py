"""`autograder integrity` on a generated batch: how long it takes, and whether it finds what was planted.

Generates N A2S1 submissions (the Colab .py export and the notebook, alike): each answers with common
forms and scale factors (so that many share an answer) and adds code of its own, made of random
statements; PLANTED of them are copies of another with names changed and spacing reformatted, and
PLANTED pairs hold the same odd wrong values written differently. The batch is graded with
`autograder batch` (its answers are what the answer check reads), then `autograder integrity` is timed
from the command line, and the in-process phases of the code comparison are timed apart.

Usage: python bench/integrity.py [--n 500] [--jobs 2] [--planted 10]
Target: 500 submissions in seconds (under 10 s for the command).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text(encoding="utf-8")
NOTEBOOK = json.loads((REPO / "assignments" / "A2S1" / "A2S1.ipynb").read_text(encoding="utf-8"))
SLOTS = ["query121 = 1e5 * key[0].unsqueeze(0)", "query122 = 1e5 * key", "query131 = 1e-2 * key.mean(0, keepdim=True)",
         "query132 = 8 * key[:2].mean(0, keepdim=True)", "m_key[2] = (key[0] + key[1]) / 2", "m_key[2] = query132[0]"]
BLANK_SLOT = re.compile(r"^(query1\d\d|m_key\[2\]) =$")
SCALES = ["10", "20", "50", "100", "1000", "1e4", "1e5"]
FORMS = [  # per question: common ways to write a correct answer ({s}: a scale factor)
    ["query121 = {s} * key[0].unsqueeze(0)", "query121 = {s} * key[:1]", "query121 = key[0:1] * {s}",
     "query121 = ({s} * key[0]).reshape(1, 3)"],
    ["query122 = {s} * key", "query122 = key * {s}", "query122 = {s} * key.clone()"],
    ["query131 = torch.zeros(1, 3)", "query131 = 0 * key[:1]", "query131 = 1e-4 * key.mean(0, keepdim=True)"],
    ["query132 = {s} * key[:2].mean(0, keepdim=True)", "query132 = {s} * (key[0] + key[1]).unsqueeze(0) / 2"],
    ["m_key[2] = (key[0] + key[1]) / 2", "m_key[2] = key[:2].mean(0)", "m_key[2] = 0.5 * (key[0] + key[1])"],
    ["m_key[2] = query132[0]", "m_key[2] = query132.squeeze(0)", "m_key[2] = query132.flatten()"],
]
STATEMENTS = [  # code of a student's own ({n}, {m}: names; {a}, {b}: numbers)
    "{n} = torch.softmax({a} * key @ key.T, dim=-1)",
    "print('{n}', {m}.shape, {m}.sum().item() / {b})",
    "for {n} in range({a}, {b}, -1):\n    {m} = attention({n} * key[:1], key, value)\n    print({n}, {m})",
    "{n} = [(key[i] @ key[j]).item() * {b} for i in range({a} % 4) for j in range(4)]",
    "{n} = value[{b} % 4] - attention(key[:1] * {a}, key, value)",
    "if {m}.max() > {a} / {b}:\n    print('{n} is peaked', {m}.argmax())",
    "{n} = torch.linspace(-{b}, {a}, {a} + {b})",
    "def {n}(x, y={a}):\n    z = x * y @ key.T / {b}\n    return torch.softmax(z, dim=-1).max()",
    "{n} = {{'{m}': {a}, 'other': {b}, 'both': {a} * {b}}}",
    "while {n} < {a}:\n    {n} += {b}\n    {m}.append({n} ** 2)",
    "{n} = np.array(key.tolist()) * {a} + {b}",
    "assert torch.allclose({m}, {n} * {b}, atol={a}e-5)",
    "{n} = sorted(range({a}), key=lambda t: (t * {b}) % 7)",
    "{n} = torch.cat([key[{b} % 4:], value[:{a} % 3]]).norm(dim=1)",
    "try:\n    {n} = {m}[{a}]\nexcept IndexError:\n    {n} = {b}",
    "{n}, {m} = torch.topk(attention(key * {a}, key, value).flatten(), {b} % 5 + 1)",
]
WORDS = ["w", "out", "err", "scores", "probs", "tmp", "res", "q", "best", "x", "y", "total", "gap", "attn", "vals",
         "weights", "temp", "result", "my_q", "test", "diff", "loss", "sim", "k2", "v2"]


def own_code(rng: random.Random) -> str:
    names = [f"{rng.choice(WORDS)}{rng.choice(['', '_', '_2', 's'])}{rng.randrange(100)}" for _ in range(6)]
    lines = [rng.choice(STATEMENTS).format(n=rng.choice(names), m=rng.choice(names), a=rng.randrange(2, 999),
                                           b=rng.randrange(1, 99)) for _ in range(rng.randrange(2, 14))]
    return "\n".join(lines) + "\n"


def renamed(code: str, rng: random.Random) -> str:
    """A copy: every name of the student's own changed, spacing around operators changed."""
    for word in sorted(set(re.findall(r"\b[a-z][a-z_0-9]*\d\b", code)), key=len, reverse=True):
        code = re.sub(rf"\b{word}\b", f"my_{word[::-1]}", code)
    return code.replace(" * ", "*").replace(" = ", "  =  ")


def submission(answers: list[str], extra: str, notebook: bool) -> str:
    if not notebook:
        text = SOLUTION
        for old, new in zip(SLOTS, answers):
            text = text.replace(old, new, 1)
        return text + "\n" + extra
    nb = json.loads(json.dumps(NOTEBOOK))
    fill = iter(answers)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = "\n".join(next(fill) if BLANK_SLOT.match(line) else line
                                       for line in "".join(cell["source"]).split("\n"))
    nb["cells"].append({"cell_type": "code", "id": "own-code", "execution_count": None, "metadata": {}, "outputs": [],
                        "source": extra})
    return json.dumps(nb)


def generate(folder: Path, n: int, planted: int, seed: int = 447) -> set[tuple[str, str]]:
    """Write the batch; the planted pairs (file names, sorted)."""
    rng = random.Random(seed)
    students = []
    for _ in range(n):
        answers = [rng.choice(forms).format(s=rng.choice(SCALES)) for forms in FORMS]
        students.append([answers, own_code(rng), rng.random() < 0.3])
    pairs = set()
    for k in range(planted):  # a copy of another, renamed and reformatted
        i, j = 2 * k, 2 * k + 1
        students[j] = [students[i][0], renamed(students[i][1], rng), not students[i][2]]
        pairs.add((i, j))
    for k, odd in enumerate(rng.sample(range(110, 390), planted)):  # the same odd wrong values, written differently
        i, j, odd = n - 2 * k - 1, n - 2 * k - 2, odd / 100
        students[i][0][0] = f"query121 = {odd} * key[0].unsqueeze(0)"
        students[j][0][0] = f"query121 = (key[0] * {odd}).reshape(1, 3)"
        students[i][0][3] = f"query132 = {odd / 2} * key[:2].mean(0, keepdim=True)"
        students[j][0][3] = f"query132 = (key[0] + key[1]).unsqueeze(0) * {odd / 4}"
        pairs.add((j, i))
    names = []
    for i, (answers, extra, notebook) in enumerate(students):
        names.append(f"s{i:04d}_A2S1.{'ipynb' if notebook else 'py'}")
        (folder / names[-1]).write_text(submission(answers, extra, notebook), encoding="utf-8")
    return {tuple(sorted((names[i], names[j]))) for i, j in pairs}


def phases(subs: Path) -> str:
    """The code comparison's phases, timed in this process."""
    from autograder.assignment import load_assignment
    from autograder.integrity.code import CodeIndex
    from autograder.integrity.sources import read_sources, template_cells

    assignment = load_assignment(REPO / "grading_config.yaml", "A2S1")
    start = time.perf_counter()
    template = template_cells([assignment.notebook])
    with tempfile.TemporaryDirectory() as scratch:
        sources = read_sources(subs, "A2S1", Path(scratch), template)
    read = time.perf_counter()
    index = CodeIndex(sources, template)
    printed = time.perf_counter()
    found = index.similar(0.5)
    compared = time.perf_counter()
    return (f"reading {read - start:.2f} s, fingerprints {printed - read:.2f} s, choosing and comparing pairs "
            f"{compared - printed:.2f} s ({len(found)} alike)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--planted", type=int, default=10)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "autograder"]
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        planted = generate(subs, args.n, args.planted)
        subprocess.run([*cli, "batch", str(subs), "-a", "A2S1", "--out", str(out), "--jobs", str(args.jobs)],
                       cwd=REPO, check=True, capture_output=True)
        start = time.perf_counter()
        subprocess.run([*cli, "integrity", str(subs), "-a", "A2S1", "--out", str(out)], cwd=REPO, check=True,
                       capture_output=True)
        took = time.perf_counter() - start
        found = json.loads((out / "integrity.json").read_text(encoding="utf-8"))["pairs"]
        pairs = {tuple(sorted((p["a"]["key"], p["b"]["key"]))) for p in found}
        inside = phases(subs)
    print(f"integrity: {args.n} submissions in {took:.2f} s from the command line (target: under 10 s)")
    print(f"phases:    {inside}")
    print(f"found:     {len(planted & pairs)} of the {len(planted)} planted pairs; {len(pairs - planted)} other "
          f"pair(s) flagged")


if __name__ == "__main__":
    main()
