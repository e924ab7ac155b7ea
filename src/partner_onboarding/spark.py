"""Beyond one machine: the policy's answers for a Spark DataFrame, computed where its rows are.

:func:`check_spark` returns at once, running no Spark job: the result's schema is declared (the
answers of an empty frame of the input's columns say it), and its rows are answered only when
the result is asked for, on the executors, each Arrow batch of a partition by the bulk engine
(:mod:`partner_onboarding.engine`) in Polars: each distinct combination of the few-valued columns
read once a partition, each registration placed among the rulebook's thresholds in native code,
no Python a row. Every row gets exactly the answer of :func:`partner_onboarding.batch.check_rows`
(a differential test checks it), and the same columns as
:func:`partner_onboarding.frames.check_frame`: an input column named as an answer column is
replaced by it; ``category``, ``market`` and ``question`` come back spelled as ``check_rows``
writes them.

PySpark is an optional extra: ``pip install 'partner-onboarding[spark]'`` (with Polars and
PyArrow, which the executors' Python needs too).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from partner_onboarding.engine import Memo, RowReader, column_problems
from partner_onboarding.errors import MissingExtra, Problem, ValidationError
from partner_onboarding.frames import answer_polars
from partner_onboarding.policy import DEFAULT_POLICY, Policy, Question

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["check_spark"]


def _diagnose(frame: DataFrame, question: Question | None) -> None:
    """Refuse, from the schema (no job runs), a frame that every row would be wrong in."""
    from pyspark.sql import types  # noqa: PLC0415

    problems = column_problems(frame.columns, question)
    fields = {field.name: field.dataType for field in frame.schema.fields}
    if isinstance(fields.get("registered_at"), types.TimestampNTZType):
        problems.append(
            Problem(
                "registered_at",
                "holds date-times without a time zone: convert the column to aware timestamps",
            )
        )
    if problems:
        raise ValidationError(problems, what="frame")


def check_spark(
    frame: DataFrame,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy = DEFAULT_POLICY,
    question: Question | str | None = None,
) -> DataFrame:
    """The policy's answers for every row of the Spark DataFrame ``frame`` at ``at``: the input's
    columns and the answer columns of :func:`partner_onboarding.frames.check_frame` (prefixed
    ``register_``/``authorize_seller_`` when both questions are answered), and ``error``. No job
    runs until the result is asked for."""
    try:
        import polars as pl  # noqa: PLC0415
        from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema  # noqa: PLC0415
    except ImportError:
        raise MissingExtra("check_spark", "spark") from None
    facts = RowReader(policy, at)  # type: ignore[arg-type]  # (it checks the policy and the instant)
    asked = None if question is None else facts.questions(question)[0]
    _diagnose(frame, asked)
    instant = facts.instant
    # The answers of an empty frame of the input's columns: the result's columns and types.
    empty = pl.from_arrow(to_arrow_schema(frame.schema, timezone="UTC").empty_table())
    assert isinstance(empty, pl.DataFrame)  # noqa: S101  (a table gives a frame)
    shape = _narrowed(answer_polars(empty, at=instant, policy=policy, question=asked)).schema
    one_question = asked is not None or "question" in frame.columns

    def answer(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        memo = Memo(RowReader(policy, instant), one_question=one_question)
        for batch in batches:
            read = pl.from_arrow(batch)
            assert isinstance(read, pl.DataFrame)  # noqa: S101  (a batch gives a frame)
            answered = answer_polars(read, at=instant, policy=policy, question=asked, memo=memo)
            yield from _narrowed(answered).to_batches()

    with warnings.catch_warnings():  # (Spark checks pandas for any Arrow UDF; none is used)
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        return frame.mapInArrow(answer, from_arrow_schema(shape))


def _narrowed(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table of the types Spark reads: text (not categorical, not large)
    and lists of it."""
    import pyarrow as pa  # noqa: PLC0415

    table = frame.to_arrow()
    return table.cast(pa.schema([(field.name, _spark_type(field.type)) for field in table.schema]))


def _spark_type(kind: Any) -> Any:
    import pyarrow as pa  # noqa: PLC0415

    if pa.types.is_large_list(kind) or pa.types.is_list(kind):
        return pa.list_(_spark_type(kind.value_type))
    if pa.types.is_dictionary(kind) or pa.types.is_large_string(kind) or kind == pa.string_view():
        return pa.string()
    return kind
