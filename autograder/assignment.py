"""An assignment as data: its config block resolved against the defaults, and its checks."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from autograder import __version__
from autograder.checks.api import Registry, collect
from autograder.checks.parts import Reveal
from autograder.config import ConfigError, FunctionAnswer, GradingConfig, Limits, Variants, WrittenAnswer, load_config
from autograder.grading.report import QuestionInfo
from autograder.packages import import_names, installed_providers, merge_packages

CONFIG_ENV = "AUTOGRADER_CONFIG"
CONFIG_NAME = "grading_config.yaml"


@dataclass(frozen=True)
class Question:
    """One question with every setting resolved."""

    id: str
    title: str
    points: float
    prompt: str
    answer: str
    is_function: bool
    shapes: list[list[int]] | None
    uses: tuple[str, ...]
    tolerance: float
    visibility: str
    partial_credit: bool
    reveal: Reveal = Reveal.EXPECTED
    inspect: tuple[str, ...] = ()
    is_written: bool = False  # a written answer: graded by a person (see autograder/manual)
    call_timeout: float | None = None  # a function answer's seconds per call (None: limits.cell_timeout)

    @property
    def name(self) -> str:
        return f"{self.id} {self.title}"

    @property
    def info(self) -> QuestionInfo:
        return QuestionInfo(self.id, self.title, self.points, self.visibility, self.reveal, self.is_written)


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    root: Path
    notebook: Path | None
    checks_path: Path | None
    master: Path | None
    solutions: tuple[Path, ...]
    samples: Path | None
    preload: tuple[str, ...]
    limits: Limits
    questions: tuple[Question, ...]
    config_path: Path
    minimum_isolation: str = "process"
    packages: tuple[str, ...] = ()  # pip requirements: what students may import beyond the stdlib and torch
    variants: Variants | None = None

    @cached_property
    def package_imports(self) -> frozenset[str]:
        """The top-level import names `packages` provide here (`ipython` -> `IPython`)."""
        return import_names(self.packages, installed_providers(self.packages))

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever anything that decides a grade changes: grading settings, checks or grader
        version. The same from the course's config as from its grading bundle (image, Gradescope, nodes)."""
        h = hashlib.sha256(f"{__version__}\0{self.name}\0".encode())
        settings = load_config(self.config_path).grading_settings(self.name, "checks")
        h.update(json.dumps(settings, sort_keys=True).encode())
        h.update(self.checks_path.read_bytes() if self.has_checks else b"<no checks>")
        return h.hexdigest()

    @cached_property
    def run_fingerprint(self) -> str:
        """Changes whenever what decides a run of the student's code changes (not the checks, points
        or tolerances): a regrade from stored answers is valid only while it is unchanged."""
        run = {"version": __version__, "name": self.name, "preload": self.preload, "packages": self.packages,
               "limits": self.limits.model_dump(), "isolation": self.minimum_isolation,
               "questions": [(q.id, q.prompt, q.answer, q.is_function, q.inspect, q.call_timeout)
                             for q in self.questions],
               "inputs": {q: repr(f()) for q, f in sorted(self.inputs.items())}}
        return hashlib.sha256(repr(run).encode()).hexdigest()

    @property
    def code_questions(self) -> tuple[Question, ...]:
        """The questions whose answers the student's code gives (not the written ones)."""
        return tuple(q for q in self.questions if not q.is_written)

    @property
    def has_checks(self) -> bool:
        """True if the hidden checks are here (a student's copy of the config has none)."""
        return self.checks_path is not None and self.checks_path.is_file()

    @property
    def inputs(self) -> dict:
        """The functions giving each function answer's argument lists (none without the checks)."""
        return self.registry.inputs if self.has_checks else {}

    def instance(self, seed: int | None = None) -> dict:
        """The checks' data: the notebook's own (`seed` None) or a fresh instance ({} without `@data`)."""
        data = self.registry.data if self.has_checks else None
        return data(seed) if data is not None else {}

    @cached_property
    def registry(self) -> Registry:
        """The checks module's registered checks and inputs (loaded once)."""
        if self.checks_path is None:
            raise ConfigError(f"{self.config_path}: assignments.{self.name}.checks: not set; grading needs the "
                              "hidden checks (`autograder check` runs without them)")
        if not self.checks_path.is_file():
            raise ConfigError(f"{self.config_path}: assignments.{self.name}.checks: file not found: "
                              f"{self.checks_path}; grading needs the hidden checks (`autograder check` runs "
                              "without them)")
        spec = importlib.util.spec_from_file_location(f"autograder_checks_{self.name}", self.checks_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses (and pickling) look their module up by name
        registry = collect(lambda: spec.loader.exec_module(module))  # type: ignore[union-attr]
        missing = [q.id for q in self.questions if q.id not in registry.checks and not q.is_written]
        if self.variants is not None and registry.data is None:
            raise ConfigError(f"{self.checks_path}: `variants` needs a @data function giving fresh instances")
        if missing:
            raise ConfigError(f"{self.checks_path}: no @check for question(s) {', '.join(missing)}")
        return registry


def find_config(explicit: Path | str | None = None) -> Path:
    """The config to use: explicit path, $AUTOGRADER_CONFIG, the nearest grading_config.yaml upwards,
    or the one of the checkout the grader runs from (a course repository installed with `pip install -e`)."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    here = Path.cwd()
    checkout = Path(__file__).resolve().parents[1]  # the folder holding the `autograder` package
    for folder in (here, *here.parents, checkout):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    raise ConfigError(f"no {CONFIG_NAME} here or above {here}, nor in {checkout}; pass --config")


def infer_name(config: GradingConfig, submission: Path | None) -> str:
    """Guess the assignment from a file name like `A2S1.py`, `A2S1 (3).ipynb` or `jdoe_A2S1.py`."""
    names = sorted(config.assignments, key=len, reverse=True)
    if submission is not None:
        stem = submission.name.lower()
        for name in names:
            if re.search(rf"(^|[^a-z0-9]){re.escape(name.lower())}([^a-z0-9]|$)", stem):
                return name
    if len(names) == 1:
        return names[0]
    raise ConfigError("cannot tell the assignment from the file name; pass --assignment "
                      f"(one of {', '.join(sorted(config.assignments))})")


def load_assignment(config_path: Path | str, name: str | None, submission: Path | None = None) -> Assignment:
    """Load the config and resolve assignment `name` (or infer it from the submission's name)."""
    config_path = Path(config_path)
    config = load_config(config_path)
    name = name or infer_name(config, submission)
    if name not in config.assignments:
        raise ConfigError(f"unknown assignment {name!r}; {config_path} defines {', '.join(sorted(config.assignments))}")
    a = config.assignments[name]
    d = config.defaults
    root = config_path.parent.resolve()
    limits = Limits(**{**d.limits.model_dump(), **a.limits.model_dump(exclude_none=True)})
    questions = tuple(
        Question(
            id=q.id, title=q.title, points=q.points, prompt=q.prompt,
            answer=q.answer if isinstance(q.answer, str) else q.answer.function
            if isinstance(q.answer, FunctionAnswer) else "",
            is_function=isinstance(q.answer, FunctionAnswer), is_written=isinstance(q.answer, WrittenAnswer),
            call_timeout=q.answer.timeout if isinstance(q.answer, FunctionAnswer) else None,
            shapes=q.shapes, uses=tuple(q.uses),
            tolerance=q.tolerance or a.tolerance or d.tolerance,
            visibility=q.visibility or a.visibility or d.visibility,
            reveal=Reveal(q.reveal or a.reveal or d.reveal), inspect=tuple(q.inspect),
            partial_credit=next(v for v in (q.partial_credit, a.partial_credit, d.partial_credit) if v is not None),
        )
        for q in a.questions
    )
    return Assignment(
        name=name, title=a.title, root=root, notebook=root / a.notebook if a.notebook else None,
        checks_path=root / a.checks if a.checks else None,
        master=root / a.master if a.master else None, solutions=tuple(root / s for s in a.solutions),
        samples=root / a.samples if a.samples else None, preload=tuple(a.preload), limits=limits,
        questions=questions, config_path=config_path.resolve(),
        minimum_isolation=a.minimum_isolation or d.minimum_isolation,
        packages=merge_packages(d.packages, a.packages), variants=a.variants,
    )
