"""The ``partner-onboarding`` command line (also ``python -m partner_onboarding``).

Sub-commands:

- ``catalog``: the service catalog as a table (current and legacy categories, with roles).
- ``check [FILE]``: the policy's answers for every row of a CSV or JSON Lines file (columns as in
  :mod:`partner_onboarding.batch`); without a file, for the shipped sample.
- ``explain``: one partner, one category, one instant: every reason and the next change.
- ``diagram``: the review state machine as a Mermaid diagram.
- ``policy [FILE]``: the effective policy, or a policy file checked and shown.
- ``profile FILE``: a stored partner's profile page (company entity info, service category info,
  add category & market), what is due, and the role switch.

Exit codes: 0 done; 1 some row was refused and ``--fail-on-refusal`` was given; 2 bad input (the
good rows are still checked and printed; the bad ones are named on standard error with their line
number and field).

This module is the edge of the library: it reads files and the clock (the default ``--at`` is now,
in the policy's zone); the core never does.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import functools
import importlib.resources
import io
import json
import math
import os
import pathlib
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, ClassVar, Final, TextIO

import partner_onboarding
from partner_onboarding import _documents, _files, lifecycle, serde, standing
from partner_onboarding.batch import RECORD_FIELDS, decide_row, iter_check_rows
from partner_onboarding.catalog import DEFAULT_CATALOG, Catalog, load_catalog, parse_member
from partner_onboarding.engine import RowReader
from partner_onboarding.errors import OnboardingError, ValidationError
from partner_onboarding.model import EventKind, Partner
from partner_onboarding.policy import (
    DEFAULT_POLICY,
    Bars,
    Decision,
    Policy,
    Question,
    iana_zone,
)

if TYPE_CHECKING:
    import polars as pl

    from partner_onboarding._columnar_check import Answering

__all__ = ["main", "render_table", "run"]

OK: Final = 0
REFUSED: Final = 1
BAD_INPUT: Final = 2
#: Standard input is closed (sysexits' EX_NOINPUT).
NO_INPUT: Final = 66
#: The output cannot be written: standard output closed, a full disk, an encoding that cannot
#: write a character of the answer (sysexits' EX_IOERR).
OUTPUT_ERROR: Final = 74
PROGRESS_FROM: Final = 100_000  # rows; below this a check is over before a progress line helps

SAMPLE: Final = "sample_partners.csv"


class InputError(Exception):
    """Input the command cannot use at all (exit code 2)."""


class NoInputError(Exception):
    """The input named cannot be opened at all: standard input closed (exit code 66)."""


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with a header rule, columns padded to their widest cell. A row with
    another number of cells than ``headers`` is refused (:class:`ValidationError`, naming it)."""
    cells = [[str(cell) for cell in row] for row in rows]
    for number, row in enumerate(cells):
        if len(row) != len(headers):
            reason = f"has {len(row)} cells for {len(headers)} columns"
            raise ValidationError.single(f"rows[{number}]", reason, what="table")
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
    policy = _policy(arguments.file or arguments.policy, arguments.catalog)
    source = arguments.file or arguments.policy or "the default policy (the 2024 US upgrade)"
    print(f"# {source}: valid", file=out)
    compiled = policy.compiled
    for number, rule in enumerate(policy.rules, 1):
        names = ", ".join(policy.catalog.category(code).name for code in rule.categories)
        starts = compiled.when(rule.from_).isoformat()
        if rule.question is Question.AUTHORIZE_SELLER:
            what = "no new seller authorisation"
        elif rule.bars is Bars.EVERYONE:
            what = "nobody opens a new application"
        else:
            registered = compiled.when(rule.registered_from or rule.from_).isoformat()
            what = f"partners registered from {registered} cannot register"
        print(f"# rule {number}, from {starts}: {what} in {names}", file=out)
    print(policy.to_toml(), end="", file=out)
    return OK


_CATALOG_HELP: Final = (
    "a catalog file (.toml or .json): the default catalog and the categories it adds, such as a"
    " newly discontinued (legacy) one that --policy names"
)


def _policy(path: str | None, catalog_path: str | None = None) -> Policy:
    catalog = DEFAULT_CATALOG
    if catalog_path:
        try:
            catalog = load_catalog(catalog_path)
        except ValidationError as error:
            raise InputError(f"catalog {catalog_path}: {error}") from None
    if not path:
        if catalog is DEFAULT_CATALOG:
            return DEFAULT_POLICY
        raise InputError(f"--catalog {catalog_path}: a catalog of its own needs --policy FILE")
    try:
        return Policy.load(path, catalog=catalog)
    except ValidationError as error:
        raise InputError(f"policy {path}: {error}") from None


# --------------------------------------------------------------------------------------------------
# check


def _instant(text: str | None, policy: Policy, now: Callable[[], dt.datetime]) -> dt.datetime:
    if text is None:  # (now, to the second: the header says the instant the answers are at)
        return now().replace(microsecond=0).astimezone(policy.time_zone)
    try:
        instant = policy.instant(text)
        RowReader(policy, instant)  # (an instant rows cannot be answered at is refused here)
    except ValueError as error:
        raise InputError(f"--at {text!r}: {str(error).splitlines()[-1].strip(' -')}") from None
    return instant


def _open_input(path: str | None) -> tuple[IO[bytes], str, int | None]:
    """The binary stream of ``path`` (the shipped sample when ``None``, standard input for
    ``-``), a label for messages, and its size in bytes when known (for progress)."""
    if path is None:
        data = importlib.resources.files("partner_onboarding").joinpath("data", SAMPLE)
        return io.BytesIO(data.read_bytes()), "the shipped sample", None
    if path == "-":
        stdin = sys.stdin
        if stdin is None or stdin.closed:
            raise NoInputError("standard input is closed")
        buffer = getattr(stdin, "buffer", None)
        if buffer is None:  # a text stream (tests, embedding): its text, as UTF-8
            return io.BytesIO(stdin.read().encode("utf-8", "surrogateescape")), "<stdin>", None
        return buffer, "<stdin>", None
    try:
        stream = pathlib.Path(path).open("rb")  # noqa: SIM115  (closed by the caller)
        size = pathlib.Path(path).stat().st_size
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    return stream, path, size or None


def _input_kind(path: str | None, given: str | None) -> str | None:
    if given is not None:
        return given
    if path is not None and path.endswith((".parquet", ".pq")):
        return "parquet"
    if path is not None and path.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if path is not None and path.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return None  # standard input or another name: told by the first character


def _read_rows(
    path: str | None, input_format: str | None, encoding: str | None = None
) -> tuple[list[Any], list[int], str]:
    """Every good row of ``path`` with its line (for ``explain``, which looks one partner up)."""
    stream, label, _ = _open_input(path)
    with stream:
        rows, _ = _rows_of(stream, label, path, input_format, None, encoding=encoding)
        found = [row for row in rows if row.cells is not None]
    return [row.cells for row in found], [row.line for row in found], label


def _rows_of(
    stream: IO[bytes],
    label: str,
    path: str | None,
    input_format: str | None,
    delimiter: str | None,
    *,
    encoding: str | None = None,
) -> tuple[Iterable[_files.Row], IO[bytes]]:
    """The rows of an opened input (CSV, JSON Lines or Parquet), and the stream whose position
    tells the progress. Text in another encoding than UTF-8 (``encoding``, or a UTF-16 or UTF-32
    byte-order mark) is read as UTF-8."""
    kind = _input_kind(path, input_format)
    peek = getattr(stream, "peek", None)
    if kind is None and peek is not None and path not in {None, "-"}:
        kind = "parquet" if peek(4)[:4] == b"PAR1" else None
    try:
        if kind == "parquet":
            if path in {None, "-"}:
                raise InputError("Parquet is read from a file, not from standard input")
            return _files.read_parquet_rows(str(path)), io.BytesIO()
        try:
            recoded = _files.text_stream(stream, encoding)
        except LookupError:
            shown = _files.plain_text(str(encoding))[:40]
            raise InputError(f"--encoding {shown!r} is not a text encoding Python knows") from None
        if recoded is not None:
            text, charset = recoded
            rows = _files.read_rows(text, kind=kind, delimiter=delimiter, charset=charset)
            return rows, stream
        return _files.read_rows(stream, kind=kind, delimiter=delimiter), stream
    except _files.HeaderError as error:
        raise InputError(f"{label}: {error}") from None


def _run_check(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    policy = _policy(arguments.policy, arguments.catalog)
    at = _instant(arguments.at, policy, arguments.now)
    stream, label, size = _open_input(arguments.file)
    with stream:
        rows, position = _rows_of(
            stream,
            label,
            arguments.file,
            arguments.input_format,
            arguments.delimiter,
            encoding=arguments.encoding,
        )
        progress = Progress(err, position, size if position is stream else None)
        return _check_stream(arguments, rows, at, policy, label, out, err, progress)


def _check_stream(  # noqa: PLR0917
    arguments: argparse.Namespace,
    rows: Iterable[_files.Row],
    at: dt.datetime,
    policy: Policy,
    label: str,
    out: TextIO,
    err: TextIO,
    progress: Progress,
) -> int:
    """Answer the rows, and write each answer as it is made: a CSV file's clean pieces through
    the columnar path (when Polars is installed and ``--row-by-row`` is not given), the rest as
    each row is read."""
    current = [0]
    cells: list[dict[str, Any]] = [{}]  # (the row being answered: its inputs, for a table)
    readings = _readings(arguments)
    counts = {"answers": 0, "refused": 0, "bad": 0}

    def good_rows(rows: Iterable[_files.Row]) -> Iterator[dict[str, Any]]:
        for row in rows:
            if row.cells is None:
                counts["bad"] += 1
                _bad(err, row.line, "; ".join(row.problems))
                continue
            if arguments.question:
                row.cells["question"] = arguments.question
            if readings is not None and (problem := _read_registration(row.cells, readings)):
                counts["bad"] += 1
                _bad(err, row.line, problem)
                continue
            current[0] = row.line
            cells[0] = row.cells
            yield row.cells

    header = f"# {label}, checked at {at.isoformat()} ({policy.zone})"
    writer = _WRITERS[arguments.format](out)  # (before any row: a writer may refuse the output)
    if isinstance(writer, _TableWriter):  # (a report: it says what it checked, first)
        writer.begin(header, policy, arguments.question)
    else:
        print(header, file=err)
    with contextlib.closing(writer):  # (what it holds let go, even if writing fails)
        writer.start()
        native = type(writer) in _COLUMNAR_WRITERS and readings is None
        columnar = native and not arguments.row_by_row
        if columnar:
            from partner_onboarding._columnar_check import Answering  # noqa: PLC0415  (when needed)

            answering = Answering(
                at, policy, arguments.question, writer, functools.partial(_bad, err), progress
            )
            rows = _natively(rows, answering, counts)
        for record in iter_check_rows(good_rows(rows), at=at, policy=policy, on_error="record"):
            if record["error"] is not None:
                counts["bad"] += 1
                _bad(err, current[0], record["error"])
                continue
            record["line"] = current[0]
            record["registered_at"] = cells[0].get("registered_at")
            record["status"] = cells[0].get("status")
            counts["answers"] += 1
            counts["refused"] += not record["allowed"]
            writer.write(record)
            if counts["answers"] == 1:
                out.flush()  # the first answer out at once, whatever the size of the input
            progress.step(counts["answers"])
        progress.done()
        writer.end(counts)
    if counts["bad"]:
        return BAD_INPUT
    if arguments.fail_on_refusal and counts["refused"]:
        return REFUSED
    return OK


def _natively(
    rows: Iterable[_files.Row],
    answering: Answering,
    counts: dict[str, int],
) -> Iterable[_files.Row]:
    """Answer what the columnar path can read of ``rows`` (a UTF-8 CSV file's plain chunks, a
    Parquet file's batches of plain columns) natively; the rest comes back, in its place, to be
    read row by row."""
    if isinstance(rows, _files.CsvRows) and rows.charset == "UTF-8":
        from partner_onboarding import _columnar_check  # noqa: PLC0415  (Polars, if installed)

        return _columnar_check.answer(rows, answering, counts)
    if isinstance(rows, _files.ParquetRows):
        from partner_onboarding import _columnar_check  # noqa: PLC0415

        return _columnar_check.answer_parquet(rows, answering, counts)
    return rows


def _readings(arguments: argparse.Namespace) -> _files.Readings | None:
    """How ``--date-format`` and ``--assume-zone`` say registrations are written, if they do."""
    form, zone = arguments.date_format, arguments.assume_zone
    if form is None and zone is None:
        return None
    if form is not None and form not in _files.DATE_FORMS and "%" not in form:
        raise InputError(
            f"--date-format {_files.plain_text(form)!r}: a strptime pattern ('%d.%m.%Y'), "
            f"or one of {', '.join(_files.DATE_FORMS)}"
        )
    try:
        chosen = None if zone is None else iana_zone(zone, field="--assume-zone")
    except ValidationError as error:
        raise InputError(str(error.problems[0])) from None
    return _files.Readings(zone=chosen, date_format=form)


def _read_registration(cells: dict[str, Any], readings: _files.Readings) -> str | None:
    """Read the row's ``registered_at`` as ``readings`` say, in place; what is wrong with it
    when it cannot be."""
    value, problem = readings.registered(cells.get("registered_at"))
    if problem is not None:
        return f"registered_at: {problem}"
    cells["registered_at"] = value
    return None


def _bad(err: TextIO, line: int, problem: str) -> None:
    print(f"line {line}: {_files.plain_text(problem)}", file=err)


_COLUMNS: Final = ("line", *(f for f in RECORD_FIELDS if f not in {"row", "error"}))


class Writer:
    """Writes answers. A writer of text says how a record becomes its cells (:meth:`cells`),
    and how those cells are written: the whole line (:meth:`write`), or in three parts joined by
    :attr:`SEPARATOR` (:meth:`parts`) — the row's own (line, partner), the combination's
    (category, market, question) and the decision's (the answer's fields) — for the columnar
    path, which writes each combination's and decision's part once and rows gather them.
    :attr:`ORDINARY` matches the partner ids whose row part :meth:`row_expression` writes in
    native code; any other id's part is written by :meth:`parts`."""

    SEPARATOR: ClassVar[str] = ""
    ORDINARY: ClassVar[str] = ""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def start(self) -> None:
        """Before the first answer."""

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def parts(self, record: dict[str, Any]) -> tuple[str, str, str]:
        raise NotImplementedError

    @staticmethod
    def row_expression(lines: pl.Expr, partners: pl.Expr) -> pl.Expr:
        """The row part of an ordinary partner id, in native code."""
        raise NotImplementedError

    def end(self, counts: dict[str, int]) -> None:
        """After the last answer."""

    def close(self) -> None:
        """Let go of what the writer holds, whether or not it got to its end."""


def _fit(cell: str, width: int) -> str:
    """``cell`` in exactly ``width`` characters: padded, or cut with an ellipsis."""
    return (cell if len(cell) <= width else cell[: width - 1] + "…").ljust(width)


class _TableWriter(Writer):
    """A report for people. It opens with what was checked and a summary of the answers, each
    distinct answer numbered and said in words; then a line for each input row: its inputs
    (partner, registration instant in the policy's zone, status, category) beside its answer to
    each question, as ``allowed`` or ``REFUSED`` and the number of its words in the summary.

    The summary counts every answer, so the rows are written after it: they wait in a temporary
    file (in memory up to :data:`TABLE_IN_MEMORY`, then on disk), so memory stays flat whatever
    the size of the input. Answers are read row by row (no columnar path)."""

    HEADERS: Final = ("line", "partner", "registered", "status", "category")
    WIDTHS: Final = (5, 10, 16, 14, 27, 9, 16)
    SEPARATOR = "  "

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.rows: Any = tempfile.SpooledTemporaryFile(  # noqa: SIM115  (closed by close())
            max_size=TABLE_IN_MEMORY, mode="w+", encoding="utf-8", newline="\n"
        )
        # (for each question, each distinct answer's number, and how many rows got it)
        self.numbers: dict[str, dict[tuple[bool, str], int]] = {}
        self.tally: dict[str, dict[int, int]] = {}
        self.pending: tuple[tuple[str, ...], dict[str, str]] | None = None
        self.header = ""
        self.asked: tuple[str, ...] = tuple(question.value for question in Question)
        self.policy: Policy | None = None

    def begin(self, header: str, policy: Policy, question: str | None) -> None:
        """What the report says it checked, and which questions it has columns for."""
        self.header, self.policy = header, policy
        if question is not None:
            with contextlib.suppress(ValidationError):  # (else each row says what is wrong)
                self.asked = (parse_member(Question, question, field="question").value,)

    def write(self, record: dict[str, Any]) -> None:
        numbers = self.numbers.setdefault(record["question"], {})
        key = (bool(record["allowed"]), _words(record))
        number = numbers.setdefault(key, len(numbers) + 1)
        tally = self.tally.setdefault(record["question"], {})
        tally[number] = tally.get(number, 0) + 1
        inputs = self.inputs(record)
        if self.pending is not None and self.pending[0] != inputs:
            self.flush()
        if self.pending is None:
            self.pending = (inputs, {})
        answer = "allowed" if record["allowed"] else "REFUSED"
        self.pending[1][record["question"]] = f"{answer} {number}"

    def inputs(self, record: dict[str, Any]) -> tuple[str, ...]:
        registered = record.get("registered_at")
        shown = "-"
        if registered not in {None, ""} and self.policy is not None:
            try:
                instant = self.policy.instant(registered)
            except (OnboardingError, TypeError):
                shown = _files.plain_text(str(registered))
            else:
                zone = self.policy.compiled.zone
                shown = instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        status = record.get("status")
        return (
            str(record["line"]),
            _files.plain_text(str(record["partner_id"])),
            shown,
            "-" if status in {None, ""} else _files.plain_text(str(status)),
            record["category"],
        )

    def flush(self) -> None:
        if self.pending is not None:
            inputs, answers = self.pending
            cells = [*inputs, *(answers.get(question, "-") for question in self.asked)]
            print(self.line(cells), file=self.rows)
            self.pending = None

    def line(self, cells: Sequence[str]) -> str:
        """The cells in their columns; the last one as wide as it is."""
        fitted = [_fit(cell, width) for cell, width in zip(cells, self.WIDTHS, strict=False)]
        return "  ".join([*fitted[: len(cells) - 1], cells[-1]]).rstrip()

    def end(self, counts: dict[str, int]) -> None:
        self.flush()
        out = self.out
        print(self.header, file=out)
        answers, refused, bad = counts["answers"], counts["refused"], counts["bad"]
        print(
            f"# {answers} answer{'s' if answers != 1 else ''}: {answers - refused} allowed, "
            f"{refused} refused; {bad} bad row{'s' if bad != 1 else ''}"
            + (" (each named on standard error)" if bad else ""),
            file=out,
        )
        print("#", file=out)
        for question in self.asked:
            numbers, tally = self.numbers.get(question, {}), self.tally.get(question, {})
            if numbers:
                print(f"# {question}:", file=out)
            for (allowed, words), number in numbers.items():
                answer = "allowed" if allowed else "REFUSED"
                head = f"#  {number:>3}  {tally[number]:>7,}  {answer}  "
                wrapped = textwrap.wrap(words, width=100 - len(head), break_on_hyphens=False)
                print(head + wrapped[0], file=out)
                for more in wrapped[1:]:
                    print("#" + " " * (len(head) - 1) + more, file=out)
        print("#", file=out)
        headers = [*self.HEADERS, *self.asked]
        print(self.line(headers), file=out)
        rules = ["-" * width for width in self.WIDTHS[: len(headers) - 1]]
        print(self.line([*rules, "-" * len(headers[-1])]), file=out)
        self.rows.seek(0)
        shutil.copyfileobj(self.rows, out)

    def close(self) -> None:
        self.rows.close()


def _words(record: dict[str, Any]) -> str:
    """An answer's reasons in words, without its ``allowed``/``refused`` (the table says it)."""
    message = _files.plain_text(record["message"])
    codes = record["reason_codes"].split(";")
    for prefix in ("allowed: ", "refused: "):
        if message.startswith(prefix):
            words = message.removeprefix(prefix)
            break
    else:  # ("allowed until …": the reasons, by their codes in words, then until when)
        words = "; ".join(code.replace("_", " ") for code in codes)
        words += f"; {message.removeprefix('allowed ')}"
    return f"{words} ({', '.join(codes)})"


#: How much of a table's rows wait in memory before the rest waits on disk.
TABLE_IN_MEMORY: Final = 8 << 20


def _csv_line(cells: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


class _CsvWriter(Writer):
    """CSV with a header; a cell a spreadsheet would run as a formula is neutralised."""

    SEPARATOR = ","
    # (printable ASCII but the two characters CSV quotes, `,` and `"`; not starting as a formula)
    ORDINARY = r"^(?:[\x20\x21\x23-\x2a\x2e-\x3c\x3e\x3f\x41-\x7e][\x20\x21\x23-\x2b\x2d-\x7e]*)?$"

    def start(self) -> None:
        self.writer = csv.writer(self.out, lineterminator="\n")
        self.writer.writerow(_COLUMNS)

    @staticmethod
    def cells(record: dict[str, Any]) -> list[Any]:
        # Only the partner id is the input's own text; the other cells are the library's words.
        cells = _plain(record)
        cells[1] = _files.csv_cell(cells[1])
        return cells

    def write(self, record: dict[str, Any]) -> None:
        self.writer.writerow(self.cells(record))

    def parts(self, record: dict[str, Any]) -> tuple[str, str, str]:
        cells = self.cells(record)
        return _csv_line(cells[:2]), _csv_line(cells[2:5]), _csv_line(cells[5:])

    @staticmethod
    def row_expression(lines: pl.Expr, partners: pl.Expr) -> pl.Expr:
        import polars as pl  # noqa: PLC0415  (the columnar path has it)

        return pl.concat_str([lines.cast(pl.String), partners], separator=",")


def _json_text(value: dict[str, Any]) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    # U+2028 and U+2029 are valid in JSON but end a line for many readers: escaped.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _JsonLinesWriter(Writer):
    """JSON Lines: one object per answer, ``reason_codes`` a list; never ``NaN`` or ``Infinity``."""

    SEPARATOR = ", "
    ORDINARY = r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$"  # (printable ASCII JSON writes as it is)

    @staticmethod
    def cells(record: dict[str, Any]) -> dict[str, Any]:
        plain = dict(zip(_COLUMNS, _plain(record), strict=True))
        plain["reason_codes"] = record["reason_codes"].split(";")
        partner = plain["partner_id"]
        if isinstance(partner, str):
            plain["partner_id"] = _files.sanitize(partner)
        elif isinstance(partner, float) and not math.isfinite(partner):
            plain["partner_id"] = str(partner)
        return plain

    def write(self, record: dict[str, Any]) -> None:
        print(_json_text(self.cells(record)), file=self.out)

    def parts(self, record: dict[str, Any]) -> tuple[str, str, str]:
        items = list(self.cells(record).items())
        return (
            _json_text(dict(items[:2]))[:-1],
            _json_text(dict(items[2:5]))[1:-1],
            _json_text(dict(items[5:]))[1:],
        )

    @staticmethod
    def row_expression(lines: pl.Expr, partners: pl.Expr) -> pl.Expr:
        import polars as pl  # noqa: PLC0415  (the columnar path has it)

        return pl.concat_str(
            [
                pl.lit('{"line": '),
                lines.cast(pl.String),
                pl.lit(', "partner_id": "'),
                partners,
                pl.lit('"'),
            ]
        )


class _ParquetWriter(Writer):
    """Parquet on standard output (binary), a row group every :data:`PARQUET_GROUP` answers, so
    memory stays flat; ``reason_codes`` a list, ``changes_at`` a UTC timestamp. Needs pyarrow
    (the ``polars`` extra)."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        try:
            import pyarrow as pa  # noqa: PLC0415  (an optional extra)
            import pyarrow.parquet as pq  # noqa: PLC0415
        except ImportError:
            raise InputError(
                "--format parquet needs pyarrow: pip install 'partner-onboarding[polars]'"
            ) from None
        binary = getattr(out, "buffer", None)
        if binary is None:
            raise InputError("--format parquet writes bytes: standard output cannot take them")
        self.pa = pa
        self.schema = pa.schema(
            [
                ("line", pa.int64()),
                ("partner_id", pa.string()),
                ("category", pa.string()),
                ("market", pa.string()),
                ("question", pa.string()),
                ("allowed", pa.bool_()),
                ("reason", pa.string()),
                ("reason_codes", pa.list_(pa.string())),
                ("message", pa.string()),
                ("changes_at", pa.timestamp("us", tz="UTC")),
            ]
        )
        self.columns: dict[str, list[Any]] = {name: [] for name in self.schema.names}
        out.flush()
        self.writer = pq.ParquetWriter(pa.PythonFile(binary, mode="w"), self.schema)

    def write(self, record: dict[str, Any]) -> None:
        columns = self.columns
        for name in ("line", "category", "market", "question", "allowed", "reason", "message"):
            columns[name].append(record[name])
        columns["partner_id"].append(_files.sanitize(str(record["partner_id"])))
        columns["reason_codes"].append(record["reason_codes"].split(";"))
        columns["changes_at"].append(record["changes_at"])
        if len(columns["line"]) >= PARQUET_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.columns["line"]:
            self.writer.write_table(self.pa.table(self.columns, schema=self.schema))
            self.columns = {name: [] for name in self.schema.names}

    def end(self, counts: dict[str, int]) -> None:
        self.flush()
        self.writer.close()


#: How many answers a row group of Parquet output holds.
PARQUET_GROUP: Final = 65_536

#: The writers whose answers the columnar path writes (Parquet's are columns already; a table
#: reads each row's inputs beside its answers).
_COLUMNAR_WRITERS: Final = (_CsvWriter, _JsonLinesWriter)

_WRITERS: Final[dict[str, type[Writer]]] = {
    "table": _TableWriter,
    "csv": _CsvWriter,
    "json": _JsonLinesWriter,
    "jsonl": _JsonLinesWriter,
    "parquet": _ParquetWriter,
}


def _plain(record: dict[str, Any]) -> list[Any]:
    """The cells of an answer, in the order of :data:`_COLUMNS` (``changes_at`` as ISO text)."""
    changes_at = record["changes_at"]
    return [
        (changes_at.isoformat() if changes_at else None) if key == "changes_at" else record[key]
        for key in _COLUMNS
    ]


class Progress:
    """A progress line on standard error, only when it is a terminal: answers, rate, and the
    share of the input read when its size is known."""

    def __init__(self, err: TextIO, stream: IO[bytes], size: int | None) -> None:
        self.err = err
        self.stream = stream
        self.size = size
        self.live = bool(getattr(err, "isatty", lambda: False)())
        self.started = time.monotonic()

    def step(self, answers: int) -> None:
        """After each answer."""
        if self.live and answers % 50_000 == 0:
            self.show(answers)

    def show(self, answers: int) -> None:
        """After a batch of answers, or every 50 000."""
        if self.live:
            elapsed = max(time.monotonic() - self.started, 1e-9)
            share = ""
            if self.size:
                share = f", {100 * self.stream.tell() / self.size:.0f} % read"
            self.err.write(f"\r{answers:,} answers, {answers / elapsed:,.0f}/s{share}")
            self.err.flush()

    def done(self) -> None:
        if self.live:
            self.err.write("\r" + " " * 60 + "\r")
            self.err.flush()


# --------------------------------------------------------------------------------------------------
# explain


def _run_explain(arguments: argparse.Namespace, out: TextIO, _: TextIO) -> int:
    policy = _policy(arguments.policy, arguments.catalog)
    at = _instant(arguments.at, policy, arguments.now)
    readings = _readings(arguments)
    for number, row in enumerate(_explained_rows(arguments, policy.catalog)):
        if number:
            print(file=out)
        registered = _text(row["registered_at"])
        if readings is not None:
            raw = row.get("registered_at")
            problem = _read_registration(row, readings)
            if problem is not None:
                raise InputError(_files.plain_text(problem))
            value = row["registered_at"]
            if value is not raw and isinstance(value, dt.date):
                registered = f"{registered} (read as {value.isoformat()})"
        print(f"partner {_text(row['partner_id'])}, registered {registered}", file=out)
        market = _text(row.get("market") or "US")
        print(f"category {_text(row['category'])}, market {market}", file=out)
        print(f"at {at.isoformat()} ({policy.zone})", file=out)
        for question in Question:
            try:
                decision = decide_row(row, question, at=at, policy=policy)
            except ValidationError as error:
                raise InputError(str(error)) from None
            _print_decision(question, decision, out)
    return OK


def _explained_rows(arguments: argparse.Namespace, catalog: Catalog) -> list[dict[str, Any]]:
    """The rows ``explain`` explains: every row of ``--partner`` (in ``--category`` if given),
    or the one row its options describe."""
    if arguments.partner:
        rows, _, label = _read_rows(arguments.file, arguments.input_format, arguments.encoding)
        matches = [
            r
            for r in rows
            if isinstance(r, dict)
            and str(r.get("partner_id")) == arguments.partner
            and (
                arguments.category is None
                or _same_category(r.get("category"), arguments.category, catalog)
            )
        ]
        if not matches:
            raise InputError(f"no row for partner {arguments.partner!r} in {label}")
        rows = [dict(match) for match in matches]
        for row in rows if arguments.category else ():
            row["category"] = arguments.category
        return rows
    if not arguments.registered_at or not arguments.category:
        raise InputError(
            "give --partner (with a file, or the sample), or --registered-at and --category"
        )
    return [
        {
            "partner_id": "-",
            "registered_at": arguments.registered_at,
            "category": arguments.category,
            "market": arguments.market,
            "status": arguments.status,
        }
    ]


def _same_category(raw: object, wanted: str, catalog: Catalog) -> bool:
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
# profile


def _run_profile(arguments: argparse.Namespace, out: TextIO, _: TextIO) -> int:
    policy = _policy(arguments.policy, arguments.catalog)
    partner = _stored_partner(arguments.file, policy)
    at = _instant(arguments.at, policy, arguments.now)
    if at < partner.latest and arguments.at is None:
        # (a clock behind the partner's own: the page as it stands, in the policy's zone)
        at = partner.latest.astimezone(policy.time_zone)
    try:
        page = standing.profile(partner, at=at, policy=policy)
        due = standing.requirements(partner, at=at, policy=policy)
        roles = standing.role_switch(partner, at=at, policy=policy)
    except OnboardingError as error:
        raise InputError(f"--at {_text(arguments.at)}: {str(error).splitlines()[0]}") from None
    if arguments.format == "json":
        document = {
            "profile": serde.to_data(page),
            "requirements": serde.to_data(due),
            "role_switch": serde.to_data(roles),
        }
        print(json.dumps(document, ensure_ascii=False, indent=2), file=out)
        return OK
    _print_profile(page, due, roles, out)
    return OK


def _stored_partner(path: str, policy: Policy) -> Partner:
    stream, label, _ = _open_input(path)
    with stream:
        data = stream.read(_documents.MAX_DOCUMENT + 1)
    try:
        return serde.from_json(data, Partner, catalog=policy.catalog, policy=policy)
    except ValidationError as error:
        lines = [_files.plain_text(line.strip(" -")) for line in str(error).splitlines()]
        raise InputError(f"{label}: {lines[0]}: {'; '.join(lines[1:])}") from None


def _text(value: object) -> str:
    return "-" if value in (None, (), "") else _files.plain_text(str(value))


def _events(kinds: Sequence[EventKind]) -> str:
    return ", ".join(kind.value for kind in kinds) or "-"


def _print_profile(
    page: standing.Profile,
    due: standing.Requirements,
    roles: standing.RoleSwitch,
    out: TextIO,
) -> None:
    entity = page.entity
    agency = f"{page.agency_type.label} agency, registered in {page.registration_market}"
    print(f"Profile at {page.at.isoformat()} ({agency})", file=out)
    print("\n[Company entity info]", file=out)
    for label, value in (
        ("status", entity.status_label),
        ("legal name", entity.legal_name),
        ("EIN", entity.ein),
        ("address", entity.address),
        ("contact", entity.contact_name),
        ("rejection reasons", "; ".join(entity.rejection_reasons)),
        ("actions", _events(entity.actions)),
        ("waits on", entity.waits_on),
    ):
        print(f"  {label + ':':<19}{_text(value)}", file=out)
    print("\n[Service category info]", file=out)
    rows = [
        (
            row.category.name,
            row.market,
            row.status_label + (" (revision pending)" if row.pending_revision else ""),
            _events(row.actions),
            _text(row.waits_on),
            _text("; ".join(row.rejection_reasons)),
        )
        for row in page.categories
    ]
    headers = ("category", "market", "status", "actions", "waits on", "rejection reasons")
    print(render_table(headers, rows) if rows else "  (no application yet)", file=out)
    print("\n[Add category & market]", file=out)
    offers = [
        (
            offer.category.name,
            offer.market,
            "yes" if offer.allowed else "no",
            _text(offer.refusal),
            ", ".join(offer.decision.codes),
        )
        for offer in page.add_category
    ]
    print(render_table(("category", "market", "may apply", "why not", "policy"), offers), file=out)
    print("\n[What is due]", file=out)
    for label, items in (
        ("from the partner", due.currently_due),
        ("waiting on the platform", due.pending_review),
        ("blocked by the policy", due.blocked),
        ("closing", due.closing),
    ):
        print(f"  {label}:", file=out)
        for item in items:
            print(f"    - {_requirement(item)}", file=out)
        if not items:
            print("    (nothing)", file=out)
    changes = due.next_change_at.isoformat() if due.next_change_at else "never (time alone)"
    print(f"  next change: {changes}", file=out)
    print("\n[Role switch]", file=out)
    for view in roles.roles:
        shown = ", ".join(f"{e.category.name} ({e.market})" for e in view.entries)
        print(f"  {view.role.label}: {shown}", file=out)
    if not roles.roles:
        print("  (no approved category yet)", file=out)


def _requirement(item: standing.Requirement) -> str:
    if item.role is not None:
        what = f"choose a category of {item.role.label}"
    elif item.category is not None:
        what = f"{item.category.name} in {item.market}"
        what += f" ({item.application_id})" if item.application_id else ""
    else:
        what = "entity information"
    if item.decision is not None:
        question = (
            "new seller authorisation"
            if item.question is Question.AUTHORIZE_SELLER
            else ("registration")
        )
        return f"{what}: {question} {item.decision.message}"
    line = f"{what}: {_events(item.events)}"
    if item.reasons:
        line += " (rejected: " + _text("; ".join(item.reasons)) + ")"
    return line


# --------------------------------------------------------------------------------------------------
# The parser


def _delimiter(text: str) -> str:
    """A ``--delimiter``: one character; a tab also as the two characters ``\\t`` (what a shell
    passes when the user types them) or the word ``tab``."""
    if text in {"\\t", "tab"}:
        return "\t"
    if len(text) != 1 or text in {"\n", "\r", '"'}:
        raise argparse.ArgumentTypeError(
            f"{_files.plain_text(text)[:20]!r} is not a delimiter: one character, or \\t for a tab"
        )
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partner-onboarding",
        description="TikTok Shop Partner Center (US) onboarding rules.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {partner_onboarding.__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    catalog = commands.add_parser("catalog", help="print the service catalog as a table")
    catalog.set_defaults(run=_run_catalog)

    def inputs(command: argparse.ArgumentParser, *, file_help: str) -> None:
        command.add_argument("file", nargs="?", help=file_help)
        command.add_argument(
            "--input-format",
            choices=("csv", "jsonl", "parquet"),
            help="default: from the file's suffix, else from its first bytes",
        )
        command.add_argument(
            "--encoding",
            metavar="NAME",
            help="the text file's encoding (cp1252, latin-1, utf-16…); default: UTF-8, or UTF-16 "
            "or UTF-32 when the file starts with their byte-order mark",
        )
        command.add_argument(
            "--date-format",
            metavar="FORMAT",
            help="how registered_at is written when not ISO 8601: a strptime pattern "
            "('%%m/%%d/%%Y %%I:%%M %%p'), excel (serial days), epoch-s or epoch-ms",
        )
        command.add_argument(
            "--assume-zone",
            metavar="ZONE",
            help="the IANA zone whose wall clock a registered_at without an offset is "
            "(America/Los_Angeles)",
        )
        command.add_argument("--policy", metavar="FILE", help="a policy file (.toml or .json)")
        command.add_argument("--catalog", metavar="FILE", help=_CATALOG_HELP)
        command.add_argument(
            "--at",
            metavar="WHEN",
            help="an ISO date (the start of that day in the policy's zone) or date-time with an "
            "offset; default: now",
        )

    check = commands.add_parser(
        "check", help="check rows of partners against the policy (default: the shipped sample)"
    )
    inputs(
        check,
        file_help="a CSV, JSON Lines or Parquet file ('-': standard input, CSV or JSON Lines)",
    )
    check.add_argument(
        "--format",
        choices=("table", "json", "jsonl", "csv", "parquet"),
        default="table",
        help="table (default), json or jsonl (JSON Lines), csv, parquet (binary, on standard "
        "output; needs the polars extra)",
    )
    check.add_argument(
        "--delimiter",
        metavar="CHAR",
        type=_delimiter,
        help="the CSV delimiter, one character; \\t or tab for a tab (default: sniffed from the"
        " header)",
    )
    check.add_argument(
        "--question", help="register or authorize_seller, in any spelling (default: both)"
    )
    check.add_argument(
        "--fail-on-refusal", action="store_true", help="exit 1 when any answer is a refusal"
    )
    check.add_argument(
        "--row-by-row",
        action="store_true",
        help="answer each row in Python, never through Polars' columnar path (the least memory;"
        " the default takes that path for a CSV file when Polars is installed)",
    )
    check.set_defaults(run=_run_check)

    explain = commands.add_parser("explain", help="every reason for one partner and category")
    inputs(explain, file_help="where to find --partner (default: the shipped sample)")
    explain.add_argument("--partner", metavar="ID", help="a partner_id of the file or sample")
    explain.add_argument(
        "--category",
        metavar="NAME",
        help="the service category, in any spelling (with --partner: which of its rows)",
    )
    explain.add_argument(
        "--registered-at", metavar="WHEN", help="when the partner registered (without --partner)"
    )
    explain.add_argument("--market", default="US", help="the target market (default: US)")
    explain.add_argument("--status", default="", help="the application status in the category")
    explain.set_defaults(run=_run_explain)

    diagram = commands.add_parser("diagram", help="print the review state machine (Mermaid)")
    diagram.set_defaults(run=_run_diagram)

    shown = commands.add_parser(
        "profile", help="the profile page of a stored partner, and what is due"
    )
    shown.add_argument("file", help="a partner as written by to_json ('-' for standard input)")
    shown.add_argument("--policy", metavar="FILE", help="a policy file (.toml or .json)")
    shown.add_argument("--catalog", metavar="FILE", help=_CATALOG_HELP)
    shown.add_argument(
        "--at",
        metavar="WHEN",
        help="an ISO date or date-time with an offset; default: now (or the partner's latest "
        "event, if later)",
    )
    shown.add_argument(
        "--format", choices=("table", "json"), default="table", help="table (default) or json"
    )
    shown.set_defaults(run=_run_profile)

    policy = commands.add_parser("policy", help="show the policy, or check a policy file")
    policy.add_argument("file", nargs="?", help="a policy file (.toml or .json) to check")
    policy.add_argument("--policy", help=argparse.SUPPRESS)
    policy.add_argument("--catalog", metavar="FILE", help=_CATALOG_HELP)
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
    if out is None:  # (started with standard output closed: print would drop every answer)
        raise OutputError("standard output is closed")
    try:
        code: int = arguments.run(arguments, out, err)
    except InputError as error:
        # (every line neutralised: a message may quote what the user gave, escapes included)
        lines = [_files.plain_text(line) for line in str(error).splitlines()]
        print("partner-onboarding: " + "\n".join(lines), file=err)
        return BAD_INPUT
    return code


class OutputError(Exception):
    """The output cannot be written (exit code :data:`OUTPUT_ERROR`)."""


#: The exit status of an error the command did not expect (a bug): never 1, which means "refused".
INTERNAL_ERROR: Final = 70


#: Polars' allocator (jemalloc) keeps the pages it frees for a second or so before it gives them
#: back; a command that answers a piece of a file every few milliseconds has it give them back at
#: once, so that memory stays flat and low (docs/cli.md). The process's own setting, if any, is
#: kept; Polars adds it to its own settings when it is first loaded.
_ALLOCATOR_SETTING: Final = ("_RJEM_MALLOC_CONF", "muzzy_decay_ms:0")


def run() -> None:
    """The console script: :func:`main` with the process's arguments, as the exit status.

    A reader that closes the pipe (``| head``) ends the command quietly; an error the command did
    not expect is reported in one line and exits with :data:`INTERNAL_ERROR`. Polars' allocator
    is told to give back what it frees (:data:`_ALLOCATOR_SETTING`), unless the environment
    already says how it should work.
    """
    os.environ.setdefault(*_ALLOCATOR_SETTING)
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # (Python flushes stdout again at exit)
        code = OK
    except KeyboardInterrupt:
        code = 130
    except Exception as error:  # (the last line of defence: one line, and an exit code)
        code = _failure(error)
    sys.exit(code)


def _failure(error: Exception) -> int:
    """Say in one line what stopped the command, and the exit code that says it: the input or
    the output could not be used (the environment), or a bug (:data:`INTERNAL_ERROR`)."""
    if isinstance(error, NoInputError):
        return _say(str(error), NO_INPUT)
    if isinstance(error, OutputError):
        return _say(str(error), OUTPUT_ERROR)
    if isinstance(error, UnicodeEncodeError):
        encoding = getattr(sys.stdout, "encoding", None) or "?"
        character = ascii(error.object[error.start : error.start + 1])
        return _say(
            f"the output's encoding ({encoding}) cannot write {character}: "
            "set PYTHONIOENCODING=utf-8",
            OUTPUT_ERROR,
        )
    if isinstance(error, OSError):  # (writing: a full disk, a closed descriptor)
        reason = error.strerror or type(error).__name__
        return _say(f"cannot write the output: {reason}", OUTPUT_ERROR)
    if isinstance(error, ValueError) and (sys.stdout is None or sys.stdout.closed):
        return _say("standard output is closed", OUTPUT_ERROR)
    message = _files.plain_text(str(error))[:200]
    return _say(
        f"internal error: {type(error).__name__}: {message} (a bug: please report it, with the "
        "command that caused it, at the project's issue tracker)",
        INTERNAL_ERROR,
    )


def _say(message: str, code: int) -> int:
    """``message`` on standard error in one line, if standard error can be written; ``code``."""
    with contextlib.suppress(OSError, ValueError):  # (standard error gone too: the code says it)
        print(f"partner-onboarding: {message}", file=sys.stderr)
    return code
