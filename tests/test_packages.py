"""An assignment's `packages`: requirements parsed, merged over the defaults, and mapped to import names."""
from __future__ import annotations

from importlib.metadata import packages_distributions

import pytest

from autograder.packages import import_names, installed_providers, merge_packages, parse_requirement

PROVIDED = {"IPython": ["ipython"], "yaml": ["PyYAML"], "_yaml": ["PyYAML"], "PIL": ["Pillow"],
            "matplotlib": ["matplotlib"], "mpl_toolkits": ["matplotlib"], "pylab": ["matplotlib"]}


def test_import_names_come_from_the_distributions_providing_them():
    assert import_names(["ipython"], PROVIDED) == {"IPython"}
    assert import_names(["matplotlib>=3.7", "pillow"], PROVIDED) == {"matplotlib", "mpl_toolkits", "pylab", "PIL"}
    assert import_names(["pyyaml[libyaml]; python_version >= '3.8'"], PROVIDED) == {"yaml", "_yaml"}


def test_a_project_providing_nothing_is_imported_by_its_normalised_name():
    assert import_names(["Scikit-Learn", "d2l==1.0.3"], PROVIDED) == {"scikit_learn", "d2l"}
    assert import_names([], PROVIDED) == frozenset()


def test_import_names_of_what_is_installed_here():
    assert import_names(["ipython", "numpy"], packages_distributions()) == {"IPython", "numpy"}


def test_installed_providers_are_packages_distributions_for_the_projects_named():
    ours = {"matplotlib", "pillow", "ipython", "tqdm"}
    expected = {name: dists for name, dists in packages_distributions().items() if ours & {d.lower() for d in dists}}
    assert installed_providers(["matplotlib", "Pillow", "ipython", "tqdm>=4", "no-such-dist-anywhere"]) == expected


def test_a_later_list_adds_to_an_earlier_one_and_replaces_the_same_project():
    assert merge_packages(["numpy>=1.24", "tqdm"], ["NumPy>=2", "ipython"]) == ("NumPy>=2", "tqdm", "ipython")
    assert merge_packages([], ["pandas"]) == ("pandas",)


def test_a_string_that_is_not_a_requirement_is_a_one_line_error():
    assert str(parse_requirement("ipython[notebook]>=8")) == "ipython[notebook]>=8"
    with pytest.raises(ValueError) as e:
        parse_requirement("numpy is great")
    assert str(e.value).startswith("'numpy is great' is not a pip requirement: ") and "\n" not in str(e.value)
