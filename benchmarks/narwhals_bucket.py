"""The columnar path's one per-row computation, written against narwhals beside native Polars.

    python benchmarks/narwhals_bucket.py               # 10⁶ rows
    python benchmarks/narwhals_bucket.py --quick       # a smoke run: 10⁴ rows

The bulk engine places each row's registration among the rulebook's thresholds (its *bucket*:
how many thresholds it is at or after). Natively that is one binary search a row in Polars
(``search_sorted``). narwhals has no ``search_sorted``; the nearest expression it offers is a sum
of comparisons, one for each threshold. The script measures, on a Polars frame of typed aware
instants, for the shipped rulebook's thresholds and for the 50-rule rulebook of
benchmarks/rulebook.py (29 thresholds):

- the engine's own expression (``search_sorted``);
- the sum of comparisons in Polars;
- the same sum through narwhals, on the same Polars frame.

Every column is checked equal to the engine's first. The rule (docs/decisions.md): narwhals is used
where it costs at most 10 % over native Polars. Best of five passes, one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import timeit
from collections.abc import Callable
from typing import Any

from cores import add_option, pin
from rulebook import CATALOG, large_rulebook

from partner_onboarding import Policy
from partner_onboarding.policy import UPGRADE_2024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    add_option(parser)
    arguments = parser.parse_args(argv)
    cores = pin(arguments.cores)
    import narwhals as nw  # noqa: PLC0415  (after pinning: Polars sizes its threads when loaded)
    import polars as pl  # noqa: PLC0415

    n = 10_000 if arguments.quick else arguments.rows
    rng = random.Random(5)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(seconds=rng.randrange(3 * 365 * 86_400)) for _ in range(n)]
    frame = pl.DataFrame({"registered_at": pl.Series(instants, dtype=pl.Datetime("us", "UTC"))})
    print(f"Python {platform.python_version()}, Polars {pl.__version__}, narwhals "
          f"{nw.__version__}, {n:,} rows, {cores}")  # fmt: skip
    print()
    print(
        "| thresholds | `search_sorted` (s) | sum of comparisons, Polars (s) "
        "| the same, narwhals (s) | narwhals ÷ the engine's |"
    )
    print("|---:|---:|---:|---:|---:|")
    for policy in (
        Policy(rules=UPGRADE_2024, catalog=CATALOG),
        Policy(rules=large_rulebook(), catalog=CATALOG),
    ):
        bounds = [at.astimezone(dt.UTC) for at in policy.compiled.thresholds]
        times = [min(timeit.repeat(run, number=1, repeat=5)) for run in _runs(frame, bounds)]
        print(
            f"| {len(bounds)} | {times[0]:.4f} | {times[1]:.4f} | {times[2]:.4f} | "
            f"{times[2] / times[0]:.2f}× |"
        )
    return 0


def _runs(frame: Any, bounds: list[dt.datetime]) -> list[Callable[[], Any]]:
    """The three ways to the buckets of ``frame``'s registrations, each checked equal to the
    engine's own."""
    import narwhals as nw  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415

    column = pl.col("registered_at")
    native = (
        pl.lit(pl.Series(bounds, dtype=pl.Datetime("us", "UTC")))
        .search_sorted(column, side="right")
        .cast(pl.UInt16)
        .alias("bucket")
    )
    compared = pl.sum_horizontal([(column >= b).cast(pl.UInt16) for b in bounds]).alias("bucket")
    wrapped = nw.from_native(frame)
    by_narwhals = nw.sum_horizontal(
        [(nw.col("registered_at") >= b).cast(nw.UInt16) for b in bounds]
    ).alias("bucket")
    runs: list[Callable[[], Any]] = [
        lambda: frame.select(native)["bucket"],
        lambda: frame.select(compared)["bucket"],
        lambda: nw.to_native(wrapped.select(by_narwhals))["bucket"],
    ]
    expected = runs[0]()
    for run in runs[1:]:
        assert run().cast(pl.UInt16).equals(expected)
    return runs


if __name__ == "__main__":
    raise SystemExit(main())
