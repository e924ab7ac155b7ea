"""DataFrames in, DataFrames out: the policy's answers for every row of a frame of any engine.

:func:`check_frame` takes a frame with the columns of :mod:`partner_onboarding.batch`
(``partner_id`` is not needed here: the answer stays on its own row) and returns a frame aligned
to it: a pandas frame keeps its index, a Polars frame keeps its columns and gets the answer columns
beside them; a lazy Polars frame gives a lazy frame; a PyArrow table, a DuckDB relation and a
Dask frame give the same kind back. :func:`diff` answers which rows' answers change between two
policies.

The work is the bulk engine's (:mod:`partner_onboarding.engine`): each distinct combination of
the few-valued columns is read once the plain way, each row's registration is placed among the
rulebook's thresholds in native code, and a cell the native readers cannot read goes the plain
way too, so every row gets exactly the answer of :func:`partner_onboarding.batch.check_rows`
(differential properties check it on generated rows, for every engine). This module adapts each
engine's frames to it.

Polars (and, for pandas frames, pyarrow) are optional: ``pip install 'partner-onboarding[polars]'``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from partner_onboarding._fields import require_instance
from partner_onboarding.catalog import parse_member
from partner_onboarding.engine import (
    ANSWER_FIELDS,
    REGISTERED_COLUMN,
    Decided,
    Memo,
    RowReader,
    column_problems,
    decide_rows,
)
from partner_onboarding.errors import MissingExtra, Problem, ValidationError, quote
from partner_onboarding.policy import DEFAULT_POLICY, Policy, Question, iana_zone

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = ["ANSWER_FIELDS", "answers", "check_frame", "diff"]


def check_frame(
    frame: Any,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy = DEFAULT_POLICY,
    question: Question | str | None = None,
    assume_zone: str | None = None,
) -> Any:
    """The policy's answers for every row of ``frame`` at ``at``, aligned to the input.

    ``question`` answers that question for every row; without it, a ``question`` column says it
    per row; without that either, both questions are answered, in columns prefixed ``register_``
    and ``authorize_seller_``. The answer columns are :data:`ANSWER_FIELDS` (``reason_codes`` a
    list) and ``error``: ``None``, or what is wrong with the row (its answers are then null).

    What would make every row wrong is refused before any row is answered, with a
    :class:`~partner_onboarding.errors.ValidationError`: a missing ``category`` or
    ``registered_at`` column (the latter is not needed to answer ``authorize_seller`` alone), a
    column whose name is a misspelling of one of :data:`~partner_onboarding.engine.COLUMNS` that
    the frame lacks (did you mean), and a ``registered_at`` column of date-times without a time
    zone: pass ``assume_zone`` (an IANA zone, ``"America/Los_Angeles"``) if they are the wall
    clock of that zone. A lazy frame is checked from its schema, and gives a lazy frame whose
    schema has the answer columns.
    """
    _polars("check_frame")  # (the library's own error, naming the extra, if it is missing)
    import polars as pl  # noqa: PLC0415

    zone = None if assume_zone is None else iana_zone(assume_zone, field="assume_zone")
    asked = None if question is None else parse_member(Question, question, field="question")
    if isinstance(frame, pl.LazyFrame):
        schema = frame.collect_schema()
        _diagnose(list(schema), schema.get(REGISTERED_COLUMN), asked, zone)
        output: dict[str, Any] = dict(schema)
        for name in (["question"] if asked is not None else []) + _answer_names(
            Question.REGISTER if asked is not None or "question" in schema else None
        ):
            output[name] = pl.String if name == "question" else _answer_type(name)
        return frame.map_batches(
            lambda batch: _answer_assumed(batch, zone, at=at, policy=policy, question=asked),
            streamable=False,
            schema=output,
        )
    if isinstance(frame, pl.DataFrame):
        _diagnose(frame.columns, frame.schema.get(REGISTERED_COLUMN), asked, zone)
        return _answer_assumed(frame, zone, at=at, policy=policy, question=asked)
    if type(frame).__module__.startswith("pandas"):
        import pandas  # noqa: ICN001, PLC0415  (it is installed: the frame is one)

        converted = _from_pandas(frame)
        _diagnose(list(frame.columns), converted.schema.get(REGISTERED_COLUMN), asked, zone)
        answers = _answer_assumed(converted, zone, at=at, policy=policy, question=asked)
        # (an input column of an answer's name is replaced, as Polars' with_columns does)
        one_question = asked is not None or "question" in frame.columns
        produced = set(_answer_names(Question.REGISTER if one_question else None))
        if asked is not None:
            produced.add("question")
        # (and the input's text columns that check_rows spells its own way, as Polars has them)
        produced.update(n for n in _SPELLED if converted.schema.get(n) == pl.String)
        fresh = [c for c in answers.columns if c in produced]  # (the input's own are kept as is)
        added = _to_pandas(answers.select(fresh))
        added.index = frame.index  # (by position: never joined on an index, which may repeat)
        own = [c for c in fresh if c in frame.columns]
        if own:  # (replaced where they stand: the input's order of columns is kept)
            frame = frame.assign(**{c: added[c] for c in own if isinstance(c, str)})
        return pandas.concat([frame, added.drop(columns=own)], axis=1)
    other = _other_engine(frame)
    if other is not None:
        return other(
            lambda each: check_frame(
                each, at=at, policy=policy, question=asked, assume_zone=assume_zone
            )
        )
    raise ValidationError.single(
        "frame",
        "must be a Polars, pandas or Dask DataFrame, a Polars LazyFrame, a PyArrow Table or a "
        "DuckDB relation",
    )


def _other_engine(frame: object) -> Callable[[Callable[[Any], Any]], Any] | None:
    """For a frame of an engine the columnar path does not run in, how to answer it: a function
    of the answering of a Polars (or, for Dask, pandas) frame. A PyArrow table goes to Polars
    and back through Arrow (no copy of the columns); a DuckDB relation is read as Arrow,
    answered, and given back as a relation (of DuckDB's default connection); a Dask frame is
    answered partition by partition, lazily, each through the pandas path. None for anything
    else."""
    import polars as pl  # noqa: PLC0415

    module = type(frame).__module__
    if module.startswith("pyarrow") and type(frame).__name__ == "Table":
        return lambda answer: answer(pl.from_arrow(frame)).to_arrow()
    if module.startswith("duckdb") and hasattr(frame, "arrow"):
        import duckdb  # noqa: PLC0415  (installed: the relation is one)

        read = getattr(frame, "to_arrow_table", None) or frame.arrow  # (the name of DuckDB ≥ 1.4)
        return lambda answer: duckdb.from_arrow(answer(pl.from_arrow(read())).to_arrow())
    if module.startswith("dask") and hasattr(frame, "map_partitions"):
        # (the answers of the empty frame of the input's columns say the output's own)
        empty = getattr(frame, "_meta", None)  # (Dask's empty frame of the input's columns)

        def partition(answer: Callable[[Any], Any]) -> Callable[[Any], Any]:
            # (text, not categorical: each partition's categories differ, and Dask joins them)
            return lambda part: _without_categories(answer(part))

        return lambda answer: frame.map_partitions(partition(answer), meta=partition(answer)(empty))
    return None


def diff(
    frame: pd.DataFrame | pl.DataFrame | pl.LazyFrame,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy,
    other: Policy,
    question: Question | str | None = None,
    assume_zone: str | None = None,
) -> Any:
    """The rows of ``frame`` whose answers at ``at`` differ between ``policy`` and ``other``
    (the question before a change of policy), each with both answers: every answer column of
    :func:`check_frame`, prefixed ``before_`` (``policy``'s) and ``after_`` (``other``'s). A
    row whose error differs is listed too. The input's columns are kept; a pandas frame keeps
    the index of the rows listed, a lazy frame stays lazy."""
    _polars("diff")
    import polars as pl  # noqa: PLC0415

    require_instance("other", other, Policy, what="diff")
    pandas_input = type(frame).__module__.startswith("pandas")
    if not pandas_input and not isinstance(frame, pl.DataFrame | pl.LazyFrame):
        raise ValidationError.single(
            "frame", "must be a Polars or pandas DataFrame, or a Polars LazyFrame", what="diff"
        )
    source: Any = _from_pandas(frame).with_row_index(_ROW) if pandas_input else frame
    names = source.collect_schema().names()
    runs = [
        check_frame(source, at=at, policy=chosen, question=question, assume_zone=assume_zone)
        for chosen in (policy, other)
    ]
    produced = runs[0].collect_schema().names()
    answered = [name for name in produced if name not in names and name != "question"]
    both = pl.concat(
        [
            runs[0].rename({name: f"before_{name}" for name in answered}),
            runs[1].select(pl.col(name).alias(f"after_{name}") for name in answered),
        ],
        how="horizontal",
    )
    found = both.filter(
        pl.any_horizontal(
            ~_comparable(f"before_{name}").eq_missing(_comparable(f"after_{name}"))
            for name in answered
        )
    )
    if not pandas_input:
        return found
    import pandas  # noqa: ICN001, PLC0415  (it is installed: the frame is one)

    kept = frame.iloc[found[_ROW].to_list()]  # type: ignore[union-attr]
    added = _to_pandas(found.drop([name for name in names if name in found.columns]))
    added.index = kept.index
    return pandas.concat([kept, added], axis=1)


#: The column :func:`diff` numbers a pandas frame's rows with (to list them by position).
_ROW: Final = "__partner_onboarding_row"


def _comparable(name: str) -> pl.Expr:
    """Column ``name`` as values that compare across two runs (a categorical as its text)."""
    import polars as pl  # noqa: PLC0415

    column = pl.col(name)
    if name.endswith("reason_codes"):
        return column.cast(pl.List(pl.String))
    if name.endswith(("reason", "message")):
        return column.cast(pl.String)
    return column


def _to_pandas(answers: pl.DataFrame) -> pd.DataFrame:
    """The answer columns as pandas columns of nullable types: ``allowed`` ``boolean`` (so that
    ``frame[frame.allowed]`` works when some rows have errors), ``error`` and ``question``
    ``string``, ``reason_codes`` a list column (Arrow's: each cell reads as a Python list,
    without a Python object a row), ``reason`` and ``message`` categorical."""
    import pandas  # noqa: ICN001, PLC0415
    import polars as pl  # noqa: PLC0415

    # Each column from its Arrow form, without a Python object a row: lists as Arrow's list
    # column, flags as pandas' nullable booleans, texts as Arrow-backed strings.
    columns: dict[str, Any] = {}
    for name in answers.columns:
        column = answers[name]
        if name.endswith("reason_codes"):  # (each cell reads as a Python list)
            codes = column.cast(pl.List(pl.String)).to_arrow()
            columns[name] = pandas.arrays.ArrowExtensionArray(codes)
        elif name.endswith("allowed"):
            columns[name] = pandas.BooleanDtype().__from_arrow__(column.to_arrow())
        elif name.endswith("error") or name in _SPELLED:
            text = column.cast(pl.String).to_arrow()
            columns[name] = pandas.StringDtype("pyarrow").__from_arrow__(text)
        else:  # (the categorical texts and the instants: pandas' own conversion)
            columns[name] = column.to_pandas()
    return pandas.DataFrame(columns)


def _without_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categorical columns as ``string`` columns."""
    for name in frame.columns:
        if str(frame[name].dtype) == "category":
            frame[name] = frame[name].astype("string")
    return frame


def _polars(feature: str) -> None:
    """Nothing if Polars can be imported; else the library's error naming the extra."""
    try:
        import polars  # noqa: F401, ICN001, PLC0415  (an optional extra)
    except ImportError:
        raise MissingExtra(feature, "polars") from None


def _diagnose(
    names: list[Any], registered: Any, question: Question | None, zone: zoneinfo.ZoneInfo | None
) -> None:
    """Refuse, before any row is answered, a frame that every row would be wrong in."""
    import polars as pl  # noqa: PLC0415

    problems = column_problems(names, question)
    if isinstance(registered, pl.Datetime) and registered.time_zone is None and zone is None:
        problems.append(
            Problem(
                REGISTERED_COLUMN,
                "holds date-times without a time zone: convert the column to aware date-times, "
                "or pass assume_zone= the IANA zone whose wall clock they are",
            )
        )
    if problems:
        raise ValidationError(problems, what="frame")


def _answer_assumed(
    frame: pl.DataFrame,
    zone: zoneinfo.ZoneInfo | None,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy,
    question: Question | None,
) -> pl.DataFrame:
    """:func:`answer_polars` of ``frame``, its naive ``registered_at`` read as the wall clock of
    ``zone``; the input's column is given back as it was (the answers are what is added)."""
    assumed = _assumed(frame, zone)
    answered = answer_polars(assumed, at=at, policy=policy, question=question)
    if assumed is frame:
        return answered
    return answered.with_columns(frame.get_column(REGISTERED_COLUMN))


def _assumed(frame: pl.DataFrame, zone: zoneinfo.ZoneInfo | None) -> pl.DataFrame:
    """``frame`` with its naive ``registered_at`` read as the wall clock of ``zone``."""
    import polars as pl  # noqa: PLC0415

    registered = frame.schema.get(REGISTERED_COLUMN)
    if zone is None or not isinstance(registered, pl.Datetime) or registered.time_zone:
        return frame
    try:
        return frame.with_columns(
            pl.col(REGISTERED_COLUMN).dt.replace_time_zone(
                zone.key, ambiguous="raise", non_existent="raise"
            )
        )
    except pl.exceptions.PolarsError:
        raise ValidationError.single(
            REGISTERED_COLUMN,
            f"holds a wall-clock time that {zone.key} skips or repeats (a daylight-saving "
            "change): it names no single instant; convert those cells yourself",
            what="frame",
        ) from None


def _from_pandas(frame: pd.DataFrame) -> pl.DataFrame:
    """``frame`` as a Polars frame, column by column. An object column holding anything but text
    (texts mixed with numbers or timestamps, flags, lists) is kept as Python objects, which the
    plain path reads cell by cell: Arrow would coerce such a column to one type (an integer to a
    float, a float to a timestamp) or fail."""
    import pandas  # noqa: ICN001, PLC0415  (it is installed: the frame is one)
    import polars as pl  # noqa: PLC0415

    if frame.columns.nlevels > 1:  # (a name would be a tuple: no column would be found)
        levels = frame.columns.nlevels
        raise ValidationError.single(
            "frame", f"its columns have {levels} levels of names; flatten them to one first"
        )
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):  # (a Polars frame has one column of a name)
        name = quote(str(repeated[0]))
        raise ValidationError.single("frame", f"the column {name} appears twice")
    unconvertible = (
        TypeError,
        ValueError,
        OverflowError,  # (an integer beyond 64 bits)
        NotImplementedError,
        pl.exceptions.PolarsError,
    )  # (Arrow's own errors subclass these)
    infer = pandas.api.types.infer_dtype
    typed = [
        name
        for name in frame.columns
        if frame[name].dtype != object or infer(frame[name], skipna=True) in {"string", "empty"}
    ]
    converted: dict[Any, pl.Series] = {}
    try:  # (in one call: the common case)
        part = pl.from_pandas(frame[typed], include_index=False)
        converted = dict(zip(typed, part.get_columns(), strict=True))
    except unconvertible:
        for name in typed:
            with contextlib.suppress(*unconvertible):  # (else kept as Python objects)
                converted[name] = pl.Series(str(name), frame[name])
    columns = [
        converted[name]
        if name in converted
        else pl.Series(str(name), frame[name].tolist(), dtype=pl.Object)
        for name in frame.columns
    ]
    return pl.DataFrame(columns) if columns else pl.DataFrame(height=len(frame))


def answers(
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy = DEFAULT_POLICY,
    question: Question | str | None = None,
) -> pl.Expr:
    """The policy's answers as a Polars expression, for a user's own ``with_columns`` or
    ``select``: a struct column with the fields of :func:`check_frame`'s answer columns.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"registered_at": ["2024-05-02"], "category": ["Paid Media"]})
    >>> frame.with_columns(answers(at="2024-05-20", question="register").alias("answer")).unnest(
    ...     "answer"
    ... )["reason"].to_list()
    ['new_partner_discontinued']

    The expression reads the frame's columns by their names (those of
    :mod:`partner_onboarding.batch`) and answers each row from that row alone, through the same
    columnar path as :func:`check_frame`, a batch at a time. Without ``question`` it answers both
    questions, in fields prefixed ``register_`` and ``authorize_seller_`` (a ``question`` column
    is then not read: :func:`check_frame` reads one per row).
    """
    import polars as pl  # noqa: PLC0415  (an optional extra)

    RowReader(policy, at)  # type: ignore[arg-type]  # (checks the instant and the policy now)
    if question is not None:
        question = RowReader(policy, at).questions(question)[0]  # type: ignore[arg-type]

    names = _answer_names(question)

    def answer(rows: pl.Series) -> pl.Series:
        frame = rows.struct.unnest()
        if question is None and "question" in frame.columns:
            frame = frame.drop("question")  # (both questions, whatever a row asks)
        checked = answer_polars(frame, at=at, policy=policy, question=question)
        return checked.select(names).to_struct(rows.name)

    schema = pl.Struct({name: _answer_type(name) for name in names})
    expression = pl.struct(pl.all()).map_batches(answer, return_dtype=schema, is_elementwise=True)
    return expression.alias("answer")


def _answer_names(question: Question | None) -> list[str]:
    """The answer columns for ``question``, or for both questions (prefixed) without one."""
    if question is not None:
        return [*ANSWER_FIELDS, "error"]
    prefixes = (f"{each.value}_" for each in (Question.REGISTER, Question.AUTHORIZE_SELLER))
    return [prefix + name for prefix in prefixes for name in ANSWER_FIELDS] + ["error"]


def _answer_type(name: str) -> Any:
    """The Polars type of an answer column (``register_reason_codes`` is a ``reason_codes``)."""
    import polars as pl  # noqa: PLC0415

    types = {
        "reason_codes": pl.List(pl.Categorical),
        "changes_at": pl.Datetime("us", "UTC"),
        "allowed": pl.Boolean,
        "reason": pl.Categorical,
        "message": pl.Categorical,
        "error": pl.String,
    }
    return next(kind for field, kind in types.items() if name.endswith(field))


def answer_polars(
    frame: pl.DataFrame,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy,
    question: Question | str | None,
    memo: Memo | None = None,
) -> pl.DataFrame:
    """The answer columns beside ``frame``'s, for a frame already diagnosed (what
    :func:`check_frame` does after its checks, and each batch of Spark's answers):
    ``memo``, the readings of earlier batches of the same policy, instant and shape."""
    decided = decide_rows(frame, at=at, policy=policy, question=question, memo=memo)
    answers = _canonical(decided)
    for prefix, indices in decided.indices.items():
        answers += decided.table.columns(prefix, indices, decided.registered)
    return decided.frame.with_columns([*answers, decided.error])


#: The input's columns that the answers spell as ``check_rows`` writes them.
_SPELLED: Final = ("category", "market", "question")


def _canonical(decided: Decided) -> list[pl.Expr]:
    """The ``category``, ``market`` and ``question`` text columns of the input as ``check_rows``
    writes them for a row it answers (the category's name, the market's code, the question's
    value, whatever their spelling); a row in error keeps its own cells."""
    import polars as pl  # noqa: PLC0415

    frame, plans = decided.frame, decided.plans
    spelled = {  # (in the order of _SPELLED)
        "category": [plan.category for plan in plans],
        "market": [plan.market for plan in plans],
        "question": [plan.question for plan in plans],
    }
    ok = decided.error.is_null()
    columns = []
    for name, values in spelled.items():
        if name not in frame.columns or frame.schema[name] != pl.String:
            continue  # (a column of another type is the user's own: kept as it is)
        given = decided.cells.get(name)
        if given is not None and all(
            new is None or new == old for new, old in zip(values, given, strict=True)
        ):
            continue  # (every cell already spelled so: nothing to write)
        canonical = pl.Series(values, dtype=pl.String).gather(decided.combo)
        keep = pl.lit(ok) & pl.lit(canonical).is_not_null()
        columns.append(pl.when(keep).then(pl.lit(canonical)).otherwise(pl.col(name)).alias(name))
    return columns
