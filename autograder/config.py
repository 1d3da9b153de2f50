"""Load and validate `grading_config.yaml`.

Every user mistake (unknown key, wrong type, missing file) becomes a one-line
`ConfigError` naming the offending field.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Literal, Optional

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from autograder.packages import parse_requirement

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
# What feedback may show about a question (each level adds to the one before): pass/fail and points;
# what the answer produced and its error; the targets; reference answers. See checks.parts.Reveal.
RevealLevel = Literal["score", "got", "expected", "answer"]
# Weakest to strongest: a separate process; also a separate user; also namespaces (bubblewrap).
Isolation = Literal["process", "user", "namespace"]
ISOLATION_LEVELS: tuple[str, ...] = ("process", "user", "namespace")


def _requirement(text: str) -> str:
    parse_requirement(text)
    return text


# A pip requirement string (`numpy`, `matplotlib>=3.7`), kept as written.
PipRequirement = Annotated[str, AfterValidator(_requirement)]


def _python_names(names: list[str]) -> list[str]:
    """`names`, each checked to be a Python name (a config's answers, inspected and varied names)."""
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not a Python name")
    return names


class ConfigError(Exception):
    """A problem with grading_config.yaml that the instructor must fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Resource limits for one student run."""

    timeout: float = Field(60, gt=0)
    cell_timeout: float = Field(10, gt=0)
    cpu_seconds: int = Field(60, gt=0)
    memory_mb: int = Field(4096, ge=256)
    processes: int = Field(64, ge=1)
    file_size_mb: int = Field(16, ge=1)
    disk_mb: int = Field(512, ge=16)
    output_kb: int = Field(64, ge=1)


class LimitsOverride(_Strict):
    timeout: Optional[float] = Field(None, gt=0)
    cell_timeout: Optional[float] = Field(None, gt=0)
    cpu_seconds: Optional[int] = Field(None, gt=0)
    memory_mb: Optional[int] = Field(None, ge=256)
    processes: Optional[int] = Field(None, ge=1)
    file_size_mb: Optional[int] = Field(None, ge=1)
    disk_mb: Optional[int] = Field(None, ge=16)
    output_kb: Optional[int] = Field(None, ge=1)


class Defaults(_Strict):
    tolerance: float = Field(0.01, gt=0)
    visibility: Visibility = "after_published"
    partial_credit: bool = True
    minimum_isolation: Isolation = "process"
    reveal: RevealLevel = "expected"
    packages: list[PipRequirement] = []
    limits: Limits = Limits()


class FunctionAnswer(_Strict):
    """An answer that is a function the grader calls with inputs chosen by the checks; `timeout`: the
    seconds each call may take (default: `limits.cell_timeout`; a `call(...)` may set its own)."""

    function: str
    timeout: Optional[float] = Field(None, gt=0)


class WrittenAnswer(_Strict):
    """A written answer (a proof, a design): the student's text after the prompt, graded by a person."""

    written: Literal[True]


class QuestionConfig(_Strict):
    """One graded question as written in the config file."""

    id: str
    title: str
    points: float = Field(gt=0)
    prompt: str = Field(min_length=3)
    answer: str | FunctionAnswer | WrittenAnswer
    shapes: Optional[list[list[int]]] = None
    uses: list[str] = []
    inspect: list[str] = []  # variables read beside the answer to explain a failure (never scored)
    tolerance: Optional[float] = Field(None, gt=0)
    visibility: Optional[Visibility] = None
    reveal: Optional[RevealLevel] = None
    partial_credit: Optional[bool] = None

    @field_validator("inspect")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return _python_names(v)

    @field_validator("answer")
    @classmethod
    def _identifier(cls, v: str | FunctionAnswer | WrittenAnswer) -> str | FunctionAnswer | WrittenAnswer:
        if isinstance(v, WrittenAnswer):
            return v
        _python_names([v if isinstance(v, str) else v.function])
        return v


class Variants(_Strict):
    """Fresh instances of the assignment's data, to find answers that only fit the notebook's own
    (a batch runs each submission `count` more times with `names` replaced; never changes a grade)."""

    count: int = Field(1, ge=0, le=5)
    names: list[str] = Field(min_length=1)  # variables replaced after the set-up cell that assigns them

    @field_validator("names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return _python_names(v)


AUTHORING_ONLY = {"notebook", "master", "solutions", "samples"}  # files no grading machine gets


class AssignmentConfig(_Strict):
    """An assignment: only `checks` is needed to grade (`autograder check` needs none of it); the
    rest is for authoring."""

    title: str
    notebook: Optional[Path] = None
    checks: Optional[Path] = None
    master: Optional[Path] = None
    solutions: list[Path] = []
    samples: Optional[Path] = None
    preload: list[str] = []
    tolerance: Optional[float] = Field(None, gt=0)
    visibility: Optional[Visibility] = None
    reveal: Optional[RevealLevel] = None
    partial_credit: Optional[bool] = None
    minimum_isolation: Optional[Isolation] = None
    packages: list[PipRequirement] = []
    limits: LimitsOverride = LimitsOverride()
    variants: Optional[Variants] = None
    questions: list[QuestionConfig] = Field(min_length=1)


class GradingConfig(_Strict):
    defaults: Defaults = Defaults()
    assignments: dict[str, AssignmentConfig] = Field(min_length=1)

    def grading_settings(self, name: str, checks: str | None) -> dict:
        """What grading assignment `name` needs, as plain data: the defaults and its block without the
        authoring files, naming `checks`. A grading bundle's config holds exactly this."""
        block = self.assignments[name].model_dump(mode="json", exclude=AUTHORING_ONLY | {"checks"},
                                                  exclude_defaults=True)
        return {"defaults": self.defaults.model_dump(mode="json"),
                "assignments": {name: {**block, **({"checks": checks} if checks else {})}}}


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _one_line(err: ValidationError, source: Path, raw: dict, tree: yaml.Node | None) -> str:
    """The most useful error, on one line with its line number: a misspelt key is reported as
    unknown (with the close match it was meant to be), not as the required key it hides."""
    errors = err.errors()
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    first = unknown[0] if unknown else errors[0]
    loc = list(first["loc"])
    line = _line_of(tree, loc)
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        missing = [str(e["loc"][-1]) for e in errors
                   if e["type"] == "missing" and list(e["loc"][:-1]) == loc[:-1]]
        close = difflib.get_close_matches(str(loc[-1]), missing, n=1)
        msg = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    # Name questions by their id rather than their list index.
    if len(loc) >= 4 and loc[0] == "assignments" and loc[2] == "questions" and isinstance(loc[3], int):
        try:
            qid = raw["assignments"][loc[1]]["questions"][loc[3]]["id"]
            loc[3] = f"[{qid}]"
        except (KeyError, IndexError, TypeError):
            pass
    where = f"{source}:{line}" if line else f"{source}"
    return f"{where}: {_field_path(tuple(loc))}: {msg}"


def _line_of(node: yaml.Node | None, loc: list) -> int | None:
    """The 1-based line of the YAML node at path `loc` (the deepest one found on the way)."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_config(path: Path | str) -> GradingConfig:
    """Parse and validate the config file; relative paths resolve against its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else f"{path}"
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        config = GradingConfig.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_one_line(e, path, raw, yaml.compose(text, Loader=yaml.SafeLoader))) from None
    _check_semantics(config, path, path.parent)
    return config


def _check_semantics(config: GradingConfig, source: Path, root: Path) -> None:
    for name, a in config.assignments.items():
        where = f"{source}: assignments.{name}"
        # Files generated from the master by `autograder assign` may not exist yet.
        generated = a.master is not None
        # `checks` is looked for when grading needs it: a student's copy of the config has none.
        for field in ("master",) + (() if generated else ("notebook",)):
            p = getattr(a, field)
            if p is not None and not (root / p).is_file():
                raise ConfigError(f"{where}.{field}: file not found: {p}")
        for i, p in enumerate(() if generated else a.solutions):
            if not (root / p).is_file():
                raise ConfigError(f"{where}.solutions[{i}]: file not found: {p}")
        if a.samples is not None and not (root / a.samples).is_dir():
            raise ConfigError(f"{where}.samples: folder not found: {a.samples}")
        ids = [q.id for q in a.questions]
        for q in a.questions:
            if ids.count(q.id) > 1:
                raise ConfigError(f"{where}.questions[{q.id}].id: duplicate id")
            for dep in q.uses:
                if dep not in ids or ids.index(dep) >= ids.index(q.id):
                    raise ConfigError(
                        f"{where}.questions[{q.id}].uses: {dep!r} is not an earlier question"
                    )
