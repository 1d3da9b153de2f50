"""grading_config.yaml is validated on load with one-line errors naming the field."""
from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

import pytest
import yaml
from packaging.requirements import Requirement

from autograder.assignment import infer_name, load_assignment
from autograder.config import ConfigError, load_config
from conftest import CONFIG, REPO, config_of


def _variant(tmp_path, mutate) -> str:
    raw = yaml.safe_load(CONFIG.read_text())
    mutate(raw)
    for a in raw["assignments"].values():
        for key in ("notebook", "checks", "master", "samples"):
            if key in a:
                a[key] = str(REPO / a[key])
        a["solutions"] = [str(REPO / s) for s in a.get("solutions", [])]
    path = tmp_path / "grading_config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _error(tmp_path, mutate) -> str:
    with pytest.raises(ConfigError) as e:
        load_config(_variant(tmp_path, mutate))
    message = str(e.value)
    assert "\n" not in message
    return message


def test_repository_config_is_valid(a2s1):
    assert [q.id for q in a2s1.questions] == ["1.2.1", "1.2.2", "1.3.1", "1.3.2", "1.4.1", "1.4.2"]
    assert all(q.tolerance == 0.01 for q in a2s1.questions)


def test_unknown_key_names_the_field(tmp_path):
    msg = _error(tmp_path, lambda r: r["assignments"]["A2S1"]["questions"][0].update(tolerence=0.1))
    assert "assignments.A2S1.questions.[1.2.1].tolerence: unknown key" in msg


def test_wrong_type_names_the_field(tmp_path):
    msg = _error(tmp_path, lambda r: r["defaults"]["limits"].update(timeout="soon"))
    assert "defaults.limits.timeout" in msg


def test_missing_file_names_the_field(tmp_path):
    msg = _error(tmp_path, lambda r: r["assignments"]["A2S1"].update(master="nowhere/master.ipynb"))
    assert "assignments.A2S1.master: file not found:" in msg and msg.endswith("nowhere/master.ipynb")


def test_missing_checks_are_named_when_grading_needs_them(tmp_path):
    path = _variant(tmp_path, lambda r: r["assignments"]["A2S1"].update(checks="nowhere/checks.py"))
    assignment = load_assignment(path, "A2S1")  # a student's copy of the config loads: `check` needs no checks
    with pytest.raises(ConfigError) as e:
        _ = assignment.registry
    assert "assignments.A2S1.checks: file not found: " in str(e.value) and "nowhere/checks.py" in str(e.value)


def test_uses_must_name_an_earlier_question(tmp_path):
    msg = _error(tmp_path, lambda r: r["assignments"]["A2S1"]["questions"][0].update(uses=["1.4.2"]))
    assert "questions[1.2.1].uses" in msg


def test_per_question_settings_override_defaults(tmp_path):
    def mutate(r):
        r["assignments"]["A2S1"]["questions"][1].update(tolerance=0.05, visibility="visible")
        r["assignments"]["A2S1"]["limits"] = {"cell_timeout": 3}
    a = load_assignment(_variant(tmp_path, mutate), "A2S1")
    assert a.questions[1].tolerance == 0.05 and a.questions[1].visibility == "visible"
    assert a.questions[0].tolerance == 0.01
    assert a.limits.cell_timeout == 3 and a.limits.timeout == 60


@pytest.mark.parametrize("name", ["A2S1.py", "A2S1 (2).ipynb", "jdoe_A2S1.py", "a2s1.py"])
def test_assignment_is_inferred_from_the_file_name(name, tmp_path):
    from pathlib import Path
    assert infer_name(load_config(CONFIG), Path(name)) == "A2S1"
    assert infer_name(load_config(CONFIG), Path(name.replace("A2S1", "A2S2").replace("a2s1", "a2s2"))) == "A2S2"


def test_a_name_that_says_no_assignment_needs_one_only_when_there_are_several(tmp_path):
    from pathlib import Path
    with pytest.raises(ConfigError) as e:
        infer_name(load_config(CONFIG), Path("homework.py"))
    assert "pass --assignment (one of A2S1, A2S2)" in str(e.value)
    single = tmp_path / "grading_config.yaml"
    single.write_text(config_of("A2S1").replace("assignments/A2S1/", f"{REPO}/assignments/A2S1/")
                      .replace("solutions/A2S1/", f"{REPO}/solutions/A2S1/"))
    assert infer_name(load_config(single), Path("homework.py")) == "A2S1"


def test_cli_reports_config_errors_without_traceback(tmp_path):
    path = _variant(tmp_path, lambda r: r["defaults"].update(colour="blue"))
    result = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "x.py", "--config", path],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "defaults.colour: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_assignments_packages_add_to_the_defaults(tmp_path):
    def mutate(r):
        r["defaults"]["packages"] = ["numpy>=1.24", "tqdm"]
        r["assignments"]["A2S1"]["packages"] = ["numpy>=2", "ipython"]
    a = load_assignment(_variant(tmp_path, mutate), "A2S1")
    assert a.packages == ("numpy>=2", "tqdm", "ipython")
    assert a.package_imports == {"numpy", "tqdm", "IPython"}


def test_a_package_that_is_not_a_requirement_names_the_field(tmp_path):
    msg = _error(tmp_path, lambda r: r["assignments"]["A2S1"].update(packages=["numpy", "matplotlib >> 3"]))
    assert "assignments.A2S1.packages.1: Value error, 'matplotlib >> 3' is not a pip requirement" in msg
    assert "defaults.packages.0" in _error(tmp_path, lambda r: r["defaults"].update(packages=["-r extra.txt"]))


def test_a2s1_lets_students_import_the_deep_learning_course_packages(a2s1):
    assert a2s1.packages == ("matplotlib", "numpy", "pandas", "tqdm", "ipython")
    assert {"matplotlib", "numpy", "pandas", "tqdm", "IPython"} <= a2s1.package_imports
    assert not {"torch", "d2l"} & a2s1.package_imports


def test_every_assignments_packages_are_installed_here():
    """The README's set-up (requirements-dev.txt) installs what grading_config.yaml lists: they cannot drift."""
    unmet = []
    for name in load_config(CONFIG).assignments:
        for text in load_assignment(CONFIG, name).packages:
            req = Requirement(text)
            try:
                installed = version(req.name)
            except PackageNotFoundError:
                installed = None
            if installed is None or not req.specifier.contains(installed, prereleases=True):
                unmet.append(f"{name}: {text} (installed: {installed})")
    assert unmet == [], "add them to requirements-dev.txt"


def test_a_misspelt_required_key_is_unknown_with_its_line_and_the_key_meant(tmp_path):
    text = CONFIG.read_text().replace("        prompt: Define a query matrix", "        promt: Define a query matrix")
    path = tmp_path / "grading_config.yaml"
    path.write_text(text.replace("checks: assignments", f"checks: {REPO}/assignments"))
    line = text.splitlines().index(next(t for t in text.splitlines() if t.startswith("        promt:"))) + 1
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == f"{path}:{line}: assignments.A2S1.questions.[1.2.2].promt: unknown key (did you mean 'prompt'?)"


def test_a_yaml_syntax_error_carries_its_line(tmp_path):
    path = tmp_path / "grading_config.yaml"
    path.write_text("defaults:\n  tolerance: 0.01\nassignments:\n  A2S1: [unclosed\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value).startswith(f"{path}:5: not valid YAML:") and "\n" not in str(e.value)
