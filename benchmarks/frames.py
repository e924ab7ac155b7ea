"""Eligibility at data scale: the columnar path beside the plain path and the floors, in one run.

    python benchmarks/frames.py                 # 10⁶ rows (add --rows 10000000 for 10⁷)
    python benchmarks/frames.py --quick         # a smoke run (CI): 10⁴ rows

Rows are realistic: one distinct registration instant per partner (mixed offsets, a quarter of
them date-only cells), category aliases and odd spellings, approved-category lists, some other
target markets and registration markets, 0.1 % bad rows. The repetitive rows of compare.py are
measured too. Every figure is the best of three passes, in rows per second, in one process pinned
to one core as the targets are set (``--cores 2`` or ``--cores 0`` for more; Polars runs one
thread a core).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any

from cores import add_option, pin

from partner_onboarding.batch import check_rows
from partner_onboarding.frames import check_frame

AT = dt.date(2024, 5, 20)
SPELLINGS = [
    "Shop Management",
    "shop_management",
    "LIVE Management",
    "Seller affiliate Management",
    "Creator mathmaking",
    "Paid Media",
    "paid media",
    "Mass Tutoring",
    "Mass Recruiting",
    "Creator Management",
    "Short Video Management",
    "Shop Registration",
]
OFFSETS = [dt.timedelta(hours=h) for h in (-8, -7, -5, 0, 1, 5.5, 8)]


def realistic(n: int, seed: int = 7) -> dict[str, list[Any]]:
    """Columns of ``n`` realistic rows, registration instants as text and as typed values."""
    rng = random.Random(seed)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    span = 600 * 24 * 3600
    text, typed, categories, markets, homes, statuses, approved = [], [], [], [], [], [], []
    for index in range(n):
        instant = start + dt.timedelta(seconds=rng.randrange(span), microseconds=index % 1000)
        typed.append(instant)
        zone = dt.timezone(rng.choice(OFFSETS))
        if rng.random() < 0.25:
            text.append(instant.astimezone(zone).date().isoformat())
        else:
            text.append(instant.astimezone(zone).isoformat())
        categories.append(rng.choice(SPELLINGS))
        markets.append(rng.choice(["US", "US", "US", "GB", "CA"]))
        homes.append("GB" if rng.random() < 0.05 else "US")
        statuses.append(rng.choice(["approved", "Pending Review", None, "rejected"]))
        approved.append(rng.choice([None, "Shop Management;Paid Media", "LIVE Management"]))
        if rng.random() < 0.001:  # a bad row
            text[-1] = "yesterday"
            categories[-1] = "Paid Medias"
    return {
        "partner_id": [f"P{i}" for i in range(n)],
        "registered_at": text,
        "registered_at_typed": typed,
        "category": categories,
        "market": markets,
        "registration_market": homes,
        "status": statuses,
        "approved_categories": approved,
    }


def by_hand(frame: Any) -> Any:
    """The floor: the two rules of the shipped rulebook as one hand-written Polars expression on
    typed columns, as an analyst would write it for this one policy and this one instant (the
    spellings folded by hand, approved lists ignored, no error column, no change instants)."""
    import polars as pl  # noqa: PLC0415

    upgrade = dt.datetime(2024, 4, 30, 7, tzinfo=dt.UTC)
    cutoff = dt.datetime(2024, 6, 5, 7, tzinfo=dt.UTC)
    at = dt.datetime(2024, 5, 20, 7, tzinfo=dt.UTC)
    name = pl.col("category").str.to_lowercase().str.replace_all("_", " ")
    discontinued = name.is_in(["paid media", "mass tutoring", "mass recruiting"])
    covered = pl.col("registration_market").fill_null("US") == "US"
    new = pl.col("registered_at") >= upgrade
    approved = pl.col("status").str.to_lowercase() == "approved"
    barred = discontinued & covered
    register = (
        pl.when(~discontinued)
        .then(pl.lit("current_category"))
        .when(~covered)
        .then(pl.lit("market_not_covered"))
        .when(~new)
        .then(pl.lit("existing_partner"))
        .when(pl.lit(at < upgrade))
        .then(pl.lit("before_upgrade"))
        .otherwise(pl.lit("new_partner_discontinued"))
    )
    authorize = (
        pl.when(~approved)
        .then(pl.lit("no_approved_application"))
        .when(barred & pl.lit(at >= cutoff))
        .then(pl.lit("authorization_closed"))
        .otherwise(pl.lit("approved_application"))
    )
    return frame.with_columns(
        (~(barred & new & pl.lit(at >= upgrade))).alias("register_allowed"),
        register.alias("register_reason"),
        (approved & ~(barred & pl.lit(at >= cutoff))).alias("authorize_seller_allowed"),
        authorize.alias("authorize_seller_reason"),
    )


def repetitive(n: int) -> dict[str, list[Any]]:
    return {
        "partner_id": [f"P{i}" for i in range(n)],
        "registered_at": ["2024-05-02", "2024-01-10T09:00:00-08:00"] * (n // 2),
        "category": ["Paid Media", "Shop Management"] * (n // 2),
        "status": ["approved", None] * (n // 2),
    }


def best(run: Callable[[], object], passes: int = 3) -> float:
    return min(timeit.repeat(run, number=1, repeat=passes))


def peak_bytes(run: Callable[[], object]) -> int:
    """Peak Python-heap bytes while ``run`` runs (Polars' own buffers are not traced)."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--columnar-only",
        action="store_true",
        help="skip the plain paths, whose 10⁷ records in hand need more memory than 24 GiB",
    )
    add_option(parser)
    arguments = parser.parse_args(argv)
    cores = pin(arguments.cores)
    import polars as pl  # noqa: PLC0415  (after pinning: Polars sizes its threads when loaded)

    n = 10_000 if arguments.quick else arguments.rows
    print(
        f"Python {platform.python_version()}, Polars {pl.__version__}, {n:,} rows, one process, "
        f"{cores}, Polars threads {pl.thread_pool_size()}"
    )
    print()
    print("| rows | path | seconds | rows/s | ratio |")
    print("|---|---|---:|---:|---:|")
    data = realistic(n)
    text = pl.DataFrame({k: v for k, v in data.items() if k != "registered_at_typed"})
    typed = text.with_columns(
        pl.Series("registered_at", data["registered_at_typed"], dtype=pl.Datetime("us", "UTC"))
    )
    results: dict[str, float] = {}

    def row(label: str, seconds: float, versus: str | None = None) -> None:
        results[label] = seconds
        ratio = f"{results[versus] / seconds:.1f}× {versus}" if versus in results else ""
        print(f"| realistic | {label} | {seconds:.3f} | {n / seconds:,.0f} | {ratio} |")

    plain = "check_rows (plain path, records in hand)"
    notebook = "notebook path: to_dicts → check_rows → DataFrame"
    if not arguments.columnar_only:
        records = text.to_dicts()
        row(plain, best(lambda: check_rows(records, at=AT, on_error="record")))
        del records
        row(
            notebook,
            best(lambda: pl.DataFrame(check_rows(text.to_dicts(), at=AT, on_error="record"))),
        )
    row(
        "floor: Polars parses the text instants alone",
        best(
            lambda: text.select(
                pl.col("registered_at").str.to_datetime(strict=False, time_zone="UTC")
            )
        ),
    )
    row("floor: the two rules written by hand in Polars, typed", best(lambda: by_hand(typed)))
    row("check_frame, typed instants", best(lambda: check_frame(typed, at=AT)), plain)
    floor = results["floor: the two rules written by hand in Polars, typed"]
    print(
        f"| | check_frame, typed, against the hand-written floor | | | "
        f"{floor / results['check_frame, typed instants']:.2f}× |"
    )
    row("check_frame, text instants", best(lambda: check_frame(text, at=AT)), notebook)
    pandas_frame = text.to_pandas()
    row(
        "check_frame, pandas (Arrow), text",
        best(lambda: check_frame(pandas_frame, at=AT)),
        notebook,
    )
    arrow = text.to_arrow()
    row("check_frame, PyArrow table, text", best(lambda: check_frame(arrow, at=AT)), notebook)
    try:
        import duckdb  # noqa: PLC0415
    except ImportError:
        print("| realistic | check_frame, DuckDB relation | (duckdb not installed) | | |")
    else:
        relation = duckdb.from_arrow(arrow)
        row(
            "check_frame, DuckDB relation, text (read, answered, back)",
            best(lambda: check_frame(relation, at=AT)),
            notebook,
        )
    answered = check_frame(typed, at=AT)
    added = answered.select(answered.columns[len(typed.columns) :])
    print()
    print(f"answer columns: {added.estimated_size() / n:.0f} bytes per row (both questions)")
    heap = peak_bytes(lambda: check_frame(typed, at=AT)) / n
    print(f"Python heap peak of check_frame, typed: {heap:.1f} bytes per row")
    print(f"bad rows answered with an error: {answered['error'].is_not_null().sum():,}")
    if arguments.columnar_only:
        return 0
    rep = pl.DataFrame(repetitive(n))
    rep_records = rep.to_dicts()
    print()
    plain_s = best(lambda: check_rows(rep_records, at=AT))
    columnar = best(lambda: check_frame(rep, at=AT))
    print(f"| repetitive | check_rows | {plain_s:.3f} | {n / plain_s:,.0f} | |")
    ratio = f"{plain_s / columnar:.1f}× check_rows"
    print(f"| repetitive | check_frame | {columnar:.3f} | {n / columnar:,.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
