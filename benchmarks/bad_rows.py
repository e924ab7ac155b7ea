"""What a bad row costs ``check_rows`` beside a good one.

    python benchmarks/bad_rows.py               # 10⁵ rows a kind
    python benchmarks/bad_rows.py --quick       # a smoke run (CI): 10⁴ rows

Each kind of file has every row good or every row bad, in two shapes: every row distinct (a
partner of its own, registered at its own instant: the realistic export, where remembering
what a value meant saves nothing) and every row the same mistake repeated. A distinct bad row
is compared with a distinct good row, a repeated one with a repeated good row. The target: a
bad row costs at most twice a good one. Every figure is the best of five passes, one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
from collections.abc import Callable
from typing import Any

from cores import add_option, pin
from frames import AT, best

from partner_onboarding.batch import check_rows

START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


def good(i: int, _mistake: int = 0) -> dict[str, Any]:
    """Partner ``i``, registered at an instant of its own."""
    instant = START + dt.timedelta(seconds=37 * i)
    return {
        "partner_id": f"P{i:07d}",
        "registered_at": instant.isoformat(),
        "category": "Paid Media",
        "market": "US",
    }


# Partner ``i`` with mistake number ``mistake`` (the same number: the same mistake).
def unknown_category(i: int, mistake: int) -> dict[str, Any]:
    return {**good(i), "category": f"Unknown service {mistake:07d}"}


def bad_instant(i: int, mistake: int) -> dict[str, Any]:
    return {**good(i), "registered_at": f"2024-13-01T00:00:{mistake:07d}Z"}


def bad_market(i: int, mistake: int) -> dict[str, Any]:
    return {**good(i), "market": f"M{mistake:07d}"}


def missing_id(i: int, mistake: int) -> dict[str, Any]:
    return {**good(mistake), "partner_id": ""}


KINDS: list[tuple[str, Callable[[int, int], dict[str, Any]]]] = [
    ("an unknown category", unknown_category),
    ("an instant that is not a date", bad_instant),
    ("a market that is not a code", bad_market),
    ("no partner id", missing_id),
]


def cost(rows: list[dict[str, Any]]) -> float:
    """Microseconds a row, the best of five passes."""
    seconds = best(lambda: check_rows(rows, at=AT, on_error="record"), passes=5)
    return seconds / len(rows) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true")
    add_option(parser)
    arguments = parser.parse_args(argv)
    cores = pin(arguments.cores)
    n = 10_000 if arguments.quick else arguments.rows
    print(f"Python {platform.python_version()}, {n:,} rows a file, {cores}")
    print()
    first = good(0)["registered_at"]
    baselines = {
        "distinct": cost([good(i) for i in range(n)]),
        "repeated": cost([{**good(i), "registered_at": first} for i in range(n)]),
    }
    print("| rows | µs a row | ÷ a good row of the same shape | target ≤ 2× |")
    print("|---|---:|---:|---|")
    for shape, baseline in baselines.items():
        print(f"| good, {shape} | {baseline:.2f} | 1.00× | |")
    for label, make in KINDS:
        for shape, baseline in baselines.items():
            rows = [make(i, i if shape == "distinct" else 0) for i in range(n)]
            assert all(r["error"] for r in check_rows(rows[:3], at=AT, on_error="record"))
            each = cost(rows)
            ratio = each / baseline
            verdict = "met" if ratio <= 2 else "**missed**"
            print(f"| {label}, {shape} | {each:.2f} | {ratio:.2f}× | {verdict} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
