"""Coverage-guided fuzzing (atheris) of the readers that take outside input.

    python -m pip install -e '.[fuzz]'
    mkdir -p /tmp/fuzz/json /tmp/fuzz/policy /tmp/fuzz/rows
    python fuzz/fuzz_targets.py json   /tmp/fuzz/json   fuzz/corpus/json   -max_total_time=300
    python fuzz/fuzz_targets.py policy /tmp/fuzz/policy fuzz/corpus/policy -max_total_time=300
    python fuzz/fuzz_targets.py rows   /tmp/fuzz/rows   fuzz/corpus/rows   -max_total_time=300

(libFuzzer writes what it finds into the first folder; the committed seeds stay as they are.)

The contract each target checks: whatever the bytes, the reader gives a value or the library's
own typed error, never anything else (an uncaught exception is a crash, and atheris stops on it
with the input that caused it). ``json`` reads a partner document and a profile document with
``from_json``; ``policy`` reads a policy from TOML and from JSON; ``rows`` streams the command
line's CSV and JSON Lines readers over the bytes and answers every good row. Limits are lowered
(documents of 64 KiB) so that each run is fast; the bounds themselves are tested in the suite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import sys

import atheris

with atheris.instrument_imports():
    from partner_onboarding import Partner, Policy, from_json
    from partner_onboarding._files import HeaderError, read_rows
    from partner_onboarding.batch import iter_check_rows
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
        good = (row.cells for row in rows if row.cells is not None)
        for record in iter_check_rows(good, at=AT, on_error="record"):
            if not (record["error"] is None or isinstance(record["error"], str)):
                raise TypeError(f"an error that is not text: {record['error']!r}")


TARGETS = {"json": fuzz_json, "policy": fuzz_policy, "rows": fuzz_rows}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TARGETS)}}} [CORPUS] [libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
