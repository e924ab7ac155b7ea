"""The command line at scale: peak memory and rows per second of ``check`` on a realistic CSV file,
beside the floor of a plain ``csv`` read-and-write of the same file, in one run.

    python benchmarks/cli_stream.py                  # 10⁶ rows
    python benchmarks/cli_stream.py --rows 10000000  # 10⁷ rows (about 700 MB of CSV in /tmp)
    python benchmarks/cli_stream.py --quick          # 10⁴ rows (CI's smoke run)

Peak memory is each child process's own maximum resident set size (``os.wait4``). ``check``
runs twice: through Polars' columnar path (the default when Polars is installed) and row by row
(``--row-by-row``). Every run is pinned to one core as the targets are set (``--cores N`` for
more; Polars runs one thread a core).
"""

from __future__ import annotations

import argparse
import csv
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from cores import add_option, pin  # (beside this script)

FLOOR = """
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as source:
    reader = csv.reader(source)
    writer = csv.writer(sys.stdout, lineterminator="\\n")
    for row in reader:
        writer.writerow(row)
        writer.writerow(row)  # (check writes two answers per row)
"""


def write_file(path: pathlib.Path, rows: int) -> None:
    from frames import realistic  # noqa: PLC0415  (only the writing child needs Polars' data)

    columns = ("partner_id", "registered_at", "category", "market", "registration_market", "status")
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        done = 0
        while done < rows:
            batch = min(100_000, rows - done)
            data = realistic(batch, seed=done)
            data["partner_id"] = [f"P{done + i}" for i in range(batch)]
            writer.writerows(zip(*(data[name] for name in columns), strict=True))
            done += batch


def measure(command: list[str]) -> tuple[float, float]:
    """(seconds, peak resident MB) of ``command`` alone, its output thrown away."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--as-parquet", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument(
        "--columnar-only", action="store_true", help="skip the row-by-row runs (minutes at 10⁷)"
    )
    add_option(parser)
    arguments = parser.parse_args(argv)
    rows = 10_000 if arguments.quick else arguments.rows
    if arguments.write:  # (the file is written by a child: this process stays small, and a
        write_file(pathlib.Path(arguments.write), rows)  # forked child's peak is its own)
        if arguments.as_parquet:  # (the same rows as Parquet, one row group, text cells)
            import polars as pl  # noqa: PLC0415

            read = pl.read_csv(arguments.write, infer_schema=False)
            read.write_parquet(arguments.as_parquet, row_group_size=len(read))
        return 0
    cores = pin(arguments.cores)  # (each run's child inherits it)
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "partners.csv"
        parquet = pathlib.Path(folder) / "partners.parquet"
        writing = [sys.executable, __file__, "--rows", str(rows), "--write", str(path)]
        subprocess.run([*writing, "--as-parquet", str(parquet)], check=True)
        size = path.stat().st_size / 1e6
        check = [
            sys.executable,
            "-m",
            "partner_onboarding",
            "check",
            str(path),
            "--at",
            "2024-05-20",
        ]
        floor = [sys.executable, "-c", FLOOR, str(path)]
        runs = [("floor: csv read + write, two lines per row", floor)]
        engines = [("columnar", []), ("row by row", ["--row-by-row"])]
        for engine, flags in engines[:1] if arguments.columnar_only else engines:
            runs += [
                (f"check --format csv ({engine})", [*check, "--format", "csv", *flags]),
                (
                    f"check --format json, JSON Lines ({engine})",
                    [*check, "--format", "json", *flags],
                ),
            ]
        same = [*check[:4], str(parquet), *check[5:], "--format", "csv"]
        runs.append(("check --format csv of the same rows as Parquet (columnar)", same))
        if not arguments.columnar_only:  # (a report: a summary first, answered row by row)
            runs.append(("check, a table (the default)", check))
        measured = [(name, *measure(command)) for name, command in runs]
    print(f"{rows:,} rows, {size:,.0f} MB of CSV, each run on {cores}")
    print()
    print("| run | seconds | rows/s | peak MB | vs floor |")
    print("|---|---:|---:|---:|---:|")
    floor_s = measured[0][1]
    for name, seconds, peak in measured:
        ratio = f"{floor_s / seconds:.2f}×"
        print(f"| {name} | {seconds:.1f} | {rows / seconds:,.0f} | {peak:,.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
