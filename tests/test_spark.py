"""Spark: the native expressions give exactly the answers of the plain path (run with -m spark)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fourth import ASKED, RULEBOOK
from _fourth import rows as fourth_rows
from partner_onboarding import DEFAULT_POLICY, Cutoff, Policy
from partner_onboarding.batch import check_rows
from partner_onboarding.frames import ANSWER_FIELDS
from partner_onboarding.spark import check_spark  # (imports PySpark only when called)
from partner_onboarding.testing import policies
from test_frames import AT_CHOICES, DAYS, INSTANTS, days_near, rows, texts_near
from test_frames import same_answers as frame_answers

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Deselected by default (-m "not spark" in pyproject.toml); .ci/run's Spark step installs the
# spark extra and runs them with -m spark. Nothing here imports PySpark until a test runs.
pytestmark = pytest.mark.spark

COLUMNS = (
    "registered_at",
    "category",
    "market",
    "registration_market",
    "status",
    "approved_categories",
    "question",
)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    from pyspark.sql import SparkSession  # noqa: PLC0415  (the spark extra)

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def same_answers(found: list[dict[str, Any]], records: list[dict[str, Any]]) -> None:
    # (Spark gives changes_at as a naive UTC timestamp: compared as that instant)
    for got in found:
        if got["changes_at"] is not None:
            got["changes_at"] = got["changes_at"].replace(tzinfo=dt.UTC)
    frame_answers(pl.DataFrame(found, infer_schema_length=None), records)


SPARK = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


@SPARK
@given(st.lists(rows(), min_size=1, max_size=60), st.sampled_from(AT_CHOICES))
def test_spark_agrees_with_the_plain_path_on_text(
    spark: SparkSession, table: list[dict[str, Any]], at: dt.date
) -> None:
    numbered = [{"n": i, **row} for i, row in enumerate(table)]
    schema = "n int, " + ", ".join(f"{c} string" for c in COLUMNS)
    frame = spark.createDataFrame([tuple(r[c] for c in ("n", *COLUMNS)) for r in numbered], schema)
    found = [row.asDict() for row in check_spark(frame, at=at).orderBy("n").collect()]
    same_answers(
        found, check_rows([{"partner_id": "P", **r} for r in table], at=at, on_error="record")
    )


@SPARK
@given(
    st.lists(rows(registered=st.one_of(INSTANTS, st.none())), min_size=1, max_size=60),
    st.sampled_from(AT_CHOICES),
)
def test_spark_agrees_on_timestamp_columns(
    spark: SparkSession, table: list[dict[str, Any]], at: dt.date
) -> None:
    schema = "n int, registered_at timestamp, " + ", ".join(f"{c} string" for c in COLUMNS[1:])
    data = [
        (
            i,
            r["registered_at"] and r["registered_at"].astimezone(dt.UTC),
            *(r[c] for c in COLUMNS[1:]),
        )
        for i, r in enumerate(table)
    ]
    frame = spark.createDataFrame(data, schema)
    found = [row.asDict() for row in check_spark(frame, at=at).orderBy("n").collect()]
    same_answers(
        found, check_rows([{"partner_id": "P", **r} for r in table], at=at, on_error="record")
    )


@st.composite
def iso_like(draw: st.DrawFn) -> str:
    """Text of the one ISO 8601 shape Spark casts natively, and its near misses: fields out of
    range, fractions of other lengths, offsets at and past Spark's 18 hours and Python's 24, a
    zone letter in either case, white space around it."""
    if draw(st.booleans()):  # (around the cut-off: new partner or not)
        at = draw(INSTANTS)
        day, time = at.strftime("%Y-%m-%d"), at.strftime("%H:%M:%S")
    else:
        numbers = st.integers(0, 99)
        year = draw(st.sampled_from([0, 1, 2023, 2024, 9999]))
        month, date, hour, minute, second = (draw(numbers) for _ in range(5))
        day, time = f"{year:04}-{month:02}-{date:02}", f"{hour:02}:{minute:02}:{second:02}"
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9)))
    sign = draw(st.sampled_from("+-"))
    offset = draw(
        st.one_of(
            st.sampled_from(["Z", "z", "+00:00", "-00:00", "+18:00", "-18:00", "+18:01"]),
            st.builds(lambda h, m: f"{sign}{h:02}:{m:02}", st.integers(0, 25), st.integers(0, 61)),
        )
    )
    text = f"{day}T{time}{'.' if fraction else ''}{fraction}{offset}"
    return draw(st.sampled_from(["{}", " {} ", "{}\n", "\t{}", "{}\r\n"])).format(text)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), policies())
def test_spark_reads_cells_near_any_policys_threshold_as_the_plain_path_does(
    spark: SparkSession, data: st.DataObject, policy: Policy
) -> None:
    # Paid Media discontinued: a register answer turns on the registration alone.
    rule = Cutoff(
        categories=["paid_media"],
        question="register",
        bars="new_partners",
        from_=dt.date(2024, 5, 1),
    )
    policy = Policy(zone=policy.zone, rules=(*policy.rules, rule))
    threshold = data.draw(st.sampled_from(policy.compiled.thresholds))
    first_day = policy.compiled.first_day_from(threshold)
    near = st.one_of(texts_near(threshold), days_near(first_day))
    texts = data.draw(st.lists(near, min_size=1, max_size=200))
    frame = spark.createDataFrame(
        [(i, text, "Paid Media") for i, text in enumerate(texts)],
        "n int, registered_at string, category string",
    )
    at = dt.date(2024, 5, 20)
    found = check_spark(frame, at=at, policy=policy, question="register").orderBy("n").collect()
    same_answers(
        [{k: v for k, v in row.asDict().items() if k != "n"} for row in found],
        check_rows(
            [
                {"partner_id": "P", "question": "register", "registered_at": text}
                | {"category": "Paid Media"}
                for text in texts
            ],
            at=at,
            policy=policy,
            on_error="record",
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(iso_like(), min_size=1, max_size=400), st.sampled_from(AT_CHOICES))
def test_spark_reads_iso_instants_as_the_plain_path_does(
    spark: SparkSession, texts: list[str], at: dt.date
) -> None:
    # A discontinued category: the answer turns on the registration instant alone.
    table = [{"registered_at": text, "category": "Paid Media"} for text in texts]
    frame = spark.createDataFrame(
        [(i, text, "Paid Media") for i, text in enumerate(texts)],
        "n int, registered_at string, category string",
    )
    found = [
        row.asDict()
        for row in check_spark(frame, at=at, question="register").orderBy("n").collect()
    ]
    same_answers(
        [{k: v for k, v in row.items() if k != "n"} for row in found],
        check_rows(
            [{"partner_id": "P", "question": "register", **r} for r in table],
            at=at,
            on_error="record",
        ),
    )


def test_both_questions_get_prefixed_columns(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [("2024-05-02", "Paid Media"), ("2024-01-10T09:00:00-08:00", "Paid Media")],
        "registered_at string, category string",
    )
    answered = check_spark(frame, at=dt.date(2024, 5, 20), policy=DEFAULT_POLICY)
    names = set(answered.columns)
    assert {f"register_{name}" for name in ANSWER_FIELDS} <= names
    assert {f"authorize_seller_{name}" for name in ANSWER_FIELDS} <= names
    reasons = sorted(row["register_reason"] for row in answered.collect())
    assert reasons == ["existing_partner", "new_partner_discontinued"]


def test_spark_finds_a_row_s_problems_in_the_plain_path_s_order(spark: SparkSession) -> None:
    at = dt.date(2024, 5, 20)
    # Bad twice over, answering both questions: the registration is read before the status.
    both = spark.createDataFrame(
        [("garbage", "Paid Media", "?")], "registered_at string, category string, status string"
    )
    (row,) = check_spark(both, at=at).collect()
    assert row["error"] == "registered_at: 'garbage' is not an ISO 8601 date-time"
    assert (
        row["error"]
        == check_rows([{"partner_id": "P", **row.asDict()}], at=at, on_error="record")[0]["error"]
    )
    # A row of a frame with a question column that leaves its question empty: refused.
    asked = spark.createDataFrame(
        [(0, "2024-05-02", "Paid Media", None), (1, "2024-05-02", "Paid Media", "register")],
        "n int, registered_at string, category string, question string",
    )
    found = check_spark(asked, at=at).orderBy("n").collect()
    assert [row["error"] for row in found] == ["question: is required", None]
    assert [row["reason"] for row in found] == [None, "new_partner_discontinued"]


def test_an_input_column_of_an_answers_name_is_replaced_by_the_answer(
    spark: SparkSession,
) -> None:
    frame = spark.createDataFrame(
        [("2024-05-02", "Paid Media", "register", 7, "stale")],
        "registered_at string, category string, question string, allowed int, error string",
    )
    answered = check_spark(frame, at=dt.date(2024, 5, 20))
    assert sorted(answered.columns) == sorted(
        ["registered_at", "category", "question", *ANSWER_FIELDS, "error"]
    )
    (row,) = answered.collect()
    assert (row["allowed"], row["reason"], row["error"]) == (
        False,
        "new_partner_discontinued",
        None,
    )


def test_an_array_of_approved_categories_is_read_as_the_plain_path_reads_a_list(
    spark: SparkSession,
) -> None:
    table = [
        {
            "registered_at": "2024-01-10T09:00:00-08:00",
            "category": "Paid Media",
            "question": "authorize_seller",
            "approved_categories": approved,
        }
        for approved in (["Paid Media"], [], ["Shop Management", "Paid Media"], None)
    ] + [{"registered_at": "10 Jan 2024", "category": "Paid Media", "question": "register"}]
    columns = ("registered_at", "category", "question", "approved_categories")
    frame = spark.createDataFrame(
        [(i, *(row.get(c) for c in columns)) for i, row in enumerate(table)],
        "n int, registered_at string, category string, question string, "
        "approved_categories array<string>",
    )
    at = dt.date(2024, 5, 20)
    found = [row.asDict() for row in check_spark(frame, at=at).orderBy("n").collect()]
    same_answers(
        found, check_rows([{"partner_id": "P", **r} for r in table], at=at, on_error="record")
    )
    assert [row["reason"] for row in found] == [
        "approved_application",
        "no_approved_application",
        "approved_application",
        "no_approved_application",
        None,
    ]
    assert found[-1]["error"] == "registered_at: '10 Jan 2024' is not an ISO 8601 date-time"


@SPARK
@given(
    st.lists(rows(registered=DAYS), min_size=1, max_size=60),
    st.sampled_from(AT_CHOICES),
    policies(),
)
def test_spark_agrees_on_date_columns(
    spark: SparkSession, table: list[dict[str, Any]], at: dt.date, policy: Policy
) -> None:
    schema = "n int, registered_at date, " + ", ".join(f"{c} string" for c in COLUMNS[1:])
    data = [(i, *(r[c] for c in COLUMNS)) for i, r in enumerate(table)]
    frame = spark.createDataFrame(data, schema)
    found = [
        row.asDict() for row in check_spark(frame, at=at, policy=policy).orderBy("n").collect()
    ]
    want = check_rows(
        [{"partner_id": "P", **r} for r in table], at=at, policy=policy, on_error="record"
    )
    same_answers(found, want)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["registerd_at", "category"], "did you mean 'registered_at'?"),
        (["registered_at"], "has no column 'category'"),
    ],
)
def test_a_missing_or_misspelled_column_is_named_before_any_job(
    spark: SparkSession, columns: list[str], message: str
) -> None:
    from partner_onboarding import ValidationError  # noqa: PLC0415

    frame = spark.createDataFrame([tuple("x" for _ in columns)], columns)
    with pytest.raises(ValidationError) as caught:
        check_spark(frame, at=dt.date(2024, 5, 20))
    assert message in str(caught.value)


def test_the_call_runs_no_job_until_the_result_is_asked_for(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [(f"P{i}", "2024-05-02", "Paid Media") for i in range(1000)],
        "partner_id string, registered_at string, category string",
    ).repartition(4)
    tracker = spark.sparkContext.statusTracker()
    spark.sparkContext.setJobGroup("check-spark-call", "the call alone")
    answered = check_spark(frame, at=dt.date(2024, 5, 20), question="register")
    assert tracker.getJobIdsForGroup("check-spark-call") == []
    spark.sparkContext.setJobGroup("check-spark-result", "the result")
    assert answered.where("reason = 'new_partner_discontinued'").count() == 1000
    assert tracker.getJobIdsForGroup("check-spark-result") != []


def test_naive_timestamps_are_refused_before_any_job(spark: SparkSession) -> None:
    from partner_onboarding import ValidationError  # noqa: PLC0415

    naive = dt.datetime(2024, 5, 2)  # noqa: DTZ001
    frame = spark.sql(
        f"SELECT TIMESTAMP_NTZ '{naive.isoformat()}' AS registered_at, 'Paid Media' AS category"
    )
    with pytest.raises(ValidationError) as caught:
        check_spark(frame, at=dt.date(2024, 5, 20))
    assert str(caught.value) == (
        "invalid frame: 1 problem\n  - registered_at: holds date-times without a time zone:"
        " convert the column to aware timestamps"
    )


def test_a_frame_asked_only_about_sellers_needs_no_registration_column(
    spark: SparkSession,
) -> None:
    frame = spark.createDataFrame([("Paid Media", "approved")], ["category", "status"])
    asked = check_spark(frame, at=dt.date(2024, 5, 20), question="authorize_seller")
    answer = asked.collect()[0].asDict()
    assert answer["error"] is None, answer


@pytest.mark.parametrize("at", ASKED)
def test_spark_answers_a_fourth_category_with_its_own_dates_as_check_rows(
    spark: SparkSession, at: dt.date
) -> None:
    table = fourth_rows()
    names = list(table[0])
    frame = spark.createDataFrame(
        [(i, *(row[n] for n in names)) for i, row in enumerate(table)],
        "n int, " + ", ".join(f"{n} string" for n in names),
    )
    found = check_spark(frame, at=at, policy=RULEBOOK).orderBy("n").collect()
    same_answers(
        [{k: v for k, v in row.asDict().items() if k != "n"} for row in found],
        check_rows(table, at=at, policy=RULEBOOK, on_error="record"),
    )
