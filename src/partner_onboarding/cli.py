"""The ``partner-onboarding`` command line (also ``python -m partner_onboarding``).

Sub-commands:

- ``catalog``: the service catalog as a table (current and legacy categories, with roles).
- ``check [FILE]``: the policy's answers for every row of a CSV or JSON Lines file (columns as in
  :mod:`partner_onboarding.batch`); without a file, for the shipped sample.
- ``explain``: one partner, one category, one instant: every reason and the next change.
- ``diagram``: the review state machine as a Mermaid diagram.
- ``policy [FILE]``: the effective policy, or a policy file checked and shown.

Exit codes: 0 done; 1 some row was refused and ``--fail-on-refusal`` was given; 2 bad input (the
good rows are still checked and printed; the bad ones are named on standard error with their line
number and field).

This module is the edge of the library: it reads files and the clock (the default ``--at`` is now,
in the policy's zone); the core never does.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.resources
import io
import json
import pathlib
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TextIO

from partner_onboarding import lifecycle
from partner_onboarding.batch import RECORD_FIELDS, decide_row, iter_check_rows
from partner_onboarding.catalog import DEFAULT_CATALOG, Catalog
from partner_onboarding.errors import OnboardingError, ValidationError
from partner_onboarding.policy import DEFAULT_POLICY, Decision, Policy, Question

__all__ = ["main", "render_table", "run"]

OK: Final = 0
REFUSED: Final = 1
BAD_INPUT: Final = 2
PROGRESS_FROM: Final = 100_000  # rows; below this a check is over before a progress line helps

SAMPLE: Final = "sample_partners.csv"


class InputError(Exception):
    """Input the command cannot use at all (exit code 2)."""


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with a header rule, columns padded to their widest cell."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *cells, strict=True)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(width) for v, width in zip(values, widths, strict=True)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


# --------------------------------------------------------------------------------------------------
# catalog, diagram, policy


def _run_catalog(_: argparse.Namespace, out: TextIO, __: TextIO) -> int:
    headers = ("code", "first category", "secondary category", "partner role", "status")
    rows = [
        (
            category.code,
            category.first_category.label,
            category.name,
            category.role.label,
            "legacy (discontinued)" if category.legacy else "current",
        )
        for category in DEFAULT_CATALOG
    ]
    print(render_table(headers, rows), file=out)
    return OK


def _run_diagram(_: argparse.Namespace, out: TextIO, __: TextIO) -> int:
    print(lifecycle.to_mermaid(), end="", file=out)
    return OK


def _run_policy(arguments: argparse.Namespace, out: TextIO, _: TextIO) -> int:
    policy = _policy(arguments.file or arguments.policy)
    source = arguments.file or arguments.policy or "the default policy (the 2024 US upgrade)"
    print(f"# {source}: valid", file=out)
    print(f"# upgrade takes effect:        {policy.upgrade_at.isoformat()}", file=out)
    print(
        f"# new seller authorisation until: {policy.authorization_cutoff_at.isoformat()}", file=out
    )
    print(f"# new partners registered from: {policy.new_partners_from_at.isoformat()}", file=out)
    print(policy.to_toml(), end="", file=out)
    return OK


def _policy(path: str | None) -> Policy:
    if not path:
        return DEFAULT_POLICY
    try:
        return Policy.load(path)
    except ValidationError as error:
        raise InputError(f"policy {path}: {error}") from None


# --------------------------------------------------------------------------------------------------
# check


def _instant(text: str | None, policy: Policy, now: Callable[[], dt.datetime]) -> dt.datetime:
    if text is None:
        return now().astimezone(policy.time_zone)
    try:
        return policy.instant(text)
    except ValueError as error:
        raise InputError(f"--at {text!r}: {str(error).splitlines()[-1].strip(' -')}") from None


def _read_rows(path: str | None, input_format: str | None) -> tuple[list[Any], list[int], str]:
    """The rows of ``path`` (the shipped sample when ``None``), their line numbers, and a label."""
    if path is None:
        text = (
            importlib.resources.files("partner_onboarding")
            .joinpath("data", SAMPLE)
            .read_text(encoding="utf-8")
        )
        rows, lines = _csv_rows(text)
        return rows, lines, f"the shipped sample ({SAMPLE})"
    try:
        text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    kind = input_format or ("jsonl" if path.endswith((".jsonl", ".ndjson", ".json")) else "csv")
    rows, lines = _jsonl_rows(text) if kind == "jsonl" else _csv_rows(text)
    return rows, lines, path


def _csv_rows(text: str) -> tuple[list[Any], list[int]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[Any] = []
    lines: list[int] = []
    first = 2
    try:
        for row in reader:
            rows.append({key: value for key, value in row.items() if key is not None})
            lines.append(first)
            first = reader.line_num + 1
    except csv.Error as error:
        raise InputError(f"line {reader.line_num}: not CSV ({error})") from None
    if reader.fieldnames is None:
        raise InputError("the CSV file is empty (it needs a header line)")
    return rows, lines


def _jsonl_rows(text: str) -> tuple[list[Any], list[int]]:
    rows: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as error:
            rows.append(_NotJson(str(error)))
        lines.append(number)
    return rows, lines


class _NotJson:
    """A line that is not JSON: checked as a bad row, so the others go on."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _run_check(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    policy = _policy(arguments.policy)
    at = _instant(arguments.at, policy, arguments.now)
    rows, lines, label = _read_rows(arguments.file, arguments.input_format)
    for row in rows:
        if isinstance(row, dict) and arguments.question:
            row["question"] = arguments.question
    bad = [
        (lines[i], f"not JSON ({row.reason})")
        for i, row in enumerate(rows)
        if isinstance(row, _NotJson)
    ]
    checkable = [(i, row) for i, row in enumerate(rows) if not isinstance(row, _NotJson)]
    records = []
    progress = _Progress(err, total=len(checkable)) if len(checkable) > PROGRESS_FROM else None
    for record in iter_check_rows(
        (row for _, row in checkable), at=at, policy=policy, on_error="record"
    ):
        line = lines[checkable[record["row"]][0]]
        if record["error"] is not None:
            bad.append((line, record["error"]))
            continue
        records.append({"line": line, **record})
        if progress is not None:
            progress.step()
    if progress is not None:
        progress.done()

    header = f"# {label}, checked at {at.isoformat()} ({policy.zone})"
    if arguments.format == "table":
        print(header, file=out)
        print(_table(records), file=out)
        refused = sum(1 for r in records if not r["allowed"])
        print(f"# {len(records)} answers, {refused} refused, {len(bad)} bad rows", file=out)
    else:
        print(header, file=err)
        (_write_json if arguments.format == "json" else _write_csv)(records, out)
    for line, problem in sorted(bad):
        print(f"line {line}: {problem}", file=err)
    if bad:
        return BAD_INPUT
    if arguments.fail_on_refusal and any(not r["allowed"] for r in records):
        return REFUSED
    return OK


_COLUMNS: Final = ("line", *(f for f in RECORD_FIELDS if f not in {"row", "error"}))


def _table(records: Iterable[dict[str, Any]]) -> str:
    headers = (
        "line",
        "partner",
        "category",
        "market",
        "question",
        "answer",
        "reasons",
        "changes at",
    )
    rows = [
        (
            r["line"],
            r["partner_id"],
            r["category"],
            r["market"],
            r["question"],
            "allowed" if r["allowed"] else "REFUSED",
            r["reason_codes"].replace(";", ", "),
            r["changes_at"].isoformat(timespec="minutes") if r["changes_at"] else "-",
        )
        for r in records
    ]
    return render_table(headers, rows)


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    changes_at = record["changes_at"]
    return {
        key: (changes_at.isoformat() if changes_at else None)
        if key == "changes_at"
        else record[key]
        for key in _COLUMNS
    }


def _write_json(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    json.dump([_plain(r) for r in records], out, indent=1, ensure_ascii=False)
    out.write("\n")


def _write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(_plain(record))


class _Progress:
    """A progress line on standard error, only when it is a terminal."""

    def __init__(self, err: TextIO, *, total: int) -> None:
        self.err = err
        self.total = total
        self.count = 0
        self.live = bool(getattr(err, "isatty", lambda: False)())

    def step(self) -> None:
        self.count += 1
        if self.live and self.count % 50_000 == 0:
            self.err.write(f"\rchecked {self.count:,} answers for {self.total:,} rows")
            self.err.flush()

    def done(self) -> None:
        if self.live:
            self.err.write("\r" + " " * 60 + "\r")
            self.err.flush()


# --------------------------------------------------------------------------------------------------
# explain


def _run_explain(arguments: argparse.Namespace, out: TextIO, _: TextIO) -> int:
    policy = _policy(arguments.policy)
    at = _instant(arguments.at, policy, arguments.now)
    row = _explained_row(arguments)
    print(f"partner {row['partner_id']}, registered {row['registered_at']}", file=out)
    print(f"category {row['category']}, market {row.get('market') or 'US'}", file=out)
    print(f"at {at.isoformat()} ({policy.zone})", file=out)
    for question in Question:
        try:
            decision = decide_row(row, question, at=at, policy=policy)
        except ValidationError as error:
            raise InputError(str(error)) from None
        _print_decision(question, decision, out)
    return OK


def _explained_row(arguments: argparse.Namespace) -> dict[str, Any]:
    if arguments.partner:
        rows, _, label = _read_rows(arguments.file, arguments.input_format)
        matches = [
            r
            for r in rows
            if isinstance(r, dict)
            and str(r.get("partner_id")) == arguments.partner
            and (
                arguments.category is None or _same_category(r.get("category"), arguments.category)
            )
        ]
        if not matches:
            raise InputError(f"no row for partner {arguments.partner!r} in {label}")
        row = dict(matches[0])
        if arguments.category:
            row["category"] = arguments.category
        return row
    if not arguments.registered_at or not arguments.category:
        raise InputError(
            "give --partner (with a file, or the sample), or --registered-at and --category"
        )
    return {
        "partner_id": "-",
        "registered_at": arguments.registered_at,
        "category": arguments.category,
        "market": arguments.market,
        "status": arguments.status,
    }


def _same_category(raw: object, wanted: str, catalog: Catalog = DEFAULT_CATALOG) -> bool:
    try:
        return catalog.category(str(raw)) is catalog.category(wanted)
    except OnboardingError:
        return False


def _print_decision(question: Question, decision: Decision, out: TextIO) -> None:
    print(f"\n{question.value}: {'ALLOWED' if decision.allowed else 'REFUSED'}", file=out)
    for reason in decision.reasons:
        print(f"  - {reason.code}: {reason.message} [rule: {reason.rule}]", file=out)
    print(f"  decided by: {decision.decided_by}", file=out)
    changes = decision.changes_at.isoformat() if decision.changes_at else "never (time alone)"
    print(f"  next change: {changes}", file=out)


# --------------------------------------------------------------------------------------------------
# The parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partner-onboarding",
        description="TikTok Shop Partner Center (US) onboarding rules.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    catalog = commands.add_parser("catalog", help="print the service catalog as a table")
    catalog.set_defaults(run=_run_catalog)

    def inputs(command: argparse.ArgumentParser, *, file_help: str) -> None:
        command.add_argument("file", nargs="?", help=file_help)
        command.add_argument(
            "--input-format", choices=("csv", "jsonl"), help="default: from the file's suffix"
        )
        command.add_argument("--policy", metavar="FILE", help="a policy file (.toml or .json)")
        command.add_argument(
            "--at",
            metavar="WHEN",
            help="an ISO date (the start of that day in the policy's zone) or date-time with an "
            "offset; default: now",
        )

    check = commands.add_parser(
        "check", help="check rows of partners against the policy (default: the shipped sample)"
    )
    inputs(check, file_help="a CSV or JSON Lines file ('-' for standard input)")
    check.add_argument("--format", choices=("table", "json", "csv"), default="table")
    check.add_argument(
        "--question", help="register or authorize_seller, in any spelling (default: both)"
    )
    check.add_argument(
        "--fail-on-refusal", action="store_true", help="exit 1 when any answer is a refusal"
    )
    check.set_defaults(run=_run_check)

    explain = commands.add_parser("explain", help="every reason for one partner and category")
    inputs(explain, file_help="where to find --partner (default: the shipped sample)")
    explain.add_argument("--partner", metavar="ID", help="a partner_id of the file or sample")
    explain.add_argument("--category", metavar="NAME")
    explain.add_argument("--registered-at", metavar="WHEN")
    explain.add_argument("--market", default="US")
    explain.add_argument("--status", default="", help="the application status in the category")
    explain.set_defaults(run=_run_explain)

    diagram = commands.add_parser("diagram", help="print the review state machine (Mermaid)")
    diagram.set_defaults(run=_run_diagram)

    policy = commands.add_parser("policy", help="show the policy, or check a policy file")
    policy.add_argument("file", nargs="?", help="a policy file (.toml or .json) to check")
    policy.add_argument("--policy", help=argparse.SUPPRESS)
    policy.set_defaults(run=_run_policy)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    ``now`` gives the current instant (default: the system clock), for ``--at``'s default.
    """
    arguments = _parser().parse_args(argv)
    arguments.now = now or (lambda: dt.datetime.now(dt.UTC))
    out, err = out or sys.stdout, err or sys.stderr
    try:
        code: int = arguments.run(arguments, out, err)
    except InputError as error:
        print(f"partner-onboarding: {error}", file=err)
        return BAD_INPUT
    return code


def run() -> None:
    """The console script: :func:`main` with the process's arguments, as the exit status."""
    sys.exit(main())
