"""The ``partner-onboarding`` command line.

``partner-onboarding catalog`` prints the service catalog (current and legacy categories, with the
partner role each belongs to) as a table.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from partner_onboarding.catalog import DEFAULT_CATALOG, Catalog

__all__ = ["main", "render_table"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with a header rule, columns padded to their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers).rstrip(), rule, *(line(row).rstrip() for row in rows)])


def _catalog_table(catalog: Catalog) -> str:
    headers = ("code", "first category", "secondary category", "partner role", "status")
    rows = [
        (
            category.code,
            category.first_category.label,
            category.name,
            category.role.label,
            "legacy (discontinued)" if category.legacy else "current",
        )
        for category in catalog
    ]
    return render_table(headers, rows)


def _run_catalog(_: argparse.Namespace, out: TextIO) -> int:
    print(_catalog_table(DEFAULT_CATALOG), file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partner-onboarding",
        description="TikTok Shop Partner Center (US) onboarding rules.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    catalog = commands.add_parser("catalog", help="print the service catalog as a table")
    catalog.set_defaults(run=_run_catalog)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    arguments = _parser().parse_args(argv)
    code: int = arguments.run(arguments, out or sys.stdout)
    return code
