"""Every example in README.md, docs/ and the module docstrings runs, so the docs cannot rot."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import pkgutil

import pytest

import partner_onboarding

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(partner_onboarding.__path__, "partner_onboarding.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_examples_in_page(page: pathlib.Path) -> None:
    # (no option flags: `python -m doctest docs/<page>.md` passes as it is; an example that
    # needs one says so itself, `# doctest: +ELLIPSIS`)
    result = doctest.testfile(str(page), module_relative=False, verbose=False)
    assert result.failed == 0


def test_docs_have_examples() -> None:
    examples = sum(
        len(doctest.DocTestParser().get_examples(page.read_text(encoding="utf-8")))
        for page in PAGES
    )
    assert examples >= 10


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_module_docstrings(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS, verbose=False)
    assert result.failed == 0
