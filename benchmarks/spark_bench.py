"""Spark: check_spark (the bulk engine on each Arrow batch, on the executors) beside mapInPandas
over check_rows, same rows, same local session of two cores, in one run.

    python benchmarks/spark_bench.py               # 10⁶ realistic rows
    python benchmarks/spark_bench.py --rows 100000

Each figure is the best of three full evaluations (``write.format("noop")``), answers checked
equal first; the call of ``check_spark`` is timed too (it runs no job).
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import sys
import tempfile
import timeit
from collections.abc import Iterator
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import polars as pl
from frames import realistic
from pyspark.sql import SparkSession

from partner_onboarding.batch import check_rows
from partner_onboarding.spark import check_spark

AT = dt.date(2024, 5, 20)
COLUMNS = ("partner_id", "registered_at", "category", "market", "registration_market", "status")
ANSWERED = {
    "partner_id": "string",
    "question": "string",
    "allowed": "boolean",
    "reason": "string",
    "reason_codes": "string",
    "message": "string",
    "changes_at": "timestamp",
    "error": "string",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    arguments = parser.parse_args(argv)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # (the rows go to Spark through a Parquet file: 10⁷ of them through Py4J would take longer
    # than the benchmark)
    data = realistic(arguments.rows)
    folder = tempfile.TemporaryDirectory()
    path = str(pathlib.Path(folder.name) / "rows.parquet")
    pl.DataFrame({c: data[c] for c in COLUMNS}).write_parquet(path)
    del data
    frame = spark.read.parquet(path).repartition(2).cache()
    frame.count()

    def plain(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd  # noqa: PLC0415

        for batch in batches:
            records = check_rows(batch.to_dict("records"), at=AT, on_error="record")
            yield pd.DataFrame({name: [r[name] for r in records] for name in ANSWERED})

    # (the peer returns what check_spark returns: every answer field and the error)
    mapped = frame.mapInPandas(plain, ", ".join(f"{n} {t}" for n, t in ANSWERED.items()))
    started = timeit.default_timer()
    native = check_spark(frame, at=AT)
    call_s = timeit.default_timer() - started

    def run_native() -> None:  # (the call of check_spark included)
        check_spark(frame, at=AT).write.format("noop").mode("overwrite").save()

    def run_mapped() -> None:
        mapped.write.format("noop").mode("overwrite").save()

    assert _disagreements(native, mapped) == 0, "the two paths disagree"
    native_s = min(timeit.repeat(run_native, number=1, repeat=3))
    mapped_s = min(timeit.repeat(run_mapped, number=1, repeat=3))
    n = arguments.rows
    print(f"{n:,} realistic rows, local[2], PySpark {spark.version}")
    print()
    print("| path | seconds | rows/s | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| check_spark | {native_s:.2f} | {n / native_s:,.0f} | 1.00× |")
    print(
        f"| mapInPandas over check_rows | {mapped_s:.2f} | {n / mapped_s:,.0f} | "
        f"check_spark is {mapped_s / native_s:.1f}× faster |"
    )
    print()
    print(f"the call of check_spark alone: {call_s:.2f} s (no job)")
    spark.stop()
    folder.cleanup()
    return 0


def _disagreements(native: Any, mapped: Any) -> int:
    """Answers found by one path and not the other, counted in Spark (at 10⁷ rows the answers do
    not fit the driver): check_spark's two questions of a row made two rows as check_rows gives
    them, a bad row one row of no question."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    fields = ("allowed", "reason", "reason_codes", "message", "changes_at")
    each = []
    for question in ("register", "authorize_seller"):
        codes = f.array_join(f.col(f"{question}_reason_codes"), ";")
        each.append(
            native.where(f.col("error").isNull()).select(
                "partner_id",
                f.lit(question).alias("question"),
                "error",
                *(
                    (codes if name == "reason_codes" else f.col(f"{question}_{name}")).alias(name)
                    for name in fields
                ),
            )
        )
    bad = native.where(f.col("error").isNotNull()).select(
        "partner_id",
        f.lit(None).cast("string").alias("question"),
        "error",
        *(f.lit(None).cast(t).alias(n) for n, t in ANSWERED.items() if n in fields),
    )
    found = each[0].unionByName(each[1]).unionByName(bad)
    expected = mapped.select("partner_id", "question", "error", *fields)
    return int(found.exceptAll(expected).count() + expected.exceptAll(found).count())


if __name__ == "__main__":
    raise SystemExit(main())
