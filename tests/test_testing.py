"""The strategies other projects use: through the Hypothesis entry point, and without Hypothesis."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

DOWNSTREAM_TEST = """
from hypothesis import given, settings, strategies as st

from partner_onboarding import Entity, Partner, ReviewStatus


@settings(max_examples=25, deadline=None)
@given(st.from_type(Partner), st.from_type(Entity))
def test_downstream_gets_valid_values(partner, entity):
    assert partner.roles
    assert entity.country.code == "US"
    for application in partner.applications:
        assert application.status is application.history[-1].to_status
    assert isinstance(entity.ein, str)
"""


def test_downstream_from_type_works_without_importing_testing(tmp_path: Path) -> None:
    module = tmp_path / "test_downstream.py"
    module.write_text(textwrap.dedent(DOWNSTREAM_TEST), encoding="utf-8")
    assert "partner_onboarding.testing" not in module.read_text(encoding="utf-8")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_importing_the_library_never_imports_hypothesis() -> None:
    code = (
        "import sys, partner_onboarding, partner_onboarding.policy, partner_onboarding.batch, "
        "partner_onboarding.cli; print('hypothesis' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_the_testing_module_imports_first_in_a_fresh_process() -> None:
    # Hypothesis runs the plugin while it is imported by partner_onboarding.testing itself.
    code = "import partner_onboarding.testing as t; print(t.partners().example().roles[0].value)"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {
        "creator_service_partner",
        "seller_service_partner",
        "seller_service_creator_matchmaking",
    }
