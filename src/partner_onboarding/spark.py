"""Beyond one machine: the policy's answers for a Spark DataFrame, in native Spark expressions.

:func:`check_spark` answers every row of a Spark DataFrame inside the JVM, on any cluster, with no
Python UDF. As in :mod:`partner_onboarding.frames`, what has few distinct values (category,
markets, question, status, approved lists) is collected once per distinct combination and
understood by the bulk engine (:mod:`partner_onboarding.engine`), which builds each answer once;
the small table of each combination's answers (one for each bucket of the registration among
the rulebook's thresholds) is broadcast and joined back in one join. The registration instant,
one per partner, is placed among the thresholds in Spark, which picks the row's answer; the few
distinct cells Spark cannot parse are read the plain way too and joined back, so every row gets
exactly the answer of :func:`partner_onboarding.batch.check_rows` (a differential test checks
it). An input column named as an answer column is replaced by it, as in ``check_frame``.

PySpark is an optional extra: ``pip install 'partner-onboarding[spark]'``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from partner_onboarding.engine import (
    ANSWER_FIELDS,
    FIRST_DAY,
    KEY_COLUMNS,
    REGISTERED_COLUMN,
    Facts,
    Memo,
    column_problems,
    error_text,
    registration_thresholds,
)
from partner_onboarding.errors import OnboardingError, Problem, ValidationError
from partner_onboarding.policy import DEFAULT_POLICY, Policy, Question, Verdict

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["check_spark"]

#: What Spark reads natively: a day (``2024-04-30``, ``20240430``) and ISO 8601 with an offset or
#: ``Z``, in these patterns. Spark's parser is strict (fixed-width fields, no leap second, no
#: sign, no zone name), unlike Polars' (hence the shapes of :mod:`partner_onboarding.frames`);
#: a differential test on near misses of ISO text checks it. It does read the year 0, which
#: Python has not: such a cell goes the plain way, as does a day of the year 1 (see
#: ``frames.FIRST_DAY``).
_INSTANT_PATTERNS: Final = (
    "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ssXXX",
)
_DAY: Final = r"^\s*[0-9]{4}-?[0-9]{2}-?[0-9]{2}\s*$"


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
    ``register_``/``authorize_seller_`` when both questions are answered), and ``error``."""
    from pyspark.sql import functions as f  # noqa: PLC0415  (an optional extra)

    facts = Facts(policy, at)  # type: ignore[arg-type]  # (it reads text too)
    _diagnose(frame, None if question is None else facts.questions(question)[0])
    spark = frame.sparkSession
    if question is not None:
        frame = frame.withColumn("question", f.lit(facts.questions(question)[0].value))
    asked = None if "question" in frame.columns else (Question.REGISTER, Question.AUTHORIZE_SELLER)
    keys = [name for name in KEY_COLUMNS if name in frame.columns]
    bucket, unread = _registration(frame, policy)
    buckets = len(facts.fact_values(Question.REGISTER))
    # 1. One pass: the distinct combinations of the few-valued columns, each with the
    #    registration cells Spark cannot read, understood once on the driver.
    seen_rows = frame.select(*keys, unread.alias("__raw")).distinct().collect()
    combos = {_hashable(row[:-1]): row[:-1] for row in seen_rows} if keys else {(): ()}
    memo = Memo(facts, one_question=asked is None)  # (a Spark array arrives as a list)
    plans = {key: memo.plan(dict(zip(keys, combo, strict=True))) for key, combo in combos.items()}
    # Each combination's candidate answers, by question and the partner's bucket: a row whose
    # question is asked in the frame takes ``__b{bucket}`` (an authorisation: ``__b0``); with
    # both questions answered, ``__r{bucket}`` and ``__au``.
    registers = tuple(f"__{'b' if asked is None else 'r'}{i}" for i in range(buckets))
    if asked is None:
        candidates = {
            key: (plan.register or (plan.authorize,) * buckets) for key, plan in plans.items()
        }
        prefixes: tuple[str, ...] = registers
    else:
        candidates = {
            key: (*(plan.register or (None,) * buckets), plan.authorize)
            for key, plan in plans.items()
        }
        prefixes = (*registers, "__au")
    answer_types = ("boolean", "string", "array<string>", "string", "timestamp")
    plan_rows = [
        (
            *combos[key],
            *(field for decision in candidates[key] for field in _fields(decision)),
            plan.error,
            plan.approval_error,
            plan.needs_registration,
        )
        for key, plan in plans.items()
    ]
    plan_schema = [frame.schema[key].dataType.simpleString() for key in keys]
    answer_columns = [f"{p}_{name}" for p in prefixes for name in ANSWER_FIELDS]
    columns = [*(f"__k{i}" for i in range(len(keys))), *answer_columns, "__pe", "__ae", "__nd"]
    types = [*plan_schema, *(answer_types * len(prefixes)), "string", "string", "boolean"]
    table = spark.createDataFrame(
        plan_rows, ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
    )
    if keys:
        condition = [frame[key].eqNullSafe(table[f"__k{i}"]) for i, key in enumerate(keys)]
        work = frame.join(f.broadcast(table), condition, "left").drop(
            *(f"__k{i}" for i in range(len(keys)))
        )
    else:
        work = frame.crossJoin(f.broadcast(table))
    # 2. The cells Spark could not read, of rows whose question reads the registration: read by
    #    the plain path and joined back.
    unread_cells = {
        _hashable(row[-1:]): row[-1]
        for row in seen_rows
        if row[-1] is not None and plans[_hashable(row[:-1])].needs_registration
    }
    cells = sorted(unread_cells.values(), key=repr)
    work, bucket, slow_error = _read_the_rest(work, bucket, cells, facts, spark)
    error = f.coalesce(  # (in the order the plain path reads a row)
        f.col("__pe"),
        slow_error,
        f.when(f.col("__nd") & bucket.isNull(), f.lit("registered_at: is required")),
        f.col("__ae"),
    )
    work = work.withColumn("error", error)
    ok = f.col("error").isNull()
    # 3. The answers: each field picked from the row's candidates.

    def by_bucket(name: str) -> Column:
        chosen = f.when(f.lit(False), f.lit(None))  # noqa: FBT003  (a chain to extend)
        for i, prefix in list(enumerate(registers))[1:]:
            chosen = chosen.when(ok & (bucket == i), f.col(f"{prefix}_{name}"))
        return chosen.when(ok, f.col(f"{registers[0]}_{name}"))

    if asked is None:
        picked = {n: by_bucket(n) for n in ANSWER_FIELDS}
    else:
        picked = {
            **{f"register_{n}": by_bucket(n) for n in ANSWER_FIELDS},
            **{f"authorize_seller_{n}": f.when(ok, f.col(f"__au_{n}")) for n in ANSWER_FIELDS},
        }
    # (an input column of an answer's name is replaced, as check_frame does)
    kept = [name for name in frame.columns if name not in picked and name != "error"]
    return work.select(*kept, *(column.alias(n) for n, column in picked.items()), "error")


def _fields(decision: Verdict | None) -> tuple[Any, ...]:
    """A decision's answer fields as Spark takes them (all null for no decision)."""
    if decision is None:
        return (None,) * len(ANSWER_FIELDS)
    changes_at = decision.changes_at
    return (
        decision.allowed,
        decision.codes[0],
        list(decision.codes),
        decision.message,
        None if changes_at is None else changes_at.astimezone(dt.UTC),
    )


def _hashable(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _registration(frame: DataFrame, policy: Policy) -> tuple[Column, Column]:
    """Two expressions on ``frame``: the partner's bucket (null where Spark cannot read the cell,
    or there is no column) and the cell itself where Spark cannot read it (else null)."""
    from pyspark.sql import functions as f  # noqa: PLC0415
    from pyspark.sql import types as t  # noqa: PLC0415

    nothing = f.lit(None).cast("string")
    if REGISTERED_COLUMN not in frame.columns:
        return f.lit(None).cast("int"), nothing
    column = f.col(REGISTERED_COLUMN)
    dtype = frame.schema[REGISTERED_COLUMN].dataType
    pairs, factor = registration_thresholds(policy)

    def total(flags: list[Column]) -> Column:
        found = flags[0].cast("int")
        for flag in flags[1:]:
            found = found + flag.cast("int")
        return found * factor

    if isinstance(dtype, t.TimestampType):  # an instant (Spark's TIMESTAMP is one)
        return total([column >= f.lit(at.astimezone(dt.UTC)) for at, _ in pairs]), nothing
    if isinstance(dtype, t.DateType):  # (the first year goes the plain way: see FIRST_DAY)
        first = f.year(column) == FIRST_DAY.year  # (Spark takes no literal of that day)
        by_day = total([column >= f.lit(day) for _, day in pairs])
        return f.when(~first, by_day), f.when(first, column)
    # (naive timestamps, numbers: read as text, and the plain way says what is wrong)
    is_text = isinstance(dtype, t.StringType)
    text = column if is_text else column.cast("string")
    trimmed = f.trim(text)
    day = f.try_to_date(f.regexp_replace(trimmed, "-", ""), "yyyyMMdd")
    instant = f.coalesce(*(f.try_to_timestamp(trimmed, f.lit(p)) for p in _INSTANT_PATTERNS))
    year_0, year_1 = trimmed.startswith("0000"), trimmed.startswith("0001")
    native = (
        f.when(year_0, f.lit(None).cast("int"))
        .when(trimmed.rlike(_DAY), f.when(~year_1, total([day >= f.lit(d) for _, d in pairs])))
        .otherwise(total([instant >= f.lit(at.astimezone(dt.UTC)) for at, _ in pairs]))
    )
    if not is_text:
        native = f.lit(None).cast("int")
    present = column.isNotNull() & (trimmed != "")
    return native, f.when(present & native.isNull(), column)


def _read_the_rest(
    work: DataFrame, native: Column, unread: list[Any], facts: Any, spark: Any
) -> tuple[DataFrame, Column, Column]:
    """``work`` and two expressions: the partner's bucket (null when not read) and the error of
    a cell that only the plain path could read."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    fallback: list[tuple[object, int | None, str | None]] = []
    for raw in unread:
        try:
            fallback.append((raw, facts.bucket(raw), None))
        except OnboardingError as error:
            fallback.append((raw, None, error_text(error)))
    if not fallback:
        return work, native, f.lit(None).cast("string")
    raw = work.schema[REGISTERED_COLUMN].dataType.simpleString()
    schema = f"__raw {raw}, __fnew int, __ferr string"
    read = spark.createDataFrame(fallback, schema)
    column = f.col(REGISTERED_COLUMN)
    work = work.join(f.broadcast(read), column.eqNullSafe(read["__raw"]), "left").drop("__raw")
    # (only a row whose question reads the registration is bad for an unreadable one)
    return work, f.coalesce(native, f.col("__fnew")), f.when(f.col("__nd"), f.col("__ferr"))
