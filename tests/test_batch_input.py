"""Batches of hostile or broken input, end to end through the CLI: unsafe names in Gradescope's
metadata, output folders that lead elsewhere, text made to attack a spreadsheet or a terminal,
flooding, and metadata that cannot be read."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO
from tiny import answer, tiny_config


def batch(source: Path, config: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "batch", str(source), "--config", str(config),
                           "--out", str(out), "--jobs", "2"], capture_output=True, text=True, cwd=REPO)


def rows(out: Path) -> list[dict]:
    with (out / "grades.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))  # the csv module's default field size limit


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if "__pycache__" not in p.parts}


def export(folder: Path, metadata: dict | str, submissions: dict[str, str]) -> Path:
    """A Gradescope export, unzipped: submission_metadata.yml and one folder per submission."""
    folder.mkdir(parents=True)
    text = metadata if isinstance(metadata, str) else yaml.safe_dump(metadata, allow_unicode=True)
    (folder / "submission_metadata.yml").write_text(text, encoding="utf-8")
    for key, code in submissions.items():
        (folder / key).mkdir()
        (folder / key / "T1.py").write_text(code)
    return folder


def students(name: str, sid: str = "1", email: str = "s@uni.edu") -> dict:
    return {":submitters": [{":name": name, ":sid": sid, ":email": email}]}


def test_metadata_keys_never_lead_outside_outdir(tmp_path):
    config = tiny_config(tmp_path / "course")
    out = tmp_path / "work" / "out"
    absolute = str(tmp_path / "work" / "absolute")
    keys = ["../escaped", "../../escaped2", absolute, "a/b", "..", ".", "x\0y", "back\\slash"]
    source = export(tmp_path / "export", {**{k: students(f"Student {i}") for i, k in enumerate(keys)},
                                         "ok\x1b[31m": students("Ok Student")}, {"ok\x1b[31m": answer(42)})
    before = files_under(tmp_path) - files_under(tmp_path / "work")
    result = batch(source, config, out)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path) - files_under(out) - {out} == before | {tmp_path / "work"}
    by_name = {r["Name"]: r for r in rows(out)}
    for i, key in enumerate(keys):
        row = by_name[f"Student {i}"]
        assert row["Status"] == "not graded" and row["Note"].startswith("refused:"), row
        assert row["Total Score"] == ""
    assert by_name["Ok Student"]["Submission"] == "ok%1B[31m" and by_name["Ok Student"]["Total Score"] == "1"
    assert (out / "ok%1B[31m" / "results.json").is_file()
    assert "Refused (unsafe names; see Note in grades.csv)" in result.stdout and "\x1b" not in result.stdout


def test_an_output_folder_that_links_elsewhere_is_refused(tmp_path):
    config, subs, out, elsewhere = tiny_config(tmp_path / "course"), tmp_path / "subs", tmp_path / "out", tmp_path / "x"
    for folder in (subs, out, elsewhere):
        folder.mkdir()
    (subs / "linked_T1.py").write_text(answer(42))
    (subs / "plain_T1.py").write_text(answer(42))
    (out / "linked_T1.py").symlink_to(elsewhere)
    result = batch(subs, config, out)
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []
    by_submission = {r["Submission"]: r for r in rows(out)}
    assert by_submission["linked_T1.py"]["Note"].startswith("refused:")
    assert by_submission["plain_T1.py"]["Total Score"] == "1"


def test_spreadsheet_cells_and_terminal_lines_are_neutralised(tmp_path):
    config, out = tiny_config(tmp_path / "course"), tmp_path / "out"
    flood = "A" * 200_000
    metadata = {
        "submission_1": students('=HYPERLINK("http://evil","click")', "-2+3", "@SUM(A1)"),
        "submission_2": students("Red\x1b[31m Name\r\nInjected,Row", "+1", "bell\x07@uni.edu"),
        "submission_3": students(flood),
        "sub\x1b]0;owned\x07": students("Escaped Folder"),
    }
    source = export(tmp_path / "export", metadata, {key: answer(42) for key in metadata})
    result = batch(source, config, out)
    assert result.returncode == 0, result.stderr
    table = rows(out)
    assert len(table) == 4 and all(r["Total Score"] == "1" and r["Status"] == "graded" for r in table)
    by_sid = {r["SID"]: r for r in table}
    assert by_sid["'-2+3"]["Name"] == "'=HYPERLINK(\"http://evil\",\"click\")" and by_sid["'-2+3"]["Email"] == "'@SUM(A1)"
    assert by_sid["'+1"]["Name"] == "Red NameInjected,Row" and by_sid["'+1"]["Email"] == "bell@uni.edu"
    flooded = next(r for r in table if r["Name"].startswith("AAA"))
    assert flooded["Name"].endswith(f"… ({len(flood) - 1000} more characters)") and len(flooded["Name"]) < 1100
    assert next(r for r in table if r["Name"] == "Escaped Folder")["Submission"] == "sub%1B]0;owned%07"
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr


def test_files_named_with_escape_sequences_or_undecodable_bytes_are_graded(tmp_path):
    config, subs, out = tiny_config(tmp_path / "course"), tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    names = [b"clear\x1b[2J_T1.py", b"title\x1b]0;owned\x07_T1.py", b"csi8\x9b31m_T1.py", b"latin1\xe9_T1.py",
             b"line\nbreak_T1.py"]
    for name in names:
        (subs / os.fsdecode(name)).write_text(answer(42))
    result = batch(subs, config, out)
    assert result.returncode == 0, result.stderr
    table = rows(out)
    assert len(table) == len(names) and all(r["Status"] == "graded" and r["Total Score"] == "1" for r in table), table
    for folder in out.iterdir():
        if folder.is_dir():
            data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
            assert data["score"] == 1
    single = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs / "clear\x1b[2J_T1.py"),
                             "--config", str(config), "--out", str(tmp_path / "r.json")],
                            capture_output=True, text=True, cwd=REPO)
    assert single.returncode == 0 and "\x1b" not in single.stdout and "clear[2J_T1.py" not in single.stdout
    assert "clear_T1.py" in single.stdout


def test_unreadable_metadata_costs_the_names_not_the_batch(tmp_path):
    config, out = tiny_config(tmp_path / "course"), tmp_path / "out"
    laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    source = export(tmp_path / "export", "\n".join(laughs) + "\n", {"submission_1": answer(42),
                                                                     "submission_2": answer(7)})
    result = batch(source, config, out)
    assert result.returncode == 0, result.stderr
    assert "Warning:" in result.stderr and "unreadable (aliases are not allowed); students unknown" in result.stderr
    table = rows(out)
    assert [(r["Name"], r["Submission"], r["Total Score"]) for r in table] == [("", "submission_1", "1"),
                                                                                ("", "submission_2", "0")]
