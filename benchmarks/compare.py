"""Side-by-side benchmarks: the library against the floor and the peers it names, in one run.

    python benchmarks/compare.py            # the full run; prints a Markdown table
    python benchmarks/compare.py --quick    # a smoke run (CI): tiny sizes, no targets enforced

Each figure is the best of several repeats of a timed loop (``timeit``), in µs per operation.
Peers that are not installed (``pip install -e '.[bench]'``) are reported as such, not skipped
silently.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import timeit
from collections.abc import Callable
from typing import Any

import attrs

from partner_onboarding import lifecycle
from partner_onboarding.model import Application, EventKind, ReviewStatus
from partner_onboarding.testing import approved_partner, sample_info

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


@attrs.frozen(kw_only=True)
class Floor:
    """An object of the same shape as an Application: the cost of building one is the floor."""

    id: str
    category: Any
    market: Any
    status: Any
    info: Any
    history: Any
    pending_revision: Any = None
    supersedes: Any = None


def best_us(operation: Callable[[], object], *, repeat: int, number: int) -> float:
    """The best time of ``repeat`` loops of ``number`` calls, in µs per call."""
    return min(timeit.repeat(operation, number=number, repeat=repeat)) / number * 1e6


def pending_application(length: int) -> Application:
    """A pending application whose history holds ``length`` events (rejected and modified)."""
    partner = approved_partner(at=T0)
    partner = lifecycle.apply(partner, "Shop Management", sample_info("Shop Management"), at=T0)
    application = partner.application("Shop Management")
    info = sample_info("Shop Management")
    while len(application.history) + 2 <= length:
        application = lifecycle.transition(application, EventKind.REJECT, at=T0, reasons=["r"])
        application = lifecycle.transition(application, EventKind.MODIFY, at=T0, info=info)
    return application


def lifecycle_rows(*, repeat: int, number: int) -> list[tuple[str, float, str]]:
    one = pending_application(1)
    table = lifecycle.TRANSITIONS

    def floor() -> object:
        move = table[ReviewStatus.PENDING_REVIEW, EventKind.APPROVE]
        return Floor(
            id=one.id,
            category=one.category,
            market=one.market,
            status=move.to,
            info=one.info,
            history=one.history,
        )

    floor_us = best_us(floor, repeat=repeat, number=number)
    floor_name = "floor: one frozen attrs object (Application's shape) + a dict look-up"
    rows = [(floor_name, floor_us, "1.00×")]
    by_length = {}
    for length in (1, 101, 1001):
        application = pending_application(length)
        assert len(application.history) == length

        def step(application: Application = application) -> object:
            return lifecycle.transition(application, EventKind.APPROVE, at=T0)

        by_length[length] = best_us(step, repeat=repeat, number=number)
        rows.append(
            (
                f"lifecycle.transition (approve) with its event, history of {length}",
                by_length[length],
                f"{by_length[length] / floor_us:.2f}× floor",
            )
        )
    rows.append(
        (
            "growth: history of 1 001 vs 1",
            by_length[1001],
            f"{by_length[1001] / by_length[1]:.2f}× (target ≤ 2×)",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny sizes")
    arguments = parser.parse_args(argv)
    repeat, number = (2, 200) if arguments.quick else (7, 100_000)

    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print()
    print("| operation | µs/op | ratio |")
    print("|---|---:|---:|")
    for name, micros, ratio in lifecycle_rows(repeat=repeat, number=number):
        print(f"| {name} | {micros:.3f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
