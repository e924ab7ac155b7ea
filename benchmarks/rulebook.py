"""A large rulebook beside the shipped one: 50 rules over 20 discontinued categories.

    python benchmarks/rulebook.py               # 10⁶ rows for the columnar path, 2·10⁵ plain
    python benchmarks/rulebook.py --quick       # a smoke run (CI): 10⁴ rows

Both rulebooks run over the same catalog (the default one and 17 more legacy categories) and the
same realistic rows of benchmarks/frames.py, their categories drawn from all 27; the shipped
rulebook (the 2024 upgrade) answers the 17 added ones ``no_rule``. The large one gives every
discontinued category rules of its own: 50 rules, 24 distinct registration thresholds and 40
distinct starts, days and instants. The target: the large rulebook costs at most 1.5 times the
shipped one a row, on every path. Every figure is the best of three passes, one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
from typing import Any

from cores import add_option, pin
from frames import AT, best, realistic

from partner_onboarding import Cutoff, Policy
from partner_onboarding.batch import check_rows
from partner_onboarding.catalog import extend_catalog
from partner_onboarding.frames import check_frame
from partner_onboarding.policy import UPGRADE_2024

ADDED = [f"Legacy Service {i}" for i in range(17)]
CATALOG = extend_catalog(
    {
        "name": "bench",
        "version": "1",
        "categories": [
            {
                "code": f"legacy_service_{i}",
                "name": name,
                "first_category": "seller_service",
                "role": "seller_service_partner",
                "legacy": True,
            }
            for i, name in enumerate(ADDED)
        ],
    }
)


def large_rulebook(seed: int = 3) -> tuple[Cutoff, ...]:
    """50 rules over the 20 legacy categories: each category its own registration and
    authorisation cut-offs, and some rules over several categories at once."""
    rng = random.Random(seed)
    codes = [c.code for c in CATALOG.legacy()]
    rules: list[Cutoff] = []
    start = dt.date(2023, 6, 1)
    for index, code in enumerate(codes):
        day = start + dt.timedelta(days=rng.randrange(700))
        rules.append(Cutoff(categories=[code], question="register", bars="new_partners", from_=day))
        closing: dt.date | dt.datetime = day + dt.timedelta(days=rng.randrange(120))
        if index % 3 == 0:  # (an instant of its own, not a day's start)
            closing = dt.datetime.combine(closing, dt.time(12), tzinfo=dt.UTC)
        rules.append(
            Cutoff(categories=[code], question="authorize_seller", bars="everyone", from_=closing)
        )
    while len(rules) < 50:  # (rules over several categories, some barring everyone)
        chosen = rng.sample(codes, 3)
        day = start + dt.timedelta(days=rng.randrange(900))
        registered = day - dt.timedelta(days=rng.randrange(60))
        everyone = rng.random() < 0.3
        rules.append(
            Cutoff(
                categories=chosen,
                question="register",
                bars="everyone" if everyone else "new_partners",
                from_=day,
                registered_from=None if everyone else registered,
            )
        )
    return tuple(rules)


def rows(n: int) -> dict[str, list[Any]]:
    data = realistic(n)
    rng = random.Random(11)
    names = [c.name for c in CATALOG]
    data["category"] = [rng.choice(names) for _ in range(n)]
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    add_option(parser)
    arguments = parser.parse_args(argv)
    cores = pin(arguments.cores)
    import polars as pl  # noqa: PLC0415  (after pinning: Polars sizes its threads when loaded)

    n = 10_000 if arguments.quick else arguments.rows
    plain_n = min(n, 200_000)
    shipped = Policy(rules=UPGRADE_2024, catalog=CATALOG)
    large = Policy(rules=large_rulebook(), catalog=CATALOG)
    compiled = large.compiled
    print(
        f"Python {platform.python_version()}, Polars {pl.__version__}, {n:,} rows "
        f"({plain_n:,} for check_rows), {cores}; the large rulebook: {len(large.rules)} rules, "
        f"{len(large.discontinued)} categories, {len(compiled.thresholds)} registration "
        f"thresholds, {len(compiled.phases)} starts"
    )
    print()
    print("| path | shipped rows/s | 50 rules rows/s | cost a row, 50 rules ÷ shipped | target |")
    print("|---|---:|---:|---:|---|")
    data = rows(n)
    text = pl.DataFrame({k: v for k, v in data.items() if k != "registered_at_typed"})
    typed = text.with_columns(
        pl.Series("registered_at", data["registered_at_typed"], dtype=pl.Datetime("us", "UTC"))
    )
    records = text.head(plain_n).to_dicts()
    paths = [
        ("check_rows", plain_n, lambda p: check_rows(records, at=AT, policy=p, on_error="record")),
        ("check_frame, typed instants", n, lambda p: check_frame(typed, at=AT, policy=p)),
        ("check_frame, text instants", n, lambda p: check_frame(text, at=AT, policy=p)),
    ]
    for label, count, run in paths:
        one = best(lambda run=run: run(shipped))
        two = best(lambda run=run: run(large))
        ratio = two / one
        verdict = "met" if ratio <= 1.5 else "**missed**"
        rates = f"{count / one:,.0f} | {count / two:,.0f}"
        print(f"| {label} | {rates} | {ratio:.2f}× | ≤ 1.5×: {verdict} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
