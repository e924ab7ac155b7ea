"""Spark: the native expressions of check_spark beside mapInPandas over check_rows, same rows,
same local session of two cores, in one run.

    python benchmarks/spark_bench.py               # 10⁶ realistic rows
    python benchmarks/spark_bench.py --rows 100000

Each figure is the best of three full evaluations (``write.format("noop")``), answers checked
equal first; the native path's includes ``check_spark`` itself, which reads the rows once to find
their distinct combinations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import sys
import timeit
from collections.abc import Iterator
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from frames import realistic
from pyspark.sql import SparkSession

from partner_onboarding.batch import check_rows
from partner_onboarding.spark import check_spark

AT = dt.date(2024, 5, 20)
COLUMNS = ("partner_id", "registered_at", "category", "market", "registration_market", "status")


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
    data = realistic(arguments.rows)
    rows = list(zip(*(data[c] for c in COLUMNS), strict=True))
    frame = spark.createDataFrame(rows, ", ".join(f"{c} string" for c in COLUMNS)).repartition(2)
    frame = frame.cache()
    frame.count()

    def plain(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd  # noqa: PLC0415

        for batch in batches:
            records = check_rows(batch.to_dict("records"), at=AT, on_error="record")
            yield pd.DataFrame(
                {
                    "partner_id": [r["partner_id"] for r in records],
                    "question": [r["question"] for r in records],
                    "allowed": [r["allowed"] for r in records],
                    "reason": [r["reason"] for r in records],
                }
            )

    mapped = frame.mapInPandas(
        plain, "partner_id string, question string, allowed boolean, reason string"
    )
    native = check_spark(frame, at=AT)

    def run_native() -> None:  # (check_spark's own pass over the rows included)
        check_spark(frame, at=AT).write.format("noop").mode("overwrite").save()

    def run_mapped() -> None:
        mapped.write.format("noop").mode("overwrite").save()

    expected = {
        (r["partner_id"], r["reason"])
        for r in mapped.where("question = 'register'").collect()
        if r["reason"] is not None
    }
    found = {
        (r["partner_id"], r["register_reason"])
        for r in native.collect()
        if r["register_reason"] is not None
    }
    assert found == expected, "the two paths disagree"
    native_s = min(timeit.repeat(run_native, number=1, repeat=3))
    mapped_s = min(timeit.repeat(run_mapped, number=1, repeat=3))
    n = arguments.rows
    print(f"{n:,} realistic rows, local[2], PySpark {spark.version}")
    print()
    print("| path | seconds | rows/s | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| check_spark (native expressions) | {native_s:.2f} | {n / native_s:,.0f} | 1.00× |")
    print(
        f"| mapInPandas over check_rows | {mapped_s:.2f} | {n / mapped_s:,.0f} | "
        f"native is {mapped_s / native_s:.1f}× faster |"
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
