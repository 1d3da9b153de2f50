"""The packages an assignment lets students import: pip requirements and the import names they provide."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


def parse_requirement(text: str) -> Requirement:
    """`text` as a pip requirement, or a one-line ValueError saying why it is not one."""
    try:
        return Requirement(text)
    except InvalidRequirement as e:
        raise ValueError(f"{text!r} is not a pip requirement: {str(e).splitlines()[0]}") from None


def merge_packages(*lists: Iterable[str]) -> tuple[str, ...]:
    """The requirements of `lists` in order; a later one replaces an earlier one for the same project."""
    by_project = {canonicalize_name(Requirement(text).name): text for texts in lists for text in texts}
    return tuple(by_project.values())


def import_names(requirements: Iterable[str], provided: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The top-level names the projects in `requirements` can be imported by.

    `provided` maps an import name to the distributions providing it, as
    `importlib.metadata.packages_distributions()` does (`IPython` -> `ipython`). A project that
    provides none (not installed) is assumed to be importable by its normalised name
    (`scikit-learn` -> `scikit_learn`).
    """
    by_project: dict[str, set[str]] = {}
    for name, distributions in provided.items():
        for distribution in distributions:
            by_project.setdefault(canonicalize_name(distribution), set()).add(name)
    names: set[str] = set()
    for text in requirements:
        project = canonicalize_name(Requirement(text).name)
        names |= by_project.get(project) or {project.replace("-", "_")}
    return frozenset(names)


def installed_providers(requirements: Iterable[str]) -> dict[str, list[str]]:
    """`importlib.metadata.packages_distributions()` for the installed projects `requirements` name only
    (reading those, not every distribution here): each one's top_level.txt, else its RECORD's modules."""
    provided: dict[str, list[str]] = {}
    for text in requirements:
        try:
            dist = metadata.distribution(Requirement(text).name)
        except metadata.PackageNotFoundError:
            continue
        names = (dist.read_text("top_level.txt") or "").split() or {
            file.parts[0] if len(file.parts) > 1 else file.stem for file in dist.files or () if file.suffix == ".py"}
        for name in names:
            provided.setdefault(name, []).append(dist.metadata["Name"])
    return provided
