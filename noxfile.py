"""The test suite on every supported CPython: ``nox`` (each version found on PATH).

``.ci/run`` runs the versions other than its own, for those the machine has:

    nox --no-error-on-missing-interpreters -s tests-3.12 tests-3.13
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = False

#: Every CPython the library supports (``requires-python``), oldest first.
PYTHONS = ["3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The default test suite, as README's command runs it (coverage is measured once, on the
    main interpreter)."""
    session.install(".[test]")
    options = ["-q", "-p", "no:cacheprovider"]
    session.run("python", "-m", "pytest", *options, *session.posargs)
