"""Shipping without Docker: the solution-free bundle, autograder.zip, pinned requirements, `batch --docker`'s
command line (a stand-in `docker` on PATH) and the one-line errors."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from autograder.assignment import load_assignment
from autograder.config import load_config
from autograder.ship.bundle import write_bundle
from autograder.ship import ShipError
from autograder.ship.requirements import main as requirements_main
from autograder.ship.requirements import pinned_requirements
from conftest import CONFIG, REPO

TEMPLATES = REPO / "autograder" / "ship" / "templates"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=REPO,
                          env=env)


def fake_wheel(folder: Path, *requires: str, requires_python: str = ">=3.10") -> Path:
    """A wheel with only METADATA: what requirements are read from."""
    path = folder / "autograder-0.1.0-py3-none-any.whl"
    lines = ["Metadata-Version: 2.1", "Name: autograder", "Version: 0.1.0", f"Requires-Python: {requires_python}",
             *(f"Requires-Dist: {r}" for r in requires)]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("autograder-0.1.0.dist-info/METADATA", "\n".join(lines) + "\n")
    return path


def test_bundle_is_the_assignment_without_authoring_files(a2s1, tmp_path):
    write_bundle(a2s1, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "assignments/A2S1/checks.py", "grading_config.yaml"]
    assert (tmp_path / "assignments/A2S1/checks.py").read_bytes() == a2s1.checks_path.read_bytes()
    block = load_config(tmp_path / "grading_config.yaml").assignments["A2S1"]
    assert (block.notebook, block.master, block.solutions, block.samples) == (None, None, [], None)
    raw = yaml.safe_load((tmp_path / "grading_config.yaml").read_text())
    assert list(raw["assignments"]) == ["A2S1"] and not {"notebook", "master", "solutions", "samples"} & set(
        raw["assignments"]["A2S1"])
    bundled = load_assignment(tmp_path / "grading_config.yaml", None)
    assert bundled.questions == a2s1.questions and bundled.limits == a2s1.limits
    assert bundled.preload == a2s1.preload and bundled.packages == a2s1.packages
    assert bundled.registry.checks.keys() == a2s1.registry.checks.keys()


def test_bundle_grades_like_the_repository(a2s1, tmp_path):
    write_bundle(a2s1, tmp_path / "bundle")
    out = tmp_path / "results.json"
    result = cli("grade", str(a2s1.solutions[1]), "--config", str(tmp_path / "bundle" / "grading_config.yaml"),
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["score"] == sum(q.points for q in a2s1.questions)


def test_requirements_pin_installed_versions(tmp_path):
    wheel = fake_wheel(tmp_path, "torch>=2.1", "click>=8.1", "numpy>=1.24", 'tomli>=1; python_version < "3.0"',
                       'pytest>=7; extra == "dev"')
    lines = pinned_requirements(wheel)
    torch = version("torch").split("+")[0]
    assert lines[:2] == [f"torch=={torch}", f"click=={version('click')}"]
    assert 'tomli>=1; python_version < "3.0"' in lines and not any("pytest" in line for line in lines)
    numpy = [line for line in lines if line.startswith("numpy")]
    if sys.version_info >= (3, 11) and Version(version("numpy")) >= Version("2.3"):  # 2.3+ needs Python 3.11
        assert numpy == [f'numpy=={version("numpy")}; python_version >= "3.11"', 'numpy>=1.24; python_version < "3.11"']
    else:
        assert numpy == [f"numpy=={version('numpy')}"]


def test_requirements_include_the_extras_asked_for(tmp_path):
    wheel = fake_wheel(tmp_path, "click>=8.1", 'ray>=2.40; extra == "ray"', 'pytest>=7; extra == "dev"')
    assert pinned_requirements(wheel, extras=["ray"]) == [f"click=={version('click')}", f"ray=={version('ray')}"]


def test_requirements_pin_the_assignments_packages_once_each(a2s1, tmp_path):
    wheel = fake_wheel(tmp_path, "click>=8.1", "numpy>=1.24")
    lines = pinned_requirements(wheel, [replace(a2s1, packages=("numpy>=2", "tqdm", "ipython", "CLICK[colour]"))])
    assert lines[0] == f"click[colour]=={version('click')}" and f"tqdm=={version('tqdm')}" in lines
    numpy, ipython = ([line for line in lines if line.startswith(name)] for name in ("numpy", "ipython"))
    if sys.version_info >= (3, 11) and Version(version("numpy")) >= Version("2.3"):  # both need Python 3.11
        assert numpy == [f'numpy=={version("numpy")}; python_version >= "3.11"',
                         'numpy>=1.24,>=2; python_version < "3.11"']
    else:
        assert numpy == [f"numpy=={version('numpy')}"]
    if sys.version_info >= (3, 11) and Version(version("ipython")) >= Version("9"):
        assert ipython == [f'ipython=={version("ipython")}; python_version >= "3.11"',
                           'ipython; python_version < "3.11"']
    else:
        assert ipython == [f"ipython=={version('ipython')}"]
    assert len(lines) == 2 + len(numpy) + len(ipython)


def test_requirements_name_a_missing_package_and_its_assignment(a2s1, tmp_path):
    with pytest.raises(ShipError) as e:
        pinned_requirements(fake_wheel(tmp_path), [replace(a2s1, packages=("no-such-dist-anywhere",))])
    assert str(e.value) == "no-such-dist-anywhere, a package of assignment A2S1, is not installed here: cannot pin it"


def test_wheelhouse_requirements_cover_every_assignment(tmp_path):
    """`.ci/wheelhouse` writes these for the image, which serves every assignment in the config."""
    raw = yaml.safe_load(CONFIG.read_text())
    a2s1 = raw["assignments"]["A2S1"]
    a2s1.update({key: str(REPO / a2s1[key]) for key in ("notebook", "checks", "master", "samples")},
                solutions=[str(REPO / s) for s in a2s1["solutions"]])
    raw["assignments"] = {"A2S1": a2s1, "B1": {**a2s1, "packages": ["pillow"]}}
    (tmp_path / "grading_config.yaml").write_text(yaml.safe_dump(raw))
    result = subprocess.run([sys.executable, "-m", "autograder.ship.requirements", str(fake_wheel(tmp_path, "click")),
                             str(tmp_path / "grading_config.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    names = [Requirement(line).name for line in result.stdout.splitlines()]
    assert set(names) == {"click", "pillow", *a2s1["packages"]}


def test_wheelhouse_requirements_errors_are_one_line(tmp_path, capsys):
    assert requirements_main([str(fake_wheel(tmp_path)), str(tmp_path / "nowhere.yaml")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nowhere.yaml'}: file not found\n"


def test_requirements_name_a_missing_dependency(tmp_path):
    result = cli("gradescope-zip", "-a", "A2S1", "--out", str(tmp_path / "a.zip"),
                 "--wheel", str(fake_wheel(tmp_path, "no-such-dist-anywhere>=1")))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no-such-dist-anywhere, a dependency of autograder, is not installed here" in result.stderr


def test_gradescope_zip_has_scripts_requirements_wheel_and_bundle_only(tmp_path):
    wheel = fake_wheel(tmp_path, "click>=8.1")
    out = tmp_path / "autograder.zip"
    result = cli("gradescope-zip", "-a", "A2S1", "--out", str(out), "--wheel", str(wheel))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["assignments/A2S1/checks.py", wheel.name, "grading_config.yaml",
                                        "requirements.txt", "run_autograder", "setup.sh"]
        for script in ("setup.sh", "run_autograder"):
            assert z.getinfo(script).external_attr >> 16 == stat.S_IFREG | 0o755
            assert z.read(script) == (TEMPLATES / script).read_bytes()
        requirements = [line for line in z.read("requirements.txt").decode().splitlines() if not line.startswith("#")]
    assert requirements[:2] == ["--extra-index-url https://download.pytorch.org/whl/cpu", f"click=={version('click')}"]
    assert {Requirement(line).name for line in requirements[2:]} == {"matplotlib", "numpy", "pandas", "tqdm", "ipython"}
    assert f"tqdm=={version('tqdm')}" in requirements


def test_gradescope_zip_rejects_a_file_that_is_not_a_wheel(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hi")
    result = cli("gradescope-zip", "-a", "A2S1", "--wheel", str(notes), "--out", str(tmp_path / "a.zip"))
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        f"Error: {notes}: not an autograder wheel (autograder-*.whl)"]


@pytest.fixture
def fake_docker(tmp_path) -> tuple[dict, Path]:
    """A `docker` on PATH that answers `info` and records the arguments of `run`."""
    bin_dir, log = tmp_path / "bin", tmp_path / "docker-args.json"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(f"""#!{sys.executable}
import json, sys
if sys.argv[1] == "info":
    print(json.dumps({{"SecurityOptions": ["name=seccomp,profile=default"]}}))
else:
    json.dump(sys.argv[1:], open({str(log)!r}, "w"))
""")
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def test_batch_docker_runs_one_offline_container_with_readonly_input(fake_docker, tmp_path):
    env, log = fake_docker
    source, out = REPO / "assignments" / "A2S1" / "samples", tmp_path / "out"
    result = cli("batch", str(source), "-a", "A2S1", "--out", str(out), "--docker", "autograder:test", "-j", "2",
                 env=env)
    assert result.returncode == 0, result.stderr
    args = json.loads(log.read_text())
    assert args[0] == "run" and "--rm" in args and args[args.index("--network") + 1] == "none"
    mounts = [args[i + 1] for i, a in enumerate(args) if a == "-v"]
    assert mounts == [f"{source}:{source}:ro", f"{out}:{out}"]
    assert f"AUTOGRADER_OWNER={os.getuid()}:{os.getgid()}" in args
    image = args.index("autograder:test")
    assert args[image + 1:image + 3] == ["sh", "-c"] and "chown -R" in args[image + 3]
    assert args[image + 5:] == [str(source), "--out", str(out), "--assignment", "A2S1", "--jobs", "2"]


def test_batch_docker_errors_are_one_line(fake_docker, tmp_path):
    env, _ = fake_docker
    source = str(REPO / "assignments" / "A2S1" / "samples")
    no_docker = cli("batch", source, "--out", str(tmp_path / "o"), "--docker", "x",
                    env={**os.environ, "PATH": str(tmp_path / "empty")})
    assert no_docker.returncode == 1 and no_docker.stderr == "Error: docker is not installed (needed by --docker)\n"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "thesis.tex").write_text("")
    not_empty = cli("batch", source, "--out", str(tmp_path / "full"), "--docker", "x", env=env)
    assert not_empty.returncode == 1 and "not empty and not a previous batch's output" in not_empty.stderr
    system = cli("batch", source, "--out", "/usr/out", "--docker", "x", env=env)
    assert system.returncode == 1 and "cannot be mounted at the same place" in system.stderr
    with_config = cli("batch", source, "--out", str(tmp_path / "o"), "--docker", "x", "--config", "c.yaml", env=env)
    assert with_config.returncode == 2 and "--config cannot be used with --docker" in with_config.stderr
    assert all("Traceback" not in r.stderr for r in (no_docker, not_empty, system, with_config))


def test_grading_installs_leave_otter_grader_out():
    """otter-grader is for authoring (`pip install autograder[author]`): the image's and the zip's
    requirements come from the runtime dependencies, which do not name it."""
    from importlib.metadata import requires

    runtime = [Requirement(r) for r in requires("autograder") or []]
    runtime = [r for r in runtime if not (r.marker and "extra" in str(r.marker))]
    assert runtime and "otter-grader" not in {r.name for r in runtime}
    authoring = [Requirement(r) for r in requires("autograder") or [] if 'extra == "author"' in r]
    assert [r.name for r in authoring] == ["otter-grader"]


def test_every_data_file_of_the_package_ships_in_its_wheel():
    """Templates and schemas are package data: a wheel without them breaks the image and the zip."""
    import fnmatch
    import tomllib

    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["autograder"]
    package = REPO / "autograder"
    data = [p.relative_to(package).as_posix() for p in package.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data and [f for f in data if not any(fnmatch.fnmatch(f, g) for g in globs)] == []
