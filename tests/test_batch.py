from __future__ import annotations

import datetime as dt
import itertools
import tracemalloc
import types
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding import DEFAULT_CATALOG, Category, Market, ValidationError
from partner_onboarding.batch import RECORD_FIELDS, check_rows, decide_row, iter_check_rows
from partner_onboarding.engine import BLANK_PATTERN, absent
from partner_onboarding.errors import WrongType
from partner_onboarding.model import Partner, ReviewStatus
from partner_onboarding.policy import DEFAULT_POLICY, Policy, Question
from partner_onboarding.testing import (
    approved_partner,
    categories,
    instants_around,
    partners,
    policies,
)

AT = dt.date(2024, 5, 20)


def test_records_have_the_documented_fields_and_values() -> None:
    (record,) = check_rows(
        [
            {
                "partner_id": 7,
                "registered_at": "2024-01-10",
                "category": "Mass Tutoring",
                "status": "approved",
                "question": "authorize_seller",
            }
        ],
        at=AT,
    )
    assert tuple(record) == RECORD_FIELDS
    assert record == {
        "row": 0,
        "partner_id": 7,
        "category": "Mass Tutoring",
        "market": "US",
        "question": "authorize_seller",
        "allowed": True,
        "reason": "approved_application",
        "reason_codes": "approved_application;authorization_open",
        "message": "allowed until 2024-06-05T00:00-07:00",
        "changes_at": DEFAULT_POLICY.authorization_cutoff_at,
        "error": None,
    }


@pytest.mark.parametrize(
    ("row", "question", "allowed", "reason"),
    [
        ({"registered_at": "2024-05-02"}, "register", False, "new_partner_discontinued"),
        (
            {"registered_at": dt.datetime(2024, 4, 30, 6, 59, tzinfo=dt.UTC)},
            "register",
            True,
            "existing_partner",
        ),
        ({"registered_at": dt.date(2024, 4, 30)}, "register", False, "new_partner_discontinued"),
        (
            {"registered_at": pd.Timestamp("2024-04-30T07:00Z")},
            "register",
            False,
            "new_partner_discontinued",
        ),
        (
            {"registered_at": "2024-01-01", "approved_categories": "Shop Management; Paid Media"},
            "authorize_seller",
            True,
            "approved_application",
        ),
        (
            {"registered_at": "2024-01-01", "approved_categories": ["paid_media"]},
            "authorize_seller",
            True,
            "approved_application",
        ),
        (
            {"registered_at": "2024-01-01", "approved_categories": ["Shop Management"]},
            "authorize_seller",
            False,
            "no_approved_application",
        ),
        (
            {"registered_at": "2024-01-01", "status": "rejected"},
            "authorize_seller",
            False,
            "no_approved_application",
        ),
        # A target market is no way around the rules; another Partner Center is not covered.
        (
            {"registered_at": "2024-05-01", "market": "GB"},
            "register",
            False,
            "new_partner_discontinued",
        ),
        (
            {"registered_at": "2024-05-01", "registration_market": "GB"},
            "register",
            True,
            "market_not_covered",
        ),
        (
            {"registered_at": "2024-01-01", "status": "Approved"},
            "authorize_seller",
            True,
            "approved_application",
        ),
        (
            {"registered_at": "2024-01-01", "status": "Pending Review"},
            "authorize_seller",
            False,
            "no_approved_application",
        ),
    ],
)
def test_rows(row: dict[str, Any], question: str, allowed: bool, reason: str) -> None:
    base = {"partner_id": "P", "category": "Paid Media", "question": question}
    (record,) = check_rows([base | row], at=AT)
    assert (record["allowed"], record["reason"]) == (allowed, reason)
    decision = decide_row(base | row, question, at=AT)
    assert decision.allowed is allowed
    assert decision.codes[0] == reason


BAD_ROWS = [
    ({"registered_at": "2024-01-01", "category": "Paid Media"}, "partner_id"),
    ({"partner_id": "P", "category": "Paid Media"}, "registered_at"),
    (
        {"partner_id": "P", "registered_at": "2024-01-01T00:00:00", "category": "Paid Media"},
        "registered_at",
    ),
    ({"partner_id": "P", "registered_at": "2024-02-30", "category": "Paid Media"}, "registered_at"),
    ({"partner_id": "P", "registered_at": 20240101, "category": "Paid Media"}, "registered_at"),
    ({"partner_id": "P", "registered_at": "2024-01-01", "category": "Paid Medias"}, "category"),
    ({"partner_id": "P", "registered_at": "2024-01-01"}, "category"),
    ({"partner_id": "P", "registered_at": "2024-01-01", "category": 3}, "category"),
    (
        {
            "partner_id": "P",
            "registered_at": "2024-01-01",
            "category": "Paid Media",
            "market": "XX",
        },
        "market",
    ),
    (
        {"partner_id": "P", "registered_at": "2024-01-01", "category": "Paid Media", "market": 1},
        "market",
    ),
    (
        {
            "partner_id": "P",
            "registered_at": "2024-01-01",
            "category": "Paid Media",
            "question": "buy",
        },
        "question",
    ),
    (
        {
            "partner_id": "P",
            "registered_at": "2024-01-01",
            "category": "Paid Media",
            "status": "ok",
        },
        "status",
    ),
    (
        {
            "partner_id": "P",
            "registered_at": "2024-01-01",
            "category": "Paid Media",
            "approved_categories": ["Nope"],
        },
        "approved_categories",
    ),
    (
        {
            "partner_id": "P",
            "registered_at": "2024-01-01",
            "category": "Paid Media",
            "approved_categories": 5,
        },
        "approved_categories",
    ),
]


@pytest.mark.parametrize(("row", "field"), BAD_ROWS)
def test_a_bad_row_raises_naming_the_row_and_field(row: dict[str, Any], field: str) -> None:
    good = {"partner_id": "G", "registered_at": "2024-01-01", "category": "Shop Management"}
    with pytest.raises(ValidationError) as caught:
        check_rows([good, row], at=AT)
    assert caught.value.fields[0] == f"rows[1].{field}"


_ASKED = {
    "partner_id": "P",
    "registered_at": "2024-01-01",
    "category": "Paid Media",
    "question": "authorize_seller",
}


@pytest.mark.parametrize(
    ("approved", "said"),
    [
        ([None, "Paid Media"], True),
        ([DEFAULT_CATALOG.category("Paid Media")], True),  # (a category itself, as from_type draws)
        ((" paid media ", DEFAULT_CATALOG.category("Shop Management")), True),
        ([None, " ", ""], False),
        ("Paid Media;;", True),
        ([5], "approved_categories: items must be category names"),
        ([["Paid Media"]], "approved_categories: items must be category names"),
        (["Paid Media", b"x"], "approved_categories: items must be category names"),
        (["Nope"], "approved_categories: unknown service category 'Nope'"),
        (7, "approved_categories: must be a list or ';'-separated"),
    ],
)
def test_an_approved_list_is_read_item_by_item_or_refused_word_for_word(
    approved: object, said: bool | str
) -> None:
    (record,) = check_rows([_ASKED | {"approved_categories": approved}], at=AT, on_error="record")
    assert (record["allowed"] if record["error"] is None else record["error"]) == said


@given(
    approved=st.lists(categories(), max_size=4),
    padding=st.lists(st.sampled_from([None, "", "  "]), max_size=3),
    data=st.data(),
)
def test_missing_and_blank_items_of_an_approved_list_count_for_nothing(
    approved: list[Category], padding: list[str | None], data: st.DataObject
) -> None:
    names = [category.name for category in approved]
    padded = data.draw(st.permutations([*names, *padding]))
    assert check_rows([_ASKED | {"approved_categories": padded}], at=AT) == check_rows(
        [_ASKED | {"approved_categories": names}], at=AT
    )


def test_bad_rows_are_recorded_and_the_good_ones_still_checked() -> None:
    good = {"partner_id": "G", "registered_at": "2024-01-01", "category": "Shop Management"}
    rows: list[Any] = [good, *(row for row, _ in BAD_ROWS), "not a mapping", good]
    records = check_rows(rows, at=AT, on_error="record")
    errors = [r for r in records if r["error"] is not None]
    assert {r["row"] for r in errors} == set(range(1, len(BAD_ROWS) + 2))
    for record, (_, field) in zip(errors, BAD_ROWS, strict=False):
        assert record["error"].startswith(field), record
    assert [r["partner_id"] for r in records if r["error"] is None] == ["G"] * 4


def test_on_error_must_be_known() -> None:
    with pytest.raises(ValidationError):
        check_rows([], at=AT, on_error="ignore")  # type: ignore[arg-type]


def test_decide_row_refuses_bad_input() -> None:
    with pytest.raises(ValidationError):
        decide_row({"category": "Paid Media"}, "register", at=AT)
    with pytest.raises(ValidationError):
        decide_row({"category": "Paid Media", "registered_at": "2024-01-01"}, "sell", at=AT)
    with pytest.raises(ValidationError):
        decide_row(["not", "a", "mapping"], "register", at=AT)  # type: ignore[arg-type]


def test_pandas_round_trip() -> None:
    frame = pd.DataFrame(
        {
            "partner_id": ["P1", "P2", "P3"],
            "registered_at": pd.to_datetime(
                ["2024-05-02T09:00:00-07:00", "2024-01-10T09:00:00-08:00", "2024-04-30T07:00:00Z"],
                utc=True,
            ),
            "category": ["Paid Media", "Paid Media", "Shop Management"],
            "question": ["register"] * 3,
        }
    )
    result = pd.DataFrame(check_rows(frame.to_dict("records"), at=AT))
    assert list(result.columns) == list(RECORD_FIELDS)
    assert result["allowed"].tolist() == [False, True, True]
    assert result.loc[~result["allowed"], "partner_id"].tolist() == ["P1"]


def test_polars_rows() -> None:
    frame = pl.DataFrame(
        {
            "partner_id": ["P1", "P2"],
            "registered_at": ["2024-05-02", "2024-01-10"],
            "category": ["Mass Recruiting", "Mass Recruiting"],
        }
    )
    result = pl.DataFrame(check_rows(frame.iter_rows(named=True), at=AT))
    assert result.height == 4
    assert result.filter(pl.col("question") == "register")["allowed"].to_list() == [False, True]


@given(
    policies(),
    partners(max_steps=10, registered=instants_around(dt.datetime(2024, 4, 30, 7, tzinfo=dt.UTC))),
    st.sampled_from(list(DEFAULT_CATALOG)),
    st.data(),
)
def test_rows_agree_with_the_policy_on_partner_values(
    policy: Policy, partner: Partner, category: Any, data: st.DataObject
) -> None:
    at = data.draw(instants_around(*policy.instants))
    # A row carries the partner's facts as they are now: ask about now or later (questions about
    # an earlier instant see the partner as it stood then, which a row cannot say).
    at = max(at, partner.latest)
    approved = [
        a.category.code
        for a in partner.applications
        if a.status is ReviewStatus.APPROVED and a.market == Market.US
    ]
    row = {
        "partner_id": "x",
        "registered_at": partner.registered_at,
        "registration_market": partner.registration_market.code,
        "category": category.code,
        "market": "US",
        "approved_categories": approved,
    }
    register, authorize = iter_check_rows([row], at=at, policy=policy)
    assert register["question"] == Question.REGISTER
    asked = policy.can_register(partner, category, market="US", at=at)
    assert register["allowed"] is asked.allowed
    assert register["reason_codes"] == ";".join(asked.codes)
    expected = policy.can_authorize_seller(partner, category, market="US", at=at)
    assert authorize["allowed"] is expected.allowed
    assert authorize["reason_codes"] == ";".join(expected.codes)
    assert authorize["changes_at"] == expected.changes_at


LA = ZoneInfo("America/Los_Angeles")


EVENING = dt.datetime(2024, 6, 4, 18, 30, tzinfo=LA)
JUNE_4 = dt.datetime(2024, 6, 4, tzinfo=LA)
LAST = dt.datetime(2024, 6, 4, 23, 59, 59, 999999, tzinfo=LA)  # (before the cut-off)


@pytest.mark.parametrize(
    ("registered_at", "category", "status", "changes_at"),
    [
        # Allowed once registered (an existing partner; an approval before the cut-off): until then.
        ("2024-06-04T18:30:00-07:00", "Creator Management", "approved", (EVENING, EVENING)),
        (dt.date(2024, 6, 4), "Shop Management", "approved", (JUNE_4, JUNE_4)),
        (pd.Timestamp("2024-06-05T06:59:59.999999Z"), "Paid Media", "approved", (None, LAST)),
        # Refused once registered too (a new partner; the cut-off; no approval): no change.
        ("2024-06-05", "Paid Media", "approved", (None, None)),
        ("2024-05-20T00:00:00.000001-07:00", "Mass Tutoring", None, (None, None)),
    ],
)
def test_a_row_registered_after_the_instant_asked_is_not_there_yet(
    registered_at: object,
    category: str,
    status: str | None,
    changes_at: tuple[dt.datetime | None, dt.datetime | None],
) -> None:
    row = {"partner_id": "P", "registered_at": registered_at, "category": category}
    records = check_rows([{**row, "status": status}], at=dt.date(2024, 5, 20))
    for record, changes in zip(records, changes_at, strict=True):
        assert (record["allowed"], record["reason_codes"]) == (False, "not_registered_yet")
        assert (
            record["message"] == "refused: the partner is not registered yet at the instant asked"
        )
        assert record["changes_at"] == changes
        if changes is not None:  # (said in the policy's zone, as its own instants are)
            assert record["changes_at"].utcoffset() == changes.astimezone(LA).utcoffset()
        decision = decide_row(
            {**row, "status": status}, record["question"], at=dt.date(2024, 5, 20)
        )
        assert (decision.codes, decision.changes_at) == (("not_registered_yet",), changes)
    # Registered at the instant asked, it is there.
    (there,) = check_rows(
        [{**row, "registered_at": "2024-05-20", "question": "register"}], at=dt.date(2024, 5, 20)
    )
    assert there["reason"] != "not_registered_yet"


def test_a_seller_authorisation_alone_reads_a_registration_it_is_given() -> None:
    row = {"partner_id": "P", "category": "Paid Media", "question": "authorize_seller"}
    row["status"] = "approved"
    for empty in ({}, {"registered_at": ""}, {"registered_at": "  "}, {"registered_at": None}):
        (record,) = check_rows([{**row, **empty}], at=dt.date(2024, 5, 20))
        assert record["reason_codes"] == "approved_application;authorization_open"
    # (also when asked before every date of the rules: long ago is before them all)
    for at in (dt.date(2024, 5, 20), dt.date(2020, 1, 1)):
        (record,) = check_rows([row], at=at)
        assert record["reason"] != "not_registered_yet"
        decision = decide_row(row, "authorize_seller", at=at)
        assert (decision.allowed, decision.codes) == (
            record["allowed"],
            tuple(record["reason_codes"].split(";")),
        )
    (later,) = check_rows([{**row, "registered_at": "2024-06-01"}], at=dt.date(2024, 5, 20))
    assert later["reason"] == "not_registered_yet"
    (bad,) = check_rows(
        [{**row, "registered_at": "2024-13-01"}], at=dt.date(2024, 5, 20), on_error="record"
    )
    assert bad["error"].startswith("registered_at: ")


@given(
    policies(),
    instants_around(DEFAULT_POLICY.upgrade_at, dt.datetime(2024, 6, 5, 7, tzinfo=dt.UTC)),
    st.sampled_from(list(DEFAULT_CATALOG)),
    st.booleans(),
    st.data(),
)  # fmt: skip
def test_a_row_registered_later_answers_as_the_partner_not_there_yet(
    policy: Policy, registered: dt.datetime, category: Any, approved: bool, data: st.DataObject
) -> None:
    # A partner approved at its registration is what a row of it says from then on.
    partner = approved_partner(*([category.code] if approved else []), at=registered, policy=None)
    at = data.draw(instants_around(registered, *policy.instants))
    row = {
        "partner_id": "x",
        "registered_at": registered,
        "category": category.code,
        "status": "approved" if approved else None,
    }
    register, authorize = iter_check_rows([row], at=at, policy=policy)
    for record, asked in (
        (register, policy.can_register(partner, category, at=at)),
        (authorize, policy.can_authorize_seller(partner, category, at=at)),
    ):
        assert (record["allowed"], record["reason_codes"]) == (asked.allowed, ";".join(asked.codes))
        assert record["changes_at"] == asked.changes_at
        assert (record["reason"] == "not_registered_yet") is (at < registered)


MISSING = [None, "", " \t\u3000", float("nan"), pd.NA, pd.NaT]


@pytest.mark.parametrize(
    "missing", MISSING, ids=["None", "empty", "blank", "nan", "NA", "NaT"]
)  # (plain ids: one of spaces and a tab could not be asked for by its id)
def test_a_missing_cell_counts_as_absent(missing: object) -> None:
    # What a DataFrame holds where a row has no value: None, NaN, pandas' NA or NaT.
    base = {"partner_id": "P", "registered_at": "2024-05-02", "category": "Paid Media"}
    optional = {"market": missing, "status": missing}
    records = check_rows([base | optional | {"approved_categories": missing}], at=AT)
    assert [(r["market"], r["question"], r["allowed"]) for r in records] == [
        ("US", "register", False),
        ("US", "authorize_seller", False),
    ]
    # A row without a question asks both; one whose question cell is empty says nothing (as in
    # a DataFrame with a question column: check_frame refuses that row the same way).
    for field in ("partner_id", "registered_at", "category", "question"):
        with pytest.raises(ValidationError) as caught:
            check_rows([base | {field: missing}], at=AT)
        assert caught.value.problems[0].reason == "is required"
        assert caught.value.fields == (f"rows[0].{field}",)


def test_the_blank_pattern_matches_what_a_row_reads_as_empty() -> None:
    # (the command line's columnar path finds blank partner ids with it, natively)
    characters = [chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000]
    texts = pl.Series([*characters, *(c * 2 for c in characters), "", "a ", " a", "\x1c\u3000"])
    assert texts.str.contains(BLANK_PATTERN).to_list() == [absent(text) for text in texts]


# Mostly good cells, so that rows share the values a call remembers; a few bad ones of each kind.
CELLS: dict[str, list[object]] = {
    "partner_id": ["P1", "P2", 7, "P3", None],
    "registered_at": ["2024-04-29", "2024-05-02", dt.date(2024, 4, 30), "2024-01-10", pd.NaT],
    "category": ["Paid Media", "paid_media", "Mass Tutoring", "Mass Recruiting", "LIVE", "Nope"],
    "market": ["US", "us", None, float("nan"), "US", "GB", "XX"],
    "question": [None, "register", "authorize_seller", "register", "buy"],
    "status": [None, "approved", "rejected", "", pd.NA, "approved", "ok", ["approved"]],
    "approved_categories": [None, "", None, "Paid Media; Mass Tutoring", ["paid_media"], ["Nope"]],
}


@given(
    st.lists(
        st.fixed_dictionaries({k: st.sampled_from(v) for k, v in CELLS.items()}),
        min_size=10,
        max_size=40,
    ),
    instants_around(*DEFAULT_POLICY.instants),
)
def test_remembered_values_answer_as_fresh_ones(rows: list[dict[str, Any]], at: Any) -> None:
    # One call remembers each raw value it has understood; each row checked on its own (nothing
    # remembered) must get exactly the same records, good or bad.
    together = check_rows(rows, at=at, on_error="record")
    alone = [
        record | {"row": index}
        for index, row in enumerate(rows)
        for record in check_rows([row], at=at, on_error="record")
    ]
    assert together == alone


@pytest.mark.parametrize("rows", [None, 5, "partner_id,category", {"partner_id": "P1"}])
def test_rows_must_be_an_iterable_of_mappings(rows: object) -> None:
    with pytest.raises(ValidationError) as caught:
        check_rows(rows, at=AT)  # type: ignore[arg-type]
    assert caught.value.fields == ("rows",)


@pytest.mark.parametrize("ask", [check_rows, iter_check_rows, decide_row])
def test_a_policy_of_the_wrong_type_is_named(ask: Any) -> None:
    arguments: tuple[Any, ...] = ({"partner_id": "P"}, "register") if ask is decide_row else ([{}],)
    with pytest.raises(WrongType) as caught:
        list(ask(*arguments, at=AT, policy=None))
    assert str(caught.value) == "invalid rows: 1 problem\n  - policy: must be a Policy"


@pytest.mark.parametrize("question", [None, "", "sell"])
def test_decide_row_answers_exactly_one_question(question: object) -> None:
    row = {"partner_id": "P", "registered_at": "2024-01-01", "category": "Paid Media"}
    with pytest.raises(ValidationError) as caught:
        decide_row(row, question, at=AT)  # type: ignore[arg-type]
    assert caught.value.fields == ("question",)


def test_decide_row_answers_for_the_row_s_own_market_and_partner() -> None:
    row = {
        "partner_id": "P7",
        "registered_at": "2024-01-02",
        "category": "paid media",
        "market": "gb",
        "status": "approved",
    }
    decision = decide_row(row, Question.AUTHORIZE_SELLER, at=AT)
    assert (decision.partner_id, decision.category.code, decision.market) == (
        "P7",
        "paid_media",
        Market("GB"),
    )
    assert decision.allowed
    # A partner id that is no text, or blank, is not one the decision can carry.
    for partner_id in (7, "", " \u3000", None):
        assert decide_row(row | {"partner_id": partner_id}, "register", at=AT).partner_id is None


def test_a_question_cell_may_hold_the_question_itself() -> None:
    row = {"partner_id": "P", "registered_at": "2024-05-02", "category": "Paid Media"}
    for question in Question:
        (record,) = check_rows([row | {"question": question}], at=AT)
        assert record["question"] == question.value


# --------------------------------------------------------------------------------------------------
# Refusals, word for word


ON_MAY_20 = dt.datetime(2024, 5, 20, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("row", "question", "what", "problems"),
    [
        (
            ["not", "a", "row"],
            "register",
            "value",
            [("", "must be a mapping of column names to values")],
        ),
        (
            {"category": "Paid Media", "registered_at": "2024-05-02", "registration_market": "ZZ"},
            "register",
            "market",
            [("registration_market", "'ZZ' is not an ISO 3166-1 alpha-2 country code")],
        ),
        (
            {"category": "Paid Media", "registered_at": "2024-05-02"},
            None,
            "value",
            [("question", "must be one of register, authorize_seller")],
        ),
    ],
)  # fmt: skip
def test_decide_row_refuses_in_its_own_words(
    row: Any, question: Any, what: str, problems: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValidationError) as caught:
        decide_row(row, question, at=ON_MAY_20)
    assert [(p.path, p.reason) for p in caught.value.problems] == problems
    assert str(caught.value).startswith(f"invalid {what}: 1 problem\n")


def test_a_domain_error_in_a_row_is_raised_as_that_rows_validation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from partner_onboarding import engine  # noqa: PLC0415
    from partner_onboarding.errors import UnknownCategory  # noqa: PLC0415

    def unknown(self: object, raw: object) -> object:
        raise UnknownCategory(str(raw), ["Paid Media"])

    monkeypatch.setattr(engine.RowReader, "category", unknown)
    rows = [{"partner_id": "P1", "category": "Paid Mdia", "registered_at": "2024-05-02"}]
    with pytest.raises(ValidationError) as caught:
        check_rows(rows, at=ON_MAY_20)
    assert [(p.path, p.reason) for p in caught.value.problems] == [
        ("rows[0]", "unknown service category 'Paid Mdia'; did you mean 'Paid Media'?")
    ]
    assert str(caught.value).startswith("invalid rows: 1 problem\n")
    recorded = check_rows(rows, at=ON_MAY_20, on_error="record")
    assert (
        recorded[0]["error"] == "unknown service category 'Paid Mdia'; did you mean 'Paid Media'?"
    )


def test_a_bad_row_is_recorded_with_its_own_cells_and_what_is_wrong() -> None:
    rows: list[Any] = [
        types.MappingProxyType(  # (any mapping, not only a dict)
            {"partner_id": "P1", "category": "Paid Medai", "market": "GB", "registered_at": "x"}
        ),
        ["not", "a", "row"],
    ]
    empty = dict.fromkeys(("question", "allowed", "reason", "reason_codes", "message"))
    assert check_rows(rows, at=ON_MAY_20, on_error="record") == [
        {
            "row": 0,
            "partner_id": "P1",
            "category": "Paid Medai",
            "market": "GB",
            **empty,
            "changes_at": None,
            "error": "category: unknown service category 'Paid Medai'; did you mean 'Paid Media'?",
        },
        {
            "row": 1,
            "partner_id": None,
            "category": None,
            "market": None,
            **empty,
            "changes_at": None,
            "error": "must be a mapping of column names to values",
        },
    ]


@pytest.mark.parametrize(
    ("cells", "authorized", "error"),
    [
        ({"status": "NONE"}, False, None),
        ({"status": " Approved "}, True, None),
        ({"approved_categories": "Paid Media; ;Shop Management"}, True, None),
        ({"approved_categories": ["Paid Media", "  shop management "]}, True, None),
        ({"approved_categories": "Paid Media;"}, False, None),
        (
            {"approved_categories": 5},
            None,
            "approved_categories: must be a list or ';'-separated",
        ),
        (
            {"approved_categories": "Paid Medai"},
            None,
            (
                "approved_categories: unknown service category 'Paid Medai'; "
                "did you mean 'Paid Media'?"
            ),
        ),
    ],
)
def test_what_a_row_says_of_approval_is_read_in_every_spelling(
    cells: dict[str, Any], authorized: bool | None, error: str | None
) -> None:
    row = {
        "partner_id": "P1",
        "category": "Shop Management",
        "registered_at": "2024-01-02",
        "question": "authorize_seller",
    }
    for rows in ([row | cells], [row | cells] * 3):  # (the second time from the reader's memory)
        found = check_rows(rows, at=ON_MAY_20, on_error="record")
        assert {(r["allowed"], r["error"]) for r in found} == {(authorized, error)}


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        ({"category": ["Paid Media"]}, "category: must be a category name or code"),
        ({"category": 5}, "category: must be a category name or code"),
        ({"market": ["US"]}, "market: must be an ISO 3166-1 alpha-2 code"),
        ({"registration_market": 5}, "registration_market: must be an ISO 3166-1 alpha-2 code"),
        (
            {"registered_at": ["2024-05-02"]},
            "registered_at: must be an aware datetime, a date or ISO 8601 text",
        ),
    ],
)
def test_cells_of_the_wrong_kind_are_refused_every_time_without_a_crash(
    cells: dict[str, Any], error: str
) -> None:
    row = {"partner_id": "P1", "category": "Paid Media", "registered_at": "2024-01-02"}
    found = check_rows([row | cells] * 3, at=ON_MAY_20, on_error="record")
    assert [(r["allowed"], r["error"]) for r in found] == [(None, error)] * 3


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"rows": 5}, ("rows", "must be an iterable of mappings (one per row)")),
        ({"rows": "P1,2024-01-02"}, ("rows", "must be an iterable of mappings (one per row)")),
        ({"rows": [], "on_error": "sometimes"}, ("on_error", "must be 'raise' or 'record'")),
    ],
)
def test_check_rows_refuses_what_is_no_rows(
    arguments: dict[str, Any], problem: tuple[str, str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_rows(at=ON_MAY_20, **arguments)
    assert [(p.path, p.reason) for p in caught.value.problems] == [problem]


def test_any_mapping_is_a_row() -> None:
    import types  # noqa: PLC0415

    row = {"partner_id": "P1", "category": "Shop Management", "registered_at": "2024-01-02"}
    assert check_rows([types.MappingProxyType(row)], at=ON_MAY_20) == check_rows(
        [row], at=ON_MAY_20
    )


def test_a_remembered_refusal_costs_no_memory_per_row_that_repeats_it() -> None:
    # A bad category is understood once and its refusal remembered; raised again as it was, it
    # kept the frames of every earlier raise: a million rows of one bad category took 500 MB.
    def peak(rows: int) -> int:
        bad = {"partner_id": "P", "registered_at": "2024-05-02", "category": "Paid Medias"}
        tracemalloc.start()
        try:
            for _ in iter_check_rows(
                itertools.repeat(bad, rows), at=dt.date(2024, 5, 20), on_error="record"
            ):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(100)  # (what is loaded and remembered once, outside the comparison)
    assert peak(20_000) < peak(2_000) + 100_000


def test_remembered_refusals_are_bounded_whatever_the_number_of_distinct_mistakes() -> None:
    # Each refusal of an unknown category carries its suggestions: remembering one for each of
    # 100 000 distinct cells took 278 MB; a few thousand are remembered, the same few mistakes
    # repeated being what remembering is for.
    def peak(rows: int) -> int:
        bad = (
            {"partner_id": "P", "registered_at": "2024-05-02", "category": f"Paid Media {n:x}"}
            for n in range(rows)
        )
        tracemalloc.start()
        try:
            for _ in iter_check_rows(bad, at=dt.date(2024, 5, 20), on_error="record"):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(100)
    assert peak(12_000) < peak(4_500) + 4_000_000


@pytest.mark.parametrize(
    ("at", "said"),
    [
        (dt.date(9999, 12, 31), "9999-12-31T00:00:00-08:00"),
        (
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
            "9999-12-31T23:59:59.999999+00:00",
        ),
    ],
)
def test_rows_are_not_answered_on_the_calendar_s_last_day(at: dt.date, said: str) -> None:
    # (no day after it exists to tell a registration after it by: refused, not a crash)
    row = {"partner_id": "P", "registered_at": "2024-01-01", "category": "Paid Media"}
    with pytest.raises(ValidationError) as caught:
        check_rows([row], at=at)
    assert str(caught.value) == (
        f"invalid rows: 1 problem\n  - at: {said} is on the last day of the calendar in the "
        "policy's zone: rows are answered at an earlier instant (a registration after it could "
        "not be told)"
    )
    register, _ = check_rows([row], at=dt.date(9999, 12, 30), on_error="record")
    assert register["reason"] == "existing_partner"
