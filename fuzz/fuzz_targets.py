"""Coverage-guided fuzzing (atheris) of the readers that take outside input.

    python -m pip install -e '.[fuzz]'
    mkdir -p /tmp/fuzz/json /tmp/fuzz/policy /tmp/fuzz/rows
    python fuzz/fuzz_targets.py json   /tmp/fuzz/json   fuzz/corpus/json   -max_total_time=300
    python fuzz/fuzz_targets.py policy /tmp/fuzz/policy fuzz/corpus/policy -max_total_time=300
    python fuzz/fuzz_targets.py rows   /tmp/fuzz/rows   fuzz/corpus/rows   -max_total_time=300
    python fuzz/fuzz_targets.py parquet /tmp/fuzz/parquet -max_total_time=300
    python fuzz/fuzz_targets.py policy_file /tmp/fuzz/pfile fuzz/corpus/policy -max_total_time=300
    python fuzz/fuzz_targets.py catalog /tmp/fuzz/catalog fuzz/corpus/catalog -max_total_time=300
    python fuzz/fuzz_targets.py check  /tmp/fuzz/check  fuzz/corpus/rows   -max_total_time=300

(libFuzzer writes what it finds into the first folder; the committed seeds stay as they are.)

The contract each target checks: whatever the bytes, the reader gives a value or the library's
own typed error, never anything else (an uncaught exception is a crash, and atheris stops on it
with the input that caused it). ``json`` reads a partner document and a profile document with
``from_json``; ``policy`` reads a policy from TOML and from JSON; ``rows`` streams the command
line's CSV and JSON Lines readers over the bytes and answers every good row; ``parquet`` writes a
Parquet file of cells drawn from the bytes (texts, instants and days of any 64-bit value, with a
zone or without) and streams it through the Parquet reader, answering every good row;
``policy_file`` writes the bytes to a file (as ``.toml`` and as ``.json``) and loads it with
``Policy.load``; ``catalog`` does the same with ``load_catalog``; ``check`` runs the whole
``check`` command over the bytes as a CSV file (the columnar path) and as a JSON Lines file, and
any exit code but the internal error's (70) passes. A partner document of the ``json`` target is
its events. Limits are lowered (documents of 64 KiB) so that each run is fast; the bounds
themselves are tested in the suite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import pathlib
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from partner_onboarding import Partner, Policy, from_json
    from partner_onboarding._files import HeaderError, read_parquet_rows, read_rows
    from partner_onboarding.batch import iter_check_rows
    from partner_onboarding.catalog import load_catalog
    from partner_onboarding.cli import main as command_line
    from partner_onboarding.errors import OnboardingError
    from partner_onboarding.standing import Requirements

AT = dt.datetime(2024, 5, 20, tzinfo=dt.UTC)
LIMIT = 64 * 1024


def fuzz_json(data: bytes) -> None:
    text = data[:LIMIT]
    for kind in (Partner, Requirements):
        with contextlib.suppress(OnboardingError):
            from_json(text, kind)


def fuzz_policy(data: bytes) -> None:
    text = data[:LIMIT].decode("utf-8", "replace")
    for read in (Policy.from_toml, Policy.from_json):
        with contextlib.suppress(OnboardingError):
            read(text)


def fuzz_rows(data: bytes) -> None:
    for kind in ("csv", "jsonl"):
        try:
            rows = read_rows(io.BytesIO(data[:LIMIT]), kind=kind)
        except HeaderError:
            continue
        _answer(rows)


def _answer(rows: object) -> None:
    good = (row.cells for row in rows if row.cells is not None)  # type: ignore[attr-defined]
    for record in iter_check_rows(good, at=AT, on_error="record"):
        if not (record["error"] is None or isinstance(record["error"], str)):
            raise TypeError(f"an error that is not text: {record['error']!r}")


FOLDER = pathlib.Path(tempfile.mkdtemp(prefix="fuzz-"))


def fuzz_parquet(data: bytes) -> None:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    drawn = atheris.FuzzedDataProvider(data)
    size = drawn.ConsumeIntInRange(0, 8)
    zone = drawn.PickValueInList([None, "UTC", "America/Los_Angeles", "+05:30"])
    columns = {
        "partner_id": [drawn.ConsumeUnicodeNoSurrogates(12) or None for _ in range(size)],
        "registered_at": pa.array(
            [drawn.ConsumeInt(8) for _ in range(size)], pa.timestamp("us", tz=zone)
        ),
        "category": [
            drawn.PickValueInList(["Paid Media", "Shop Management", "", "paid media", "x"])
            for _ in range(size)
        ],
        "approved_at": pa.array(
            [drawn.ConsumeIntInRange(-(2**31), 2**31 - 1) for _ in range(size)], pa.date32()
        ),
        "status": [drawn.ConsumeUnicodeNoSurrogates(6) for _ in range(size)],
    }
    path = FOLDER / "rows.parquet"
    pq.write_table(pa.table(columns), path)
    try:
        rows = read_parquet_rows(str(path))
    except HeaderError:
        return
    _answer(rows)


def fuzz_policy_file(data: bytes) -> None:
    for name in ("policy.toml", "policy.json"):
        path = FOLDER / name
        path.write_bytes(data[:LIMIT])
        with contextlib.suppress(OnboardingError):
            Policy.load(path)


def fuzz_catalog(data: bytes) -> None:
    for name in ("catalog.toml", "catalog.json"):
        path = FOLDER / name
        path.write_bytes(data[:LIMIT])
        with contextlib.suppress(OnboardingError):
            load_catalog(path)


def fuzz_check(data: bytes) -> None:
    for name in ("rows.csv", "rows.jsonl"):
        path = FOLDER / name
        path.write_bytes(data[:LIMIT])
        out, err = io.StringIO(), io.StringIO()
        code = command_line(["check", str(path), "--at", "2024-05-20"], out=out, err=err)
        if code == 70:  # the internal error's exit code: a bug of the library
            raise RuntimeError(err.getvalue())


TARGETS = {
    "json": fuzz_json,
    "policy": fuzz_policy,
    "rows": fuzz_rows,
    "parquet": fuzz_parquet,
    "policy_file": fuzz_policy_file,
    "catalog": fuzz_catalog,
    "check": fuzz_check,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TARGETS)}}} [CORPUS] [libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
