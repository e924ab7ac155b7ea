"""DataFrames in, DataFrames out: the policy's answers for every row of a pandas or Polars
frame.

:func:`check_frame` takes a frame with the columns of :mod:`partner_onboarding.batch`
(``partner_id`` is not needed here: the answer stays on its own row) and returns a frame aligned
to it: a pandas frame keeps its index, a Polars frame keeps its columns and gets the answer columns
beside them. A lazy Polars frame gives a lazy frame.

The work is columnar. What has few distinct values (category, markets, question, status, the list
of approved categories) is understood once per distinct value by the plain path of
:mod:`partner_onboarding.batch`, which also builds the answer for each; what has one value per
partner (the registration instant) is compared in native code with the one instant the policy's
rule reads (:attr:`Policy.new_partners_from_at`). A cell the native parsers cannot read goes the
plain way too, so every row gets exactly the answer of :func:`partner_onboarding.batch.check_rows`
(a differential test checks it on generated rows).

Polars (and, for pandas frames, pyarrow) are optional: ``pip install 'partner-onboarding[polars]'``.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from partner_onboarding._fields import require_instance
from partner_onboarding.batch import (
    COLUMNS,
    REMEMBERED_REFUSALS,
    Facts,
    column_problems,
    short_key,
)
from partner_onboarding.catalog import parse_member, quote
from partner_onboarding.errors import MissingExtra, OnboardingError, Problem, ValidationError
from partner_onboarding.policy import DEFAULT_POLICY, Policy, Question, Verdict, iana_zone

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = ["ANSWER_FIELDS", "answers", "check_frame", "diff"]

#: The answer columns, for one question (prefixed ``register_``/``authorize_seller_`` for both).
ANSWER_FIELDS: Final = ("allowed", "reason", "reason_codes", "message", "changes_at")

#: How many combinations' plans, and how many cells' readings, a memo keeps (a bounded memory,
#: whatever the input).
_REMEMBERED_PLANS: Final = 65_536

#: The columns understood once per distinct combination of values: all but the partner's own.
KEY_COLUMNS: Final = COLUMNS[2:]
REGISTERED_COLUMN: Final = COLUMNS[1]
#: The cells Polars reads natively, by their exact shape: a day (``2024-04-30``, ``20240430``)
#: and an instant with an offset (``2024-04-30T09:00:00.5-07:00``, ``…Z``). Polars' parsers alone
#: are more lenient than the plain path (a leap second, a missing zero, a signed year, a zone
#: name, the year 0), and a day of the year 1 may start before the calendar does in the policy's
#: zone: any other cell goes the plain way, which reads it or says what is wrong. (Spark's own
#: patterns are strict: :mod:`partner_onboarding.spark` guards only the year 0.)
_YEAR: Final = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"  # (1 to 9999)
_DAY_YEAR: Final = "(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"  # (2 to 9999)
_DAY_SHAPE: Final = rf"^{_DAY_YEAR}-[0-9]{{2}}-[0-9]{{2}}$|^{_DAY_YEAR}[0-9]{{4}}$"
_INSTANT_SHAPE: Final = (
    rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-5][0-9]"
    r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
#: The first day of the calendar: it starts before the calendar does in a zone east of UTC, so a
#: date column's cell of that day goes the plain way too.
FIRST_DAY: Final = dt.date.min
_DAY_FORMATS: Final = ("%Y-%m-%d", "%Y%m%d")
#: Within that shape, chrono's RFC 3339 reader: the same instants as an explicit pattern, faster.
_INSTANT_FORMAT: Final = "%+"
#: A month and day that exist in every year (the 29th of February, which exists in some years
#: only, is not one), with ``{0}`` between them.
_MONTH_DAY: Final = (
    "((0[1-9]|1[0-2]){0}(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2]){0}(29|30)|(0[13578]|1[02]){0}31)"
)
#: Cells valid by their text alone, which need no parsing: a day of the years 1000 to 9999
#: (``2024-04-30``, ``20240430``), decided by comparing its text with the first day's (fixed
#: width digits sort as numbers do); an instant with every field in range, an offset of less
#: than a day and a year whose instants are all in Python's calendar at any such offset (1000 to
#: 9998), decided by its text when it is more than a day from the policy's threshold (see
#: :func:`_far_from`). Any other cell of a shape above is parsed.
_VALID_DAY: Final = rf"^[1-9][0-9]{{3}}(-{_MONTH_DAY.format('-')}|{_MONTH_DAY.format('')})$"
_VALID_INSTANT: Final = (
    rf"^([1-8][0-9]{{3}}|9[0-8][0-9]{{2}}|99[0-8][0-9]|999[0-8])-{_MONTH_DAY.format('-')}"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


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
    column whose name is a misspelling of one of :data:`~partner_onboarding.batch.COLUMNS` that
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
            lambda batch: _check(_assumed(batch, zone), at=at, policy=policy, question=asked),
            streamable=False,
            schema=output,
        )
    if isinstance(frame, pl.DataFrame):
        _diagnose(frame.columns, frame.schema.get(REGISTERED_COLUMN), asked, zone)
        return _check(_assumed(frame, zone), at=at, policy=policy, question=asked)
    if type(frame).__module__.startswith("pandas"):
        import pandas  # noqa: ICN001, PLC0415  (it is installed: the frame is one)

        converted = _from_pandas(frame)
        _diagnose(list(frame.columns), converted.schema.get(REGISTERED_COLUMN), asked, zone)
        answers = _check(_assumed(converted, zone), at=at, policy=policy, question=asked)
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
    ``string``, ``reason_codes`` Python lists, ``reason`` and ``message`` categorical."""
    import pandas  # noqa: ICN001, PLC0415

    added = answers.to_pandas()
    for name in answers.columns:
        if name.endswith("allowed"):
            added[name] = added[name].astype("boolean")
        elif name.endswith("error") or name in _SPELLED:
            added[name] = added[name].astype("string")
        elif name.endswith("reason_codes"):
            added[name] = pandas.Series(answers[name].to_list(), dtype=object)
    return added


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

    Facts(policy, at)  # type: ignore[arg-type]  # (checks the instant and the policy now)
    if question is not None:
        question = Facts(policy, at).questions(question)[0]  # type: ignore[arg-type]

    names = _answer_names(question)

    def answer(rows: pl.Series) -> pl.Series:
        frame = rows.struct.unnest()
        if question is None and "question" in frame.columns:
            frame = frame.drop("question")  # (both questions, whatever a row asks)
        checked = _check(frame, at=at, policy=policy, question=question)
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


def _check(
    frame: pl.DataFrame,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy,
    question: Question | str | None,
) -> pl.DataFrame:
    decided = decide_rows(frame, at=at, policy=policy, question=question)
    answers = _canonical(decided)
    for prefix, indices in decided.indices.items():
        answers += decided.table.columns(prefix, indices)
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


@attrs.frozen
class Decided:
    """Every row's answers, as indices: what :func:`_check` makes columns of, and the command
    line makes text of."""

    frame: pl.DataFrame  # (the input, with a ``question`` column when one was given)
    table: _DecisionTable
    plans: list[PlanRow]
    combo: pl.Series  # each row's index into ``plans``
    #: Each plan's cells, by column: the few-valued columns' values that made it.
    cells: dict[str, list[Any]]
    #: Each answer column's prefix ("" for one question a row; ``register_`` and
    #: ``authorize_seller_`` for both) and each row's index into ``table.decisions`` (null for a
    #: row with an error).
    indices: dict[str, pl.Series]
    error: pl.Series


def decide_rows(
    frame: pl.DataFrame,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy,
    question: Question | str | None,
    memo: Memo | None = None,
) -> Decided:
    """Every row's answers as indices. ``memo``: the readings and plans of earlier frames of
    the same policy, instant and shape (the command line's chunks); a new one by default."""
    import polars as pl  # noqa: PLC0415

    facts = Facts(policy, at) if memo is None else memo.facts  # type: ignore[arg-type]
    if question is not None:
        frame = frame.with_columns(pl.lit(facts.questions(question)[0].value).alias("question"))
    asked = (
        (Question.REGISTER, Question.AUTHORIZE_SELLER) if "question" not in frame.columns else None
    )
    keys = [name for name in KEY_COLUMNS if name in frame.columns]
    # 1. Each distinct combination of the few-valued columns, understood once by the plain path.
    combos, combo_of_row = _combinations(frame.select(keys), len(frame))
    if memo is None:
        memo = Memo(facts, one_question=asked is None)
    plans = [memo.plan_of(dict(zip(keys, values, strict=True))) for values in combos]
    # 2. The one per-partner fact, its bucket among the registration thresholds, natively.
    new = _bucket(frame, policy)
    needs = pl.Series([plan.needs_registration for plan in plans], dtype=pl.Boolean)
    needs = needs.gather(combo_of_row)
    # 3. Cells the native parsers could not read go the plain way (and say what is wrong).
    slow_rows = (
        (needs & new["bucket"].is_null() & new["raw_present"]).arg_true().to_list()
        if REGISTERED_COLUMN in frame.columns
        else []
    )
    fixed: dict[int, int] = {}
    slow_errors: dict[int, str] = {}
    for row in slow_rows:
        try:
            fixed[row] = facts.bucket(frame[REGISTERED_COLUMN][row])
        except OnboardingError as error:
            slow_errors[row] = error_text(error)
    bucket = new["bucket"]
    if fixed:
        bucket = bucket.scatter(list(fixed), list(fixed.values()))
    # 4. The answers: each distinct decision becomes values once, and rows gather them by index;
    #    so does each distinct error text (numbers are combined, and texts gathered once).
    buckets = len(facts.fact_values(Question.REGISTER))
    table = _DecisionTable(plans, buckets)
    slow = {row: table.error_number(text) for row, text in slow_errors.items()}
    required = table.error_number("registered_at: is required")
    state = pl.DataFrame(
        {
            "combo": combo_of_row,
            "bucket": bucket,
            "needs": needs,
            "plan_error": table.errors.gather(combo_of_row),
            "slow_error": _sparse(len(frame), slow),
            "approval_error": table.approval_errors.gather(combo_of_row),
        }
    )
    error_of_row = pl.coalesce(  # (in the order the plain path reads a row)
        pl.col("plan_error"),
        pl.col("slow_error"),
        pl.when(pl.col("needs") & pl.col("bucket").is_null()).then(pl.lit(required, pl.UInt32)),
        pl.col("approval_error"),
    )
    state = state.with_columns(error_of_row.alias("error"))
    ok = pl.col("error").is_null()
    where = pl.col("combo").cast(pl.UInt32) * buckets + pl.col("bucket").cast(pl.UInt32)
    register = pl.when(ok).then(pl.lit(table.register).gather(where))
    authorize = pl.when(ok).then(pl.lit(table.authorize).gather(pl.col("combo")))
    if asked is None:  # one question per row: the one its plan answers
        chosen = {"": pl.coalesce(register, authorize)}
    else:
        chosen = dict(zip((f"{each.value}_" for each in asked), (register, authorize), strict=True))
    texts = pl.lit(pl.Series(table.error_texts, dtype=pl.String)).gather(pl.col("error"))
    picked = state.select(  # (one pass: Polars picks the columns side by side)
        texts.alias("error"), *(expression.alias(prefix) for prefix, expression in chosen.items())
    )
    indices = {prefix: picked[prefix].alias("") for prefix in chosen}
    cells: dict[str, list[Any]] = {
        name: [values[i] for values in combos] for i, name in enumerate(keys)
    }
    return Decided(frame, table, plans, combo_of_row, cells, indices, picked["error"])


def _combinations(keyed: pl.DataFrame, length: int) -> tuple[list[tuple[Any, ...]], pl.Series]:
    """The distinct rows of ``keyed``, and for each row the index of its own among them (with
    no column, one empty combination for every row).

    Rows are grouped by a hash of their values, and the grouping is then proven by comparing
    every row with the one that stands for its group: only if two distinct rows share a hash
    (the proof fails) are they grouped the exact way, by a join on every column.
    """
    import polars as pl  # noqa: PLC0415

    if not keyed.width:
        return [()], pl.repeat(0, length, dtype=pl.UInt32, eager=True)
    if pl.Object in keyed.schema.dtypes():  # (Python objects: Polars can neither hash nor compare)
        return _combinations_of_objects(keyed)
    hashes = keyed.hash_rows()
    firsts = hashes.is_first_distinct().arg_true()
    combos = keyed.gather(firsts)
    numbers = pl.int_range(len(firsts), dtype=pl.UInt32, eager=True)
    of_row = hashes.replace_strict(hashes.gather(firsts), numbers, return_dtype=pl.UInt32)
    # (each column compared with its representatives' in one select: side by side, and the
    # representatives' column gathered inside the comparison, never kept)
    proof = keyed.select(
        pl.col(name).eq_missing(pl.lit(combos[name]).gather(pl.lit(of_row))).all()
        for name in keyed.columns
    )
    if all(proof.row(0)):
        return combos.rows(), of_row
    combos = keyed.unique(maintain_order=True)
    numbered = combos.with_columns(
        pl.int_range(len(combos), dtype=pl.UInt32, eager=True).alias("__po_combo")
    )
    joined = keyed.join(
        numbered, on=keyed.columns, how="left", nulls_equal=True, maintain_order="left"
    )
    return combos.rows(), joined["__po_combo"]


def _combinations_of_objects(keyed: pl.DataFrame) -> tuple[list[tuple[Any, ...]], pl.Series]:
    """:func:`_combinations` in Python, for columns of Python objects: rows are alike when their
    values are equal and of the same types (``1`` and ``True`` are told apart, as the plain path's
    errors quote them); a row holding an unhashable value is a combination of its own."""
    import polars as pl  # noqa: PLC0415

    combos: list[tuple[Any, ...]] = []
    numbers: dict[object, int] = {}
    of_row = []
    for row in keyed.iter_rows():
        try:
            key: object = tuple(_typed(value) for value in row)
            number = numbers.setdefault(key, len(combos))
        except TypeError:  # (unhashable)
            number = len(combos)
        if number == len(combos):
            combos.append(row)
        of_row.append(number)
    return combos, pl.Series(of_row, dtype=pl.UInt32)


def _typed(value: object) -> object:
    if isinstance(value, list | tuple):
        return (type(value), tuple(_typed(item) for item in value))
    return (type(value), value)


def _sparse(length: int, values: Mapping[int, int | None]) -> pl.Series:
    import polars  # noqa: PLC0415, ICN001  (an optional extra; "pl" names the type here)

    column = _nulls(length, polars.UInt32)
    if values:
        column = column.scatter(list(values), list(values.values()))
    return column


class _DecisionTable:
    """Every distinct decision of the plans once, and each plan's index into them."""

    def __init__(self, plans: list[PlanRow], buckets: int) -> None:
        import polars as pl  # noqa: PLC0415

        self.decisions: list[Verdict] = []
        seen: dict[int, int] = {}

        def index(decision: Verdict | None) -> int | None:
            if decision is None:
                return None
            if id(decision) not in seen:
                seen[id(decision)] = len(self.decisions)
                self.decisions.append(decision)
            return seen[id(decision)]

        # (each plan's registration answers, one for each bucket: plan * buckets + bucket)
        self.buckets = buckets
        self.register = pl.Series(
            [
                index(p.register[bucket]) if p.register else None
                for p in plans
                for bucket in range(buckets)
            ],
            dtype=pl.UInt32,
        )
        self.authorize = pl.Series([index(p.authorize) for p in plans], dtype=pl.UInt32)
        # Each plan's error and approval error as a number: an index into ``error_texts``.
        self.error_texts: list[str] = []
        self._error_numbers: dict[str, int] = {}
        self.errors = pl.Series([self.error_number(p.error) for p in plans], dtype=pl.UInt32)
        self.approval_errors = pl.Series(
            [self.error_number(p.approval_error) for p in plans], dtype=pl.UInt32
        )

    def error_number(self, text: str | None) -> int | None:
        """The index of ``text`` in ``error_texts`` (added if new); None for no error."""
        if text is None:
            return None
        number = self._error_numbers.get(text)
        if number is None:
            number = self._error_numbers[text] = len(self.error_texts)
            self.error_texts.append(text)
        return number

    def columns(self, prefix: str, indices: pl.Series) -> list[pl.Expr]:
        """The answer columns for ``indices``, as expressions (one ``with_columns`` gathers
        them all, in parallel)."""
        import polars as pl  # noqa: PLC0415

        found = self.decisions
        values = (
            pl.Series([d.allowed for d in found], dtype=pl.Boolean),
            # (categorical: a handful of distinct texts, four bytes a row)
            pl.Series([d.codes[0] for d in found], dtype=pl.Categorical),
            pl.Series([list(d.codes) for d in found], dtype=pl.List(pl.Categorical)),
            pl.Series([d.message for d in found], dtype=pl.Categorical),
            pl.Series([d.changes_at for d in found], dtype=pl.Datetime("us", "UTC")),
        )
        return [
            pl.lit(column).gather(pl.lit(indices)).alias(f"{prefix}{name}")
            for name, column in zip(ANSWER_FIELDS, values, strict=True)
        ]


class PlanRow:
    """What one distinct combination of the few-valued columns answers."""

    __slots__ = (
        "approval_error",
        "authorize",
        "category",
        "error",
        "market",
        "needs_registration",
        "question",
        "register",
    )

    def __init__(self) -> None:
        # What a record of the plain path says of the row (None for a combination in error):
        # the category's name, the target market's code, the one question asked (None for both).
        self.category: str | None = None
        self.market: str | None = None
        self.question: str | None = None
        self.register: tuple[Verdict, ...] | None = None  # by the partner's bucket
        self.authorize: Verdict | None = None
        self.error: str | None = None  # (category, markets, question: read before anything)
        # (the approval facts: read after the registration, as the plain path reads a row)
        self.approval_error: str | None = None
        self.needs_registration = False


class Memo:
    """The plain path's readings of each distinct cell, remembered across combinations (a bad
    cell, whose error searches for suggestions, is read once).

    ``one_question``: the frame has a ``question`` column, which says each row's one question;
    a row that leaves it empty is refused (a row of a frame holds one answer, not two).
    """

    def __init__(self, facts: Facts, *, one_question: bool) -> None:
        self.facts = facts
        self.one_question = one_question
        self.seen: dict[tuple[str, object], Any] = {}
        self.refused = 0  # (how many refusals ``seen`` and ``plans`` hold)
        # Each combination's plan, for a memo that serves many frames (the command line's
        # chunks); bounded, as every memory of raw values is.
        self.plans: dict[tuple[object, ...], PlanRow] = {}

    def plan_of(self, row: Mapping[str, Any]) -> PlanRow:
        """:meth:`plan`, remembered by the combination's values (and their types)."""
        try:
            key: tuple[object, ...] | None = tuple(
                (name, _typed(_hashable(value))) for name, value in row.items()
            )
            found = self.plans.get(key)  # type: ignore[arg-type]
        except TypeError:  # (an unhashable Python object)
            key, found = None, None
        if found is None:
            found = self.plan(row)
            room = len(self.plans) < _REMEMBERED_PLANS and self._room_for(found.error is None)
            if key is not None and room and short_key(tuple(row.values())):
                self.plans[key] = found
        return found

    def _room_for(self, good: bool) -> bool:  # noqa: FBT001
        """Whether a reading (or plan) may be remembered: always a good one; a refusal while
        fewer than :data:`~partner_onboarding.batch.REMEMBERED_REFUSALS` are."""
        if good:
            return True
        self.refused += 1
        return self.refused <= REMEMBERED_REFUSALS

    def read(self, field: str, raw: object, reader: Any) -> Any:
        try:
            key: tuple[str, object] | None = (field, _typed(_hashable(raw)))
            found = self.seen.get(key)  # type: ignore[arg-type]
        except TypeError:  # (an unhashable Python object: read each time)
            key, found = None, None
        if found is None:
            try:
                found = (reader(raw), None)
            except OnboardingError as refusal:
                found = (None, copy.copy(refusal))  # (without the traceback and its frames)
            room = len(self.seen) < _REMEMBERED_PLANS and self._room_for(found[1] is None)
            if key is not None and room and short_key((raw,)):
                self.seen[key] = found  # (bounded: a memo may serve a whole file's chunks)
        value, failure = found
        if failure is not None:
            raise failure.with_traceback(None)  # (not the frames of every earlier raise)
        return value

    def plan(self, row: Mapping[str, Any]) -> PlanRow:
        """The plan of one combination; its problems in the order the plain path finds them:
        the category, the markets and the question first, then (per row, in :func:`decide_rows`)
        the registration, then the approval facts."""
        facts, plan = self.facts, PlanRow()
        try:
            category = self.read("category", row.get("category"), facts.category)
            market = self.read("market", row.get("market"), facts.market)
            registration = self.read(
                "registration_market",
                row.get("registration_market"),
                lambda raw: facts.market(raw, field="registration_market"),
            )
            asked = self.read("question", row.get("question"), facts.questions)
            if self.one_question and len(asked) > 1:
                raise ValidationError.single("question", "is required")
            authorizing = [  # (by approved? False, True)
                facts.decide(Question.AUTHORIZE_SELLER, category, registration, approved)
                for approved in (False, True)
                if Question.AUTHORIZE_SELLER in asked
            ]
            if Question.REGISTER in asked:
                plan.register = tuple(
                    facts.decide(Question.REGISTER, category, registration, bucket)
                    for bucket in facts.fact_values(Question.REGISTER)
                )
        except OnboardingError as error:
            plan.error = error_text(error)
            return plan
        plan.needs_registration = plan.register is not None
        plan.category, plan.market = category.name, market
        plan.question = asked[0].value if len(asked) == 1 else None
        if authorizing:
            try:
                plan.authorize = authorizing[facts.approved(_cells(row), category)]
            except OnboardingError as error:
                plan.approval_error = error_text(error)
        return plan


def _hashable(raw: object) -> object:
    return tuple(raw.to_list()) if hasattr(raw, "to_list") else raw


def _cells(row: Mapping[str, Any]) -> dict[str, Any]:
    cells = dict(row)
    listed = cells.get("approved_categories")
    if listed is not None and not isinstance(listed, str) and hasattr(listed, "to_list"):
        cells["approved_categories"] = listed.to_list()  # a Polars list cell
    return cells


def error_text(error: OnboardingError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(str(problem) for problem in error.problems)
    return str(error)


def _nulls(length: int, dtype: Any) -> pl.Series:
    """A column of ``length`` nulls, built in native code (a Python list costs 20 ms a million)."""
    import polars  # noqa: PLC0415, ICN001  (an optional extra; "pl" names the type here)

    return polars.repeat(None, length, dtype=dtype, eager=True)


def registration_thresholds(policy: Policy) -> tuple[list[tuple[dt.datetime, dt.date]], int]:
    """The policy's registration thresholds, each as an instant and as the first day whose start
    is at or after it; and the factor a bucket is multiplied by. A rulebook without thresholds
    still has its registration cells read (a bad one is a bad row): they are compared with one
    stand-in threshold, and the bucket multiplied by 0."""
    compiled = policy.compiled
    pairs = list(zip(compiled.thresholds, compiled.threshold_days, strict=True))
    if pairs:
        return pairs, 1
    return [(compiled.upgrade_at, compiled.first_day_from(compiled.upgrade_at))], 0


def _position(bounds: list[Any], value: pl.Expr, dtype: Any, factor: int) -> pl.Expr:
    """How many of the sorted ``bounds`` are at or before ``value`` (a binary search a row, in
    native code), times ``factor``; null where ``value`` is null."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    found = polars.lit(polars.Series(bounds, dtype=dtype)).search_sorted(value, side="right")
    found = found.cast(polars.UInt16) * factor if factor != 1 else found.cast(polars.UInt16)
    return polars.when(value.is_not_null()).then(found)


def _bucket_from_text(raw: pl.Series, policy: Policy) -> pl.Series:
    """The bucket of each cell of a text column: days (``2024-04-30``, ``20240430``) and
    instants with an offset are each parsed once, on their own rows only; null where native code
    cannot tell. A valid day, and a valid instant more than a day from every threshold, need no
    parsing: the text says which side of each it is on (:data:`_VALID_DAY`, :func:`_far_from`).
    The two parses of the other cells run as one batch, so that Polars can run them side by
    side."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    text = polars.col("raw")
    pairs, factor = registration_thresholds(policy)
    shaped = polars.DataFrame({"raw": raw}).with_columns(
        _decided_by_text(text, pairs, factor).alias("bucket"),
        polars.int_range(polars.len(), dtype=polars.UInt32).alias("row"),
    )
    day = polars.coalesce(*(text.str.to_date(form, strict=False) for form in _DAY_FORMATS))
    instant = text.str.to_datetime(_INSTANT_FORMAT, strict=False, time_zone="UTC", time_unit="us")
    rest = shaped.lazy().filter(polars.col("bucket").is_null())
    days = [first for _, first in pairs]
    instants = [at.astimezone(dt.UTC) for at, _ in pairs]
    by_day = _position(days, day, polars.Date, factor)
    by_instant = _position(instants, instant, polars.Datetime("us", "UTC"), factor)
    read = polars.collect_all(
        [
            rest.filter(text.str.contains(_DAY_SHAPE)).select("row", by_day.alias("bucket")),
            rest.filter(text.str.contains(_INSTANT_SHAPE)).select(
                "row", by_instant.alias("bucket")
            ),
        ]
    )
    bucket = shaped["bucket"]
    for rows in read:
        if len(rows):
            bucket = bucket.scatter(rows["row"], rows["bucket"])
    return bucket


def _decided_by_text(
    text: pl.Expr, pairs: list[tuple[dt.datetime, dt.date]], factor: int
) -> pl.Expr:
    """The bucket of the cells of ``text`` valid by their text alone: a day of
    :data:`_VALID_DAY`, placed among the texts of the thresholds' first days (the first day
    whose start is at or after each); an instant of :data:`_VALID_INSTANT` more than a day from
    every threshold, placed among the bounds of :func:`_far_from` (it is decided when as many
    lower bounds as upper bounds sort at or before it: it lies in no threshold's day either
    side). Null for every other cell, which is parsed."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    string = polars.String
    dashed = _position([day.isoformat() for _, day in pairs], text, string, factor)
    compact = _position(
        [day.isoformat().replace("-", "") for _, day in pairs], text, string, factor
    )
    bounds = [_far_from(at) for at, _ in pairs]
    lower = _position([before for before, _ in bounds], text, string, 1)
    upper = _position([after for _, after in bounds], text, string, 1)
    by_instant = upper * factor if factor != 1 else upper
    return (
        polars.when(text.str.contains(_VALID_DAY))
        .then(
            polars.when(text.str.len_bytes() == len("2024-04-30")).then(dashed).otherwise(compact)
        )
        .when(text.str.contains(_VALID_INSTANT) & (lower == upper))
        .then(by_instant)
    )


def _far_from(threshold: dt.datetime) -> tuple[str, str]:
    """Two texts of the threshold's day and time in UTC: text of a valid instant (of
    :data:`_VALID_INSTANT`) that sorts before the first is an instant before the threshold, and
    text that sorts at or after the second is one at or after it.

    Such a text's wall-clock reading is its instant plus an offset of less than a day, so a
    reading more than a day before (after) the threshold is an instant before (after) it. Both
    texts are whole seconds in the ``YYYY-MM-DDTHH:MM:SS`` of the instants' own text, so that
    comparing texts compares readings: one second's text sorts before its own fractions and offsets.
    """
    reading, day = threshold.astimezone(dt.UTC).replace(tzinfo=None), dt.timedelta(days=1)
    try:  # (a whole second at or before a day before)
        before = (reading - day).replace(microsecond=0).isoformat()
    except OverflowError:  # (the calendar's first day: no valid text sorts before "0")
        before = "0"
    try:  # (a whole second at or after a day after)
        after = (reading + day + _ALMOST_A_SECOND).replace(microsecond=0).isoformat()
    except OverflowError:  # (the calendar's last day: no valid text sorts at or after "A")
        after = "A"
    return before, after


_ALMOST_A_SECOND: Final = dt.timedelta(microseconds=999_999)


def _bucket(work: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Columns ``bucket`` (null where native code could not tell) and ``raw_present``."""
    import polars as pl  # noqa: PLC0415

    if REGISTERED_COLUMN not in work.columns:
        return pl.DataFrame(
            {
                "bucket": _nulls(len(work), pl.UInt16),
                "raw_present": pl.repeat(False, len(work), dtype=pl.Boolean, eager=True),  # noqa: FBT003
            }
        )
    column = pl.col(REGISTERED_COLUMN)
    dtype = work.schema[REGISTERED_COLUMN]
    pairs, factor = registration_thresholds(policy)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        in_utc = column.dt.convert_time_zone("UTC")  # (the same instants: a type change only)
        instants = [at.astimezone(dt.UTC) for at, _ in pairs]
        bucket = _position(instants, in_utc, pl.Datetime(dtype.time_unit, "UTC"), factor)
    elif isinstance(dtype, pl.Date):  # (the first day goes the plain way: see FIRST_DAY)
        by_day = _position([day for _, day in pairs], column, pl.Date, factor)
        bucket = pl.when(column > pl.lit(FIRST_DAY)).then(by_day)
    elif dtype == pl.String:
        bucket = pl.lit(_bucket_from_text(work[REGISTERED_COLUMN], policy))
    else:  # naive datetimes, numbers, objects: the plain way decides (and says what is wrong)
        bucket = pl.lit(None, dtype=pl.UInt16)
    present = column.is_not_null()
    if dtype == pl.String:
        present = present & (column.str.len_chars() > 0)
    return work.select(bucket.cast(pl.UInt16).alias("bucket"), present.alias("raw_present"))
