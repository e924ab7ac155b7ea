"""Reading rows from real files, one at a time, and writing answers safely: the command line's edge.

Readers take a binary stream and yield :class:`Row` values lazily, so memory stays flat whatever
the size of the input. A real file is forgiven what real files do (a UTF-8 byte-order mark, a
semicolon or tab delimiter, blank lines, CRLF) and each row is checked on its own: a bad byte, an
over-long line, a cell too long, surplus or missing values cost only that row, reported with its
true line number and every problem found. A bad header is diagnosed once, before any row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final, Protocol, cast

import attrs

from partner_onboarding._documents import no_repeated_keys
from partner_onboarding._time import as_instant, instant_problem, is_day_text
from partner_onboarding.engine import COLUMNS, misspelled_columns
from partner_onboarding.errors import quote

__all__ = [
    "DATE_FORMS",
    "MAX_CELL",
    "MAX_LINE",
    "MAX_SKIPPED",
    "CsvRows",
    "HeaderError",
    "ParquetRows",
    "Readings",
    "Row",
    "csv_cell",
    "plain_text",
    "read_parquet_rows",
    "read_rows",
    "sanitize",
    "text_stream",
]

REQUIRED: Final = COLUMNS[:3]
#: A physical line longer than this (bytes) is a bad row, read no further.
MAX_LINE: Final = 1 << 20
#: How far past a line too long the reader looks for its end, before it stops reading.
MAX_SKIPPED: Final = 64 << 20
#: A cell longer than this (characters) is a bad row.
MAX_CELL: Final = 10_000
_DELIMITERS: Final = (",", ";", "\t", "|")
_BAD_BYTE: Final = re.compile("[\udc80-\udcff]")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def sanitize(text: str) -> str:
    """``text`` with each lone surrogate (from a JSON ``\\ud800``) replaced by U+FFFD, so that it
    can be written as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


class HeaderError(Exception):
    """A header the command cannot use: every problem, each with the closest known name."""


@attrs.frozen
class Row:
    """One input row: the line it starts on, its cells, and what is wrong with it already."""

    line: int
    cells: dict[str, Any] | None
    problems: tuple[str, ...] = ()


class _Readable(Protocol):
    def readline(self, limit: int = -1, /) -> bytes: ...


def _lines(stream: _Readable, *, start: int = 0) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each physical line; ``None`` for a line longer than MAX_LINE.

    Bytes that are not UTF-8 are kept as surrogate escapes, so the row that holds them can say
    so; a byte-order mark at the start is dropped. ``start``: the lines before the stream's
    position (its first line is ``start + 1``).
    """
    decode = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode
    number = start
    while True:
        chunk = stream.readline(MAX_LINE + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > MAX_LINE and not chunk.endswith(b"\n"):
            yield number, None
            if number == 1:
                return  # (a header or first record that long: nothing after it can be read)
            skipped = 0
            while chunk and not chunk.endswith(b"\n"):  # skip the rest of the line, bounded
                if skipped > MAX_SKIPPED:
                    return  # (no end of line in sight: not a text file, or a device)
                chunk = stream.readline(MAX_LINE)
                skipped += len(chunk)
            continue
        text = decode(chunk)
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text


def read_rows(
    stream: IO[bytes],
    *,
    kind: str | None = None,
    delimiter: str | None = None,
    charset: str = "UTF-8",
) -> Iterable[Row]:
    """The rows of ``stream``: JSON Lines when ``kind`` says so or the first character is ``{``,
    CSV otherwise (delimiter sniffed from the header unless given). ``charset`` names the
    file's encoding in the words of a row with a byte it cannot read (:func:`text_stream`
    gives a stream of another encoding as UTF-8).

    Raises :class:`HeaderError` before the first row when the CSV header cannot be used.
    """
    lines = _lines(stream)
    first = next(lines, None)
    if first is None:
        raise HeaderError("the input is empty (a CSV file needs a header line)")
    text = first[1]
    start = text.lstrip()[:1] if text is not None else ""
    if kind is None:
        kind = "jsonl" if start in {"{", "["} else "csv"
    if kind == "jsonl" and start == "[":
        return _json_array_rows(_chain(first, lines), charset)
    if kind == "jsonl":
        return _json_rows(_chain(first, lines), charset)
    if text is None:
        raise HeaderError(f"line 1: the header is longer than {MAX_LINE} bytes")
    return _csv_rows(text, lines, delimiter, stream, charset)


def _chain(first: tuple[int, str | None], rest: Iterator[tuple[int, str | None]]) -> Iterator[Any]:
    yield first
    yield from rest


def _json_rows(lines: Iterable[tuple[int, str | None]], charset: str) -> Iterator[Row]:
    for number, text in lines:
        if text is None:
            yield Row(number, None, (f"a line longer than {MAX_LINE} bytes",))
            continue
        if not text.strip():
            continue
        if _BAD_BYTE.search(text):
            yield Row(number, None, (f"not {charset}",))
            continue
        try:
            value = json.loads(text, object_pairs_hook=no_repeated_keys)
        except RecursionError:
            yield Row(number, None, ("not JSON (nested too deeply)",))
            continue
        except ValueError as error:
            yield Row(number, None, (f"not JSON ({str(error)[:80]})",))
            continue
        yield _json_row(number, value)


def _json_row(number: int, value: object) -> Row:
    """The row of one JSON value: an object of column names to single values."""
    if not isinstance(value, dict):
        return Row(number, None, ("must be a JSON object of column names to values",))
    nested = [
        key
        for key, cell in value.items()
        if isinstance(cell, dict) or (isinstance(cell, list) and key != "approved_categories")
    ]
    if nested:
        name = plain_text(str(nested[0]))[:40]
        return Row(number, None, (f"{name}: must be a single value, not a list or an object",))
    problems = _cell_problems(value)
    return Row(number, None if problems else value, problems)


#: The largest JSON array file read (it is read whole: JSON Lines streams, an array cannot).
MAX_JSON_ARRAY: Final = 64 << 20


def _json_array_rows(lines: Iterable[tuple[int, str | None]], charset: str) -> Iterator[Row]:
    # (read and checked now, before the first row: a file that is not an array is a header error)
    """The rows of a file that is one JSON array of objects (what DuckDB's ``ARRAY true`` and
    many exports write): read whole, up to :data:`MAX_JSON_ARRAY`; a row's line is its place in
    the array, from 1. A file that is not such an array is refused before any row."""
    parts: list[str] = []
    size = 0
    for number, text in lines:
        if text is None:
            raise HeaderError(f"line {number}: longer than {MAX_LINE} bytes (a JSON array file)")
        if _BAD_BYTE.search(text):
            raise HeaderError(f"line {number}: not {charset} (a JSON array file)")
        size += len(text)
        if size > MAX_JSON_ARRAY:
            raise HeaderError(
                f"a JSON array file over {MAX_JSON_ARRAY >> 20} MiB: write JSON Lines (one "
                "object a line), which is read a line at a time"
            )
        parts.append(text)
    try:
        value = json.loads("".join(parts), object_pairs_hook=no_repeated_keys)
    except RecursionError:
        raise HeaderError("not a JSON array (nested too deeply)") from None
    except ValueError as error:
        raise HeaderError(f"not a JSON array ({str(error)[:80]})") from None
    # (a list: the text starts with "[", as read_rows chose this reader for)
    return (_json_row(index, item) for index, item in enumerate(value, start=1))


def _csv_rows(
    header_text: str,
    lines: Iterator[tuple[int, str | None]],
    delimiter: str | None,
    stream: IO[bytes],
    charset: str,
) -> CsvRows:
    if delimiter is None:
        delimiter = max(_DELIMITERS, key=header_text.count)
    try:
        header = next(csv.reader([header_text], delimiter=delimiter), [])
    except csv.Error as error:  # (a carriage return alone inside the header, say)
        raise HeaderError(f"line 1: the header is not CSV ({error})") from None
    names = [name.strip() for name in header]
    _check_header(names)
    return CsvRows(names, delimiter, lines, stream, charset)


@attrs.frozen
class CsvRows:
    """The rows of a CSV input after its header: iterated, the rows from line 2. The command
    line's columnar path reads :attr:`stream` itself, in chunks, and hands the rest back with
    :meth:`resumed` when a chunk needs this reader's care."""

    names: list[str]
    delimiter: str
    lines: Iterator[tuple[int, str | None]]
    stream: IO[bytes]
    charset: str = "UTF-8"

    def __iter__(self) -> Iterator[Row]:
        return _csv_body(self.names, self.lines, self.delimiter, charset=self.charset)

    def resumed(self, head: bytes, line: int) -> Iterator[Row]:
        """The rows from ``head`` (bytes already read, whole lines, starting at line
        ``line + 1``) and then from the rest of the stream."""
        lines = _lines(_Resumed(head, self.stream), start=line)
        return _csv_body(self.names, lines, self.delimiter, start=line + 1, charset=self.charset)


class _Resumed:
    """``head``, then ``rest``, read by lines (``head`` ends at the end of a line)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = io.BytesIO(head)
        self.rest = rest

    def readline(self, limit: int = -1, /) -> bytes:
        line = self.head.readline(limit)
        if not line:
            return self.rest.readline(limit)
        if not line.endswith(b"\n") and (limit < 0 or len(line) < limit):  # (``head`` ended)
            line += self.rest.readline(limit - len(line) if limit >= 0 else -1)
        return line


def _check_header(names: list[str]) -> None:
    problems = []
    known = {name.casefold(): name for name in COLUMNS}
    seen: set[str] = set()
    for name in names:
        key = name.casefold()
        if key in seen and key in known:
            problems.append(f"column {name!r} appears twice")
        seen.add(key)
    problems += misspelled_columns(names, fold_case=True)
    problems += [f"missing column {name!r}" for name in REQUIRED if name not in seen]
    if problems:
        raise HeaderError("the header line cannot be used: " + "; ".join(problems))


class _OpenQuote(Exception):  # (a signal within the reader, never raised out of it)
    """A quoted cell has run past :data:`MAX_QUOTED_LINES` lines."""


class _Texts:
    """The lines the CSV reader reads, with what the rows need to know of them: the number of
    the last line read, the lines longer than the bound, the last line worth a closer look (a
    byte that is not UTF-8, a long text), and the lines the row being read has taken, so that
    they can be read again when a quote was left open."""

    def __init__(self, lines: Iterator[tuple[int, str | None]], start: int) -> None:
        self.lines = lines
        self.number = start - 1
        self.oversized: set[int] = set()
        self.suspect = 0
        self.taken: list[tuple[int, str | None]] = []
        self.again: list[tuple[int, str | None]] = []

    def __iter__(self) -> Iterator[str]:
        # (the lines are pulled one by one, not delegated to: when the reader is dropped for a
        # quote left open, this generator is closed and the lines must stay open)
        while True:
            if self.again:
                number, text = self.again.pop(0)
            else:
                pulled = next(self.lines, None)
                if pulled is None:
                    return
                number, text = pulled
            self.number = number
            self.taken.append((number, text))
            if len(self.taken) > MAX_QUOTED_LINES:
                raise _OpenQuote
            if text is None:
                self.oversized.add(number)
                yield "\n"
                continue
            if len(text) > MAX_CELL or _BAD_BYTE.search(text):
                self.suspect = number
            yield text

    def read_again(self) -> None:
        """Read again the lines the row took, but its first."""
        self.again[:0] = self.taken[1:]
        self.taken.clear()


def _csv_body(
    names: list[str],
    lines: Iterator[tuple[int, str | None]],
    delimiter: str,
    *,
    start: int = 2,
    charset: str = "UTF-8",
) -> Iterator[Row]:
    texts = _Texts(lines, start)
    csv.field_size_limit(MAX_LINE)
    reader = csv.reader(iter(texts), delimiter=delimiter, strict=False)
    keys = [name.casefold() if name.casefold() in COLUMNS else name for name in names]
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except _OpenQuote:
            yield Row(start, None, (_open_quote(MAX_QUOTED_LINES),))
            texts.read_again()
            reader = csv.reader(iter(texts), delimiter=delimiter, strict=False)
            start += 1
            continue
        except csv.Error as error:
            yield Row(start, None, (f"not CSV ({error})",))
            start = texts.number + 1
            texts.taken.clear()
            continue
        line, end = start, texts.number
        if end > line and _quote_left_open(keys, values, delimiter):
            # (the row took the lines after it: the rest of the file, or up to the next quote)
            yield Row(line, None, (_open_quote(end - line + 1),))
            texts.read_again()
            reader = csv.reader(iter(texts), delimiter=delimiter, strict=False)
            start = line + 1
            continue
        texts.taken.clear()
        start = end + 1
        row = _csv_row(
            line,
            keys,
            values,
            oversized=line in texts.oversized,
            suspect=texts.suspect >= line,
            charset=charset,
        )
        if row is not None:
            yield row


def _csv_row(
    line: int,
    keys: list[str],
    values: list[str],
    *,
    oversized: bool,
    suspect: bool,
    charset: str = "UTF-8",
) -> Row | None:
    """The row of ``values`` read from ``line`` (``None`` for a blank line); ``suspect``: it
    spans a line with a byte that is not UTF-8 or a long text, checked cell by cell."""
    if not values or (values == [""] and len(keys) > 1):
        return Row(line, None, (f"a line longer than {MAX_LINE} bytes",)) if oversized else None
    cells = dict(zip(keys, values, strict=False))
    if len(values) == len(keys) and not suspect:
        return Row(line, cells)  # the common row: nothing to look at twice
    problems: list[str] = []
    if any(_BAD_BYTE.search(value) for value in values):
        hint = "; --encoding names another encoding" if charset == "UTF-8" else ""
        problems.append(f"not {charset} (a byte that is not part of a {charset} character{hint})")
    if len(values) != len(keys):
        problems.append(f"{len(values)} values for {len(keys)} columns")
    problems += _cell_problems(cells)
    return Row(line, None if problems else cells, tuple(problems))


def _quote_left_open(keys: list[str], values: list[str], delimiter: str) -> bool:
    """Whether a row that took several lines did so by a quote left open: its count of values is
    not the header's, or a cell of the library's columns holds a line break and the delimiter
    (the rows it took; a name wrapped on two lines by a spreadsheet holds no delimiter)."""
    return len(values) != len(keys) or any(
        ("\n" in value or "\r" in value) and delimiter in value
        for key, value in zip(keys, values, strict=False)
        if key in COLUMNS
    )


def _open_quote(lines: int) -> str:
    return (
        f"a quote opened on this line is not closed as a cell of this row (it took {lines} "
        "lines): the row is refused, and the lines after it are read as rows"
    )


#: The most physical lines one row may take (a quoted cell with line breaks): past them, the
#: quote that opened it is taken as left open by mistake.
MAX_QUOTED_LINES: Final = 100


#: How many rows a Parquet file is read in at a time (memory stays flat in the file's size).
PARQUET_BATCH: Final = 65_536


def read_parquet_rows(path: str) -> ParquetRows:
    """The rows of the Parquet file at ``path``, a batch at a time; a row's ``line`` is its
    number in the file (from 1). Needs pyarrow (the ``polars`` extra).

    Raises :class:`HeaderError` before the first row when the columns cannot be used, or the
    file is not Parquet.
    """
    try:
        import pyarrow as pa  # noqa: PLC0415  (an optional extra)
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        raise HeaderError(
            "reading Parquet needs pyarrow: pip install 'partner-onboarding[polars]'"
        ) from None
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise HeaderError(f"not a Parquet file ({str(error)[:120]})") from None
    _check_header(list(file.schema_arrow.names))
    return ParquetRows(file, pa.ArrowException)


@attrs.frozen
class ParquetRows:
    """The rows of a Parquet file: iterated, each row the plain way, a batch at a time. The
    command line's columnar path reads :meth:`batches` itself and hands a batch back to
    :meth:`rows_of` when it needs this reader's care."""

    file: Any
    failure: type[Exception]

    @property
    def keys(self) -> list[str]:
        """The column names, case-folded as the readers match them."""
        return [name.casefold() for name in self.file.schema_arrow.names]

    def __iter__(self) -> Iterator[Row]:
        for item in self.batches():
            if isinstance(item, Row):
                yield item
            else:
                yield from self.rows_of(*item)

    def batches(self) -> Iterator[tuple[int, Any] | Row]:
        """Each batch with the number of the row before it; a damaged file ends with a bad row
        that says so (what was read stands)."""
        number = 0
        try:
            for batch in self.file.iter_batches(batch_size=PARQUET_BATCH):
                yield number, batch
                number += batch.num_rows
        except (self.failure, OSError) as error:
            reason = f"the rest of the file cannot be read ({str(error)[:120]})"
            yield Row(number + 1, None, (reason,))

    def rows_of(self, start: int, batch: Any) -> Iterator[Row]:
        """The rows of one batch, the plain way (row ``start + 1`` first)."""
        names = list(self.file.schema_arrow.names)
        keys = self.keys
        bad: dict[int, list[str]] = {}
        columns = [
            _parquet_column(name, column, bad, self.failure)
            for name, column in zip(names, batch.columns, strict=True)
        ]
        for index, values in enumerate(zip(*columns, strict=True)):
            cells = dict(zip(keys, values, strict=True))
            problems = _cell_problems(cells) + tuple(bad.get(index, ()))
            yield Row(start + index + 1, None if problems else cells, problems)


def _parquet_column(
    name: str, column: Any, bad: dict[int, list[str]], failure: type[Exception]
) -> list[Any]:
    """The Python values of one column of a batch. A cell Python cannot hold (a timestamp or a
    date beyond the years 1 to 9999) is ``None`` and its row is bad; the other cells stand."""
    try:
        return column.to_pylist()  # type: ignore[no-any-return]
    except (OverflowError, ValueError, failure):
        pass  # read again cell by cell below, to name each cell out of range
    values: list[Any] = []
    for index in range(len(column)):
        try:
            values.append(column[index].as_py())
        except (OverflowError, ValueError, failure):
            values.append(None)
            bad.setdefault(index, []).append(
                f"{plain_text(name)[:40]}: a value out of the range Python holds "
                "(a date or instant beyond the years 1 to 9999)"
            )
    return values


def _cell_problems(cells: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{plain_text(str(name))[:40]}: a value of {len(value)} characters (at most {MAX_CELL})"
        for name, value in cells.items()
        if isinstance(value, str) and len(value) > MAX_CELL
    )


def plain_text(text: str) -> str:
    """``text`` safe to print: control characters and line separators escaped, lone surrogates
    (from a JSON ``\\ud800``) replaced."""
    text = sanitize(text)
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def csv_cell(value: object) -> object:
    """A value for a CSV cell that a spreadsheet will not run as a formula (OWASP: a leading
    ``= + - @``, tab or carriage return is prefixed with ``'``)."""
    if not isinstance(value, str):
        return value
    value = sanitize(value)
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


# --------------------------------------------------------------------------------------------------
# Registration cells as spreadsheets and data tools write them


#: The named ``--date-format`` values (any other is a ``strptime`` pattern).
DATE_FORMS: Final = ("excel", "epoch-s", "epoch-ms")
#: The day Excel's serial day 0 is (in its 1900 date system, from serial 61 on: 1900-03-01).
_EXCEL_ZERO: Final = dt.datetime(1899, 12, 30)  # noqa: DTZ001  (a wall clock: the zone is the user's)
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: ``strptime`` directives that read a time of day (a pattern without any reads a day).
_TIME_DIRECTIVES: Final = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%T", "%R", "%z")


@attrs.frozen
class Readings:
    """How the command line reads ``registered_at`` cells that are not ISO 8601 with an offset,
    as the user says (never a guess):

    - ``date_format``: a ``strptime`` pattern (``%m/%d/%Y %I:%M %p``; a pattern without a time
      of day reads a day, whose start in the policy's zone is the instant, as ISO days are), or
      ``excel`` (serial days of Excel's 1900 date system, a fraction for the time of day),
      ``epoch-s`` or ``epoch-ms`` (seconds or milliseconds since 1970-01-01T00:00Z);
    - ``zone``: whose wall clock a reading without an offset is (ISO text without an offset, a
      pattern without ``%z``, an Excel serial). A reading that the zone's clocks skip, or that
      they show twice, is refused: only an offset can say which instant it is.
    """

    zone: zoneinfo.ZoneInfo | None = None
    date_format: str | None = None

    def registered(self, raw: object) -> tuple[object, str | None]:  # noqa: PLR0911
        """The cell as the library reads it (an aware datetime, a day, or the cell itself when
        these readings have nothing to say of it), or what is wrong with it."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return raw, None  # (absent: the row's own check says so)
        form = self.date_format
        if form in {"epoch-s", "epoch-ms"}:
            return self._epoch(raw, milliseconds=form == "epoch-ms")
        if form == "excel":
            return self._excel(raw)
        if type(raw) is dt.datetime and raw.tzinfo is None:  # (a naive timestamp: Parquet's)
            return self._wall(raw.isoformat(sep=" "), raw)
        if not isinstance(raw, str):
            return raw, None
        text = raw.strip()
        if form is not None:
            try:
                parsed = dt.datetime.strptime(text, form)  # noqa: DTZ007  (the zone: below)
            except ValueError:
                return None, f"{quote(text)} does not match --date-format {quote(form)}"
            if parsed.tzinfo is not None:
                return parsed, None
            if not any(directive in form for directive in _TIME_DIRECTIVES):
                return parsed.date(), None
            return self._wall(text, parsed)
        if self.zone is not None and not is_day_text(text):
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                return raw, None  # (not ISO: the library says what is wrong with it)
            if parsed.tzinfo is None:
                return self._wall(text, parsed)
        return raw, None

    def _epoch(self, raw: object, *, milliseconds: bool) -> tuple[object, str | None]:
        unit = "milliseconds" if milliseconds else "seconds"
        number = _number(raw)
        if number is None:
            return None, f"{quote(raw)} is not a number of {unit} since 1970-01-01T00:00Z"
        try:
            return _EPOCH + dt.timedelta(seconds=number / 1000 if milliseconds else number), None
        except OverflowError:
            return None, f"{quote(raw)} {unit} since 1970-01-01T00:00Z is outside the calendar"

    def _excel(self, raw: object) -> tuple[object, str | None]:
        number = _number(raw)
        if number is None:
            return None, f"{quote(raw)} is not an Excel serial day"
        if number < 61:  # (Excel's 1900 has a 29 February: its days differ before March)
            return None, (
                f"{quote(raw)} is before 1900-03-01, where Excel's serial days are not the "
                "calendar's"
            )
        try:  # (to the millisecond: Excel keeps no finer time, and its floats drift below it)
            wall = _EXCEL_ZERO + dt.timedelta(milliseconds=round(number * 86_400_000))
        except OverflowError:
            return None, f"{quote(raw)} is not a day of the calendar as an Excel serial day"
        if number.is_integer():  # (a date cell: a day, as an ISO day is)
            return wall.date(), None
        return self._wall(str(raw), wall)

    def _wall(self, text: str, wall: dt.datetime) -> tuple[object, str | None]:
        """A wall-clock reading, in ``zone``."""
        if self.zone is None:
            return None, (
                f"{quote(text)} has no UTC offset: say whose wall clock it is with --assume-zone "
                "(an IANA zone, America/Los_Angeles)"
            )
        value = wall.replace(tzinfo=self.zone)
        problem = instant_problem(value)
        if problem is not None:
            return None, f"{quote(text)} in {self.zone.key} {problem}"
        if value.replace(fold=1).utcoffset() != value.utcoffset():
            return None, (
                f"{quote(text)} happens twice in {self.zone.key} (the clocks go back): "
                "only an offset says which"
            )
        return as_instant(value), None


def _number(raw: object) -> float | None:
    """A finite number from a number or its text, else ``None``."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str) and len(raw) <= 40:  # (no number is longer)
        try:
            number = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------------
# Text in other encodings


#: The byte-order marks that say a file is UTF-32 or UTF-16 (the longer ones first).
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def text_stream(stream: IO[bytes], encoding: str | None) -> tuple[IO[bytes], str] | None:
    """``stream`` as UTF-8 bytes, and the name of its own encoding, when that is not UTF-8: the
    ``encoding`` given, or UTF-16 or UTF-32 when the stream starts with their byte-order mark;
    ``None`` when the stream is UTF-8 already (or nothing says otherwise).

    Raises :class:`LookupError` for a name that is not a text encoding."""
    if encoding is not None:
        info = codecs.lookup(encoding)
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(f"{encoding!r} is not a text encoding")
        if info.name in {"utf-8", "utf-8-sig"}:
            return None
        return cast("IO[bytes]", _Recoded(stream, info.name)), encoding
    peek = getattr(stream, "peek", None)
    head = peek(4)[:4] if peek is not None else b""
    for mark, name in _BOMS:
        if head.startswith(mark):
            return cast("IO[bytes]", _Recoded(stream, name.lower())), name
    return None


def _escape_unreadable(error: UnicodeError) -> tuple[str, int]:
    """A decoding error handler: each byte the encoding cannot read, as a byte that UTF-8 cannot
    read either (``surrogateescape``'s form, for bytes under 0x80 too), for its row to name."""
    assert isinstance(error, UnicodeDecodeError)  # noqa: S101  (registered for decoding only)
    return "".join(
        chr(0xDC80 | (b & 0x7F)) for b in error.object[error.start : error.end]
    ), error.end


_UNREADABLE: Final = "partner_onboarding.unreadable"
codecs.register_error(_UNREADABLE, _escape_unreadable)


class _Recoded:
    """A binary stream of text in another encoding, read a line at a time as UTF-8 bytes. A
    byte the encoding cannot read comes through as a byte that is not UTF-8, for the row that
    holds it to say so; a line is read up to the reader's own bound, in characters."""

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        self.encoding = encoding
        self.text = io.TextIOWrapper(stream, encoding=encoding, errors=_UNREADABLE, newline="")

    def readline(self, limit: int = -1, /) -> bytes:
        try:
            line = self.text.readline(limit)
        except UnicodeError as error:  # (not a byte it cannot read: a stream it cannot start,
            # UTF-16 named without a byte-order mark; bytes it cannot read come as bad bytes)
            raise HeaderError(f"not {self.encoding} text ({error})") from None
        return line.encode("utf-8", "surrogateescape")

    def close(self) -> None:
        self.text.detach()
