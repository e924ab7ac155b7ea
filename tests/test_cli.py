"""The command line, run as users run it: the installed console script in a subprocess."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import pytest

from partner_onboarding import DEFAULT_CATALOG
from partner_onboarding.cli import main, render_table


def run(*args: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("partner-onboarding")
    command = [script] if script else [sys.executable, "-m", "partner_onboarding"]
    return subprocess.run(  # noqa: S603  (our own console script, fixed arguments)
        [*command, *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_catalog_prints_every_category_with_its_role() -> None:
    result = run("catalog")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["code", "first"]
    for category in DEFAULT_CATALOG:
        row = next(line for line in lines if line.startswith(category.code + " "))
        assert category.name in row
        assert category.role.label in row
        assert ("legacy" in row) == category.legacy


def test_module_entry_point_matches_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "partner_onboarding", "catalog"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == run("catalog").stdout


def test_unknown_command_exits_2_with_usage() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "usage: partner-onboarding" in result.stderr


def test_main_in_process_writes_to_the_given_stream() -> None:
    out = io.StringIO()
    assert main(["catalog"], out=out) == 0
    assert "Creator Matchmaking" in out.getvalue()


def test_render_table_pads_columns() -> None:
    assert render_table(["a", "bb"], [["xxx", "y"]]).splitlines() == [
        "a    bb",
        "---  --",
        "xxx  y",
    ]


def test_main_without_a_command_exits_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
