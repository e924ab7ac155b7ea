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
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final, Protocol

import attrs

from partner_onboarding._documents import no_repeated_keys
from partner_onboarding.engine import COLUMNS, misspelled_columns

__all__ = [
    "MAX_CELL",
    "MAX_LINE",
    "MAX_SKIPPED",
    "CsvRows",
    "HeaderError",
    "Row",
    "csv_cell",
    "plain_text",
    "read_parquet_rows",
    "read_rows",
    "sanitize",
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
    stream: IO[bytes], *, kind: str | None = None, delimiter: str | None = None
) -> Iterable[Row]:
    """The rows of ``stream``: JSON Lines when ``kind`` says so or the first character is ``{``,
    CSV otherwise (delimiter sniffed from the header unless given).

    Raises :class:`HeaderError` before the first row when the CSV header cannot be used.
    """
    lines = _lines(stream)
    first = next(lines, None)
    if first is None:
        raise HeaderError("the input is empty (a CSV file needs a header line)")
    text = first[1]
    if kind is None:
        kind = "jsonl" if text is not None and text.lstrip().startswith("{") else "csv"
    if kind == "jsonl":
        return _json_rows(_chain(first, lines))
    if text is None:
        raise HeaderError(f"line 1: the header is longer than {MAX_LINE} bytes")
    return _csv_rows(text, lines, delimiter, stream)


def _chain(first: tuple[int, str | None], rest: Iterator[tuple[int, str | None]]) -> Iterator[Any]:
    yield first
    yield from rest


def _json_rows(lines: Iterable[tuple[int, str | None]]) -> Iterator[Row]:
    for number, text in lines:
        if text is None:
            yield Row(number, None, (f"a line longer than {MAX_LINE} bytes",))
            continue
        if not text.strip():
            continue
        if _BAD_BYTE.search(text):
            yield Row(number, None, ("not UTF-8",))
            continue
        try:
            value = json.loads(text, object_pairs_hook=no_repeated_keys)
        except RecursionError:
            yield Row(number, None, ("not JSON (nested too deeply)",))
            continue
        except ValueError as error:
            yield Row(number, None, (f"not JSON ({str(error)[:80]})",))
            continue
        if not isinstance(value, dict):
            yield Row(number, None, ("must be a JSON object of column names to values",))
            continue
        nested = [
            key
            for key, cell in value.items()
            if isinstance(cell, dict) or (isinstance(cell, list) and key != "approved_categories")
        ]
        if nested:
            name = plain_text(str(nested[0]))[:40]
            yield Row(number, None, (f"{name}: must be a single value, not a list or an object",))
            continue
        yield Row(number, value, _cell_problems(value))


def _csv_rows(
    header_text: str,
    lines: Iterator[tuple[int, str | None]],
    delimiter: str | None,
    stream: IO[bytes],
) -> CsvRows:
    if delimiter is None:
        delimiter = max(_DELIMITERS, key=header_text.count)
    try:
        header = next(csv.reader([header_text], delimiter=delimiter), [])
    except csv.Error as error:  # (a carriage return alone inside the header, say)
        raise HeaderError(f"line 1: the header is not CSV ({error})") from None
    names = [name.strip() for name in header]
    _check_header(names)
    return CsvRows(names, delimiter, lines, stream)


@attrs.frozen
class CsvRows:
    """The rows of a CSV input after its header: iterated, the rows from line 2. The command
    line's columnar path reads :attr:`stream` itself, in chunks, and hands the rest back with
    :meth:`resumed` when a chunk needs this reader's care."""

    names: list[str]
    delimiter: str
    lines: Iterator[tuple[int, str | None]]
    stream: IO[bytes]

    def __iter__(self) -> Iterator[Row]:
        return _csv_body(self.names, self.lines, self.delimiter)

    def resumed(self, head: bytes, line: int) -> Iterator[Row]:
        """The rows from ``head`` (bytes already read, whole lines, starting at line
        ``line + 1``) and then from the rest of the stream."""
        lines = _lines(_Resumed(head, self.stream), start=line)
        return _csv_body(self.names, lines, self.delimiter, start=line + 1)


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
    names: list[str], lines: Iterator[tuple[int, str | None]], delimiter: str, *, start: int = 2
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
            line, keys, values, oversized=line in texts.oversized, suspect=texts.suspect >= line
        )
        if row is not None:
            yield row


def _csv_row(
    line: int, keys: list[str], values: list[str], *, oversized: bool, suspect: bool
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
        problems.append("not UTF-8 (a byte that is not part of a UTF-8 character)")
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


def read_parquet_rows(path: str) -> Iterator[Row]:
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
    return _parquet_body(file, pa.ArrowException)


def _parquet_body(file: Any, failure: type[Exception]) -> Iterator[Row]:
    names = list(file.schema_arrow.names)
    keys = [name.casefold() for name in names]
    number = 0
    try:
        for batch in file.iter_batches(batch_size=PARQUET_BATCH):
            bad: dict[int, list[str]] = {}
            columns = [
                _parquet_column(name, column, bad, failure)
                for name, column in zip(names, batch.columns, strict=True)
            ]
            for index, values in enumerate(zip(*columns, strict=True)):
                number += 1
                cells = dict(zip(keys, values, strict=True))
                problems = _cell_problems(cells) + tuple(bad.get(index, ()))
                yield Row(number, None if problems else cells, problems)
    except (failure, OSError) as error:  # a damaged file: what was read stands
        yield Row(number + 1, None, (f"the rest of the file cannot be read ({str(error)[:120]})",))


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
