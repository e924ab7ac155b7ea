"""The command line's columnar path: ``check`` of a CSV file through the compiled rules of
:mod:`partner_onboarding.frames`, a chunk of whole lines at a time, when Polars is installed (and
of a Parquet file's batches of plain columns: :func:`answer_parquet`).

A chunk is read this way only when it is *clean*: UTF-8, without a quote, a NUL or a carriage
return but before a line feed, without a blank line, every line with the header's number of
values and none longer than a cell may be. On such lines :mod:`partner_onboarding._files`' reader
and Polars' read the same cells, and a line number is a row's position. The answers' text is the
plain path's own: the writer writes each combination's part and each decision's part once, in
Python (:meth:`~partner_onboarding.cli.Writer.parts`), rows gather them by index, and only the
row's own part (its line, its partner id) is written in native code, for partner ids that need no
quoting or escaping. The first chunk that is not clean, and everything after it, goes the plain
way (:meth:`~partner_onboarding._files.CsvRows.resumed`): the output is the same, byte for byte
(``tests/test_cli.py`` proves it on generated files).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, TextIO

import attrs

from partner_onboarding import _files
from partner_onboarding.catalog import parse_member
from partner_onboarding.engine import (
    BLANK_PATTERN,
    COLUMNS,
    REGISTERED_COLUMN,
    REMEMBERED_VALUES,
    Decided,
    Memo,
    PlanRow,
    RowReader,
    decide_rows,
    decision_cells,
    isoformat_in_zone,
)
from partner_onboarding.errors import OnboardingError
from partner_onboarding.policy import Policy, Question, Verdict

if TYPE_CHECKING:
    import polars as pl


__all__ = ["Answering", "PartsWriter", "ProgressLine", "answer"]


class PartsWriter(Protocol):
    """What the columnar path needs of the command line's writer of text: a record's three
    parts (the row's own, the combination's, the decision's), joined by ``SEPARATOR``; the row
    part in native code for a partner id that ``ORDINARY`` matches; and where to write."""

    SEPARATOR: ClassVar[str]
    ORDINARY: ClassVar[str]
    out: TextIO

    def parts(self, record: dict[str, Any]) -> tuple[str, str, str]: ...

    @staticmethod
    def row_expression(lines: pl.Expr, partners: pl.Expr) -> pl.Expr: ...


class ProgressLine(Protocol):
    """What the columnar path needs of the command line's progress line."""

    def show(self, answers: int) -> None: ...


#: The bytes of the first chunk (its answers go out at once), then of each chunk after it: the
#: size that keeps a run of any length under 100 MB on one core, at no less than 0.6 times the
#: speed of a plain ``csv`` read-and-write (docs/benchmarks.md: each chunk costs about 4 ms of
#: fixed work, and a larger chunk's working space stays with Polars' allocator).
FIRST_CHUNK: Final = 1 << 16
CHUNK: Final = 192 << 10


@attrs.frozen
class Answering:
    """What a run of ``check`` answers, and where it writes."""

    at: dt.datetime
    policy: Policy
    question: str | None
    writer: PartsWriter
    bad: Callable[[int, str], None]  # (reports a bad row: its line, its problem)
    progress: ProgressLine


def answer(
    rows: _files.CsvRows,
    run: Answering,
    counts: dict[str, int],
) -> Iterable[_files.Row]:
    """Answer the clean chunks of ``rows`` natively, counting as the plain path counts; the
    rows left for the plain path (from the first chunk that is not clean), or none."""
    if not _columnar(rows, run):
        return rows
    keys = [name.casefold() for name in rows.names]
    answerer = _Answerer(keys, run, counts, delimiter=rows.delimiter)
    line = 1  # (the last line read: the header)
    pending = b""
    size = FIRST_CHUNK
    while True:
        block = rows.stream.read(size)
        size = CHUNK
        data = pending + block
        cut = len(data) if not block else data.rfind(b"\n") + 1
        if block and cut == 0:  # (a line longer than a chunk: not a clean one)
            return rows.resumed(data, line)
        chunk, pending = data[:cut], data[cut:]
        if not chunk:
            return ()
        lines = _clean_lines(chunk, rows)
        if lines is None:
            return rows.resumed(data, line)
        answerer.chunk(chunk, line + 1)
        line += lines
        if not block:
            return ()


def _columnar(rows: _files.CsvRows, run: Answering) -> bool:
    """Whether the columnar path can answer ``rows``: a regular file (a pipe is answered line by
    line, as it comes), a delimiter of one byte (Polars' own limit), and :func:`_can_answer`."""
    if len(rows.delimiter.encode("utf-8")) != 1:
        return False
    try:
        if not stat.S_ISREG(os.fstat(rows.stream.fileno()).st_mode):
            return False
    except (AttributeError, OSError, ValueError):  # (a stream without a file: in a test)
        return False
    return _can_answer(run)


def _can_answer(run: Answering) -> bool:
    """Whether the columnar path can answer at all: Polars installed, and a question the policy
    knows, if one is given (else every row's error is the plain path's to say)."""
    try:
        import polars  # noqa: F401, ICN001, PLC0415  (an optional extra)
    except ImportError:
        return False
    if run.question is not None:
        try:
            parse_member(Question, run.question, field="question")
        except OnboardingError:
            return False
    return True


def _clean_lines(chunk: bytes, rows: _files.CsvRows) -> int | None:
    """How many lines ``chunk`` holds, if it is clean (see the module's documentation)."""
    if b'"' in chunk or b"\x00" in chunk or chunk.count(b"\r") != chunk.count(b"\r\n"):
        return None
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()  # (the end of the last line, not a line)
    if "" in lines or "\r" in lines or max(map(len, lines)) > _files.MAX_CELL:
        return None
    values = len(rows.names) - 1
    if set(map(str.count, lines, itertools.repeat(rows.delimiter))) != {values}:
        return None
    return len(lines)


#: How many answer lines are made one text and written at once.
_LINES_WRITTEN: Final = 2048


class _Answerer:
    """Answers chunks of one input, remembering across them what the rows have in common: each
    combination's plan (:class:`~partner_onboarding.engine.Memo`), and the writer's text of
    each combination and each decision."""

    def __init__(
        self,
        keys: list[str],
        run: Answering,
        counts: dict[str, int],
        *,
        delimiter: str = ",",
    ) -> None:
        self.run, self.counts = run, counts
        self.keys, self.delimiter = keys, delimiter
        one_question = run.question is not None or "question" in self.keys
        self.memo = Memo(RowReader(run.policy, run.at), one_question=one_question)
        self.plan_texts: dict[tuple[PlanRow, str | None], str | None] = {}
        self.decision_texts: dict[Verdict, str] = {}

    def chunk(self, chunk: bytes, first_line: int) -> None:
        """Answer the rows of a clean chunk."""
        import polars as pl  # noqa: PLC0415

        names = [f"c{i}" for i in range(len(self.keys))]
        read = pl.read_csv(
            chunk,
            has_header=False,
            separator=self.delimiter,
            quote_char=None,
            new_columns=names,
            schema=dict.fromkeys(names, pl.String),
        )
        cells = read.select(
            pl.col(f"c{i}").fill_null("").alias(key)  # (an empty cell is "", as read plainly)
            for i, key in enumerate(self.keys)
            if key in COLUMNS
        )
        self.answer(cells, first_line)

    def answer(self, cells: pl.DataFrame, first_line: int) -> None:
        """Answer a frame of the input's columns (strings, empty where a cell is: an empty
        question cell is refused as the plain path refuses it)."""
        run = self.run
        decided = decide_rows(
            cells, at=run.at, policy=run.policy, question=run.question, memo=self.memo
        )
        self.write(decided, cells["partner_id"], first_line)

    def table(self, batch: Any, first_line: int) -> bool:  # noqa: PLR0911
        """Answer a Parquet batch natively if its columns are ones the native readers read as
        the plain path does: text (no cell over the bound, no missing partner id), and a
        registration of aware instants (to the microsecond or coarser) or days."""
        import polars as pl  # noqa: PLC0415

        try:
            frame = pl.from_arrow(batch)
        except Exception:  # (a type Polars does not read: the plain path's)
            return False
        if not isinstance(frame, pl.DataFrame):
            return False
        frame = frame.rename(dict(zip(frame.columns, self.keys, strict=True)))
        for name, dtype in frame.schema.items():
            if dtype == pl.String:
                if frame[name].str.len_chars().gt(_files.MAX_CELL).any():
                    return False  # (a cell too long, in any column: a bad row, said plainly)
            elif name != REGISTERED_COLUMN and name in COLUMNS:
                return False
            elif isinstance(dtype, pl.Datetime | pl.Date):
                years = frame[name].dt.year()
                if years.min() is not None and not (1 <= years.min() <= years.max() <= 9999):  # type: ignore[operator]
                    return False  # (beyond Python's years, in any column: a bad row)
            elif not (dtype.is_numeric() or dtype in {pl.Boolean, pl.Null}):
                return False  # (another type, in any column: read as the plain path reads it)
        if frame["partner_id"].dtype != pl.String or frame["partner_id"].null_count():
            return False
        registered = frame.schema.get(REGISTERED_COLUMN)
        if registered is not None and not (
            registered in {pl.String, pl.Date}
            or (
                isinstance(registered, pl.Datetime)
                and registered.time_zone is not None
                and registered.time_unit in {"us", "ms"}
            )
        ):
            return False
        cells = frame.select(
            pl.col(key).fill_null("") if frame.schema[key] == pl.String else pl.col(key)
            for key in frame.columns
            if key in COLUMNS
        )
        self.answer(cells, first_line)
        return True

    def plan_text(self, plan: PlanRow, asked: str | None) -> str | None:
        """The writer's text of a combination (None for one in error), asked ``asked``."""
        key = (plan, asked)
        if key in self.plan_texts:
            return self.plan_texts[key]
        text = None
        if plan.category is not None:
            fields = {"category": plan.category, "market": plan.market}
            fields["question"] = asked or plan.question
            text = _part(self.run.writer, _PLAN, fields)
        if len(self.plan_texts) < REMEMBERED_VALUES:
            self.plan_texts[key] = text
        return text

    def decision_text(self, decision: Verdict) -> str:
        """The writer's text of a decision."""
        text = self.decision_texts.get(decision)
        if text is None:
            text = _part(self.run.writer, _DECISION, decision_cells(decision))
            if len(self.decision_texts) < REMEMBERED_VALUES:
                self.decision_texts[decision] = text
        return text

    def waiting_texts(
        self, decided: Decided, index: pl.Series, said: pl.Series, instants: pl.Series
    ) -> pl.Series:
        """``said`` with the text of each answer that changes at its row's registration
        written with that instant (``instants``: each row's, as :func:`isoformat_in_zone`
        writes it)."""
        import polars as pl  # noqa: PLC0415

        waits = decided.table.waits.gather(index).fill_null(value=False)
        rows = waits.arg_true()
        if not len(rows):
            return said
        # The answer's text around its change instant, once; each row's instant natively.
        decision = decided.table.decisions[index[rows[0]]]
        head, tail = self.around_change(decision)
        texts = pl.select(
            pl.concat_str([pl.lit(head), pl.lit(instants.gather(rows)), pl.lit(tail)])
        ).to_series()
        plain = texts.is_null().arg_true()  # (what native code cannot say: the plain way)
        if len(plain):
            facts, cells = self.memo.facts, decided.frame[REGISTERED_COLUMN]
            said_plainly = [
                _part(
                    self.run.writer,
                    _DECISION,
                    decision_cells(facts.written(decision, cells[rows[i]])),
                )
                for i in plain.to_list()
            ]
            texts = texts.scatter(plain, pl.Series(said_plainly, dtype=pl.String))
        return said.scatter(rows, texts)

    def around_change(self, decision: Verdict) -> tuple[str, str]:
        """The writer's text of ``decision`` before and after its change instant."""
        marked = attrs.evolve(decision, changes_at=_MARK)
        text = _part(self.run.writer, _DECISION, decision_cells(marked))
        head, found, tail = text.partition(_MARK.isoformat())
        assert found  # noqa: S101  (the writers write the instant as its isoformat)
        return head, tail

    def write(self, decided: Decided, partners: pl.Series, first_line: int) -> None:
        """Write a chunk's answers and its bad rows, and count them."""
        import polars as pl  # noqa: PLC0415

        writer, counts = self.run.writer, self.counts
        lines = pl.int_range(first_line, first_line + len(partners), dtype=pl.Int64, eager=True)
        error = pl.select(  # (the plain path reads the partner id first, and says this)
            pl.when(pl.lit(partners).str.contains(BLANK_PATTERN))
            .then(pl.lit("partner_id: is required"))
            .otherwise(pl.lit(decided.error))
        ).to_series()
        ok = error.is_null()
        # The row's own part: natively for an ordinary partner id, else as the writer writes it.
        own = pl.select(writer.row_expression(pl.lit(lines), pl.lit(partners))).to_series()
        special = (~partners.str.contains(writer.ORDINARY) & ok).arg_true().to_list()
        if special:
            texts = [
                _part(writer, _ROW, {"line": lines[i], "partner_id": partners[i]}) for i in special
            ]
            own = own.scatter(special, texts)
        decisions = decided.table.decisions
        # (each waiting row's registration as the writers write it, once for both questions)
        instants = (
            None
            if decided.registered is None
            else isoformat_in_zone(decided.registered, self.memo.facts)
        )
        decision_text = pl.Series([self.decision_text(d) for d in decisions], dtype=pl.String)
        answers, chosen = [], []
        for prefix, indices in decided.indices.items():
            asked = prefix[:-1] or None
            plan_text = pl.Series(
                [self.plan_text(plan, asked) for plan in decided.plans], dtype=pl.String
            )
            index = pl.select(pl.when(pl.lit(ok)).then(pl.lit(indices))).to_series()
            said = decision_text.gather(index)
            if instants is not None:  # (answers that change at the row's registration)
                said = self.waiting_texts(decided, index, said, instants)
            parts = [own, plan_text.gather(decided.combo), said]
            answers.append(pl.select(pl.concat_str(parts, separator=writer.SEPARATOR)).to_series())
            chosen.append(index)
        # (with both questions, each row's register answer, then its authorisation answer)
        text = pl.select(pl.concat_list(answers).explode().drop_nulls()).to_series()
        order = pl.select(pl.concat_list(chosen).explode().drop_nulls()).to_series()
        allowed = pl.Series([d.allowed for d in decisions], dtype=pl.Boolean)
        counts["answers"] += len(order)
        counts["refused"] += int((~allowed.gather(order)).sum())
        bad = (~ok).arg_true().to_list()
        for i in bad:
            self.run.bad(lines[i], error[i])
        counts["bad"] += len(bad)
        # (a few thousand lines at a time: never the whole chunk's text in one string, and again
        # encoded, at once)
        for start in range(0, len(text), _LINES_WRITTEN):
            writer.out.write(text.slice(start, _LINES_WRITTEN).str.join("\n").item())
            writer.out.write("\n")
        writer.out.flush()  # (each chunk's answers out as they are made)
        self.run.progress.show(counts["answers"])


#: An instant no answer changes at, marking where a writer writes the change instant.
_MARK: Final = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def answer_parquet(
    rows: _files.ParquetRows,
    run: Answering,
    counts: dict[str, int],
) -> Iterable[_files.Row]:
    """Answer the batches of a Parquet file natively where their columns allow (see
    :meth:`_Answerer.table`), counting as the plain path counts; the rows of the other batches
    come back, in their place, for the plain path."""
    if not _can_answer(run):
        return rows
    answerer = _Answerer(rows.keys, run, counts)
    return _parquet_answers(rows, answerer)


def _parquet_answers(rows: _files.ParquetRows, answerer: _Answerer) -> Iterator[_files.Row]:
    for item in rows.batches():
        if isinstance(item, _files.Row):
            yield item
        elif not answerer.table(item[1], item[0] + 1):
            yield from rows.rows_of(*item)


#: The parts of a record a writer writes (:meth:`~partner_onboarding.cli.Writer.parts`): the
#: row's own (its line, its partner id), the combination's and the decision's.
_ROW, _PLAN, _DECISION = range(3)

#: The cells of a record the columnar path does not ask a writer about: placeholders, never written.
_UNASKED: Final[dict[str, Any]] = {
    "line": 0,
    "partner_id": "",
    "category": "x",
    "market": "x",
    "question": "x",
    "allowed": False,
    "reason": "x",
    "reason_codes": "x",
    "message": "x",
    "changes_at": None,
}


def _part(writer: PartsWriter, part: int, cells: dict[str, Any]) -> str:
    """The writer's text of one ``part`` of a record of ``cells`` (the other parts' cells are
    placeholders)."""
    return writer.parts(_UNASKED | cells)[part]
