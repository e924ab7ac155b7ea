"""A fourth discontinued category with its own two cut-offs is a change of files only: a row of
the catalog's legacy structure and rows of the rulebook. Every path answers it as the one judge
does: the operations, ``check_rows``, frames, the command line and the partner's requirements
(Spark: tests/test_spark.py)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import polars as pl
import pytest

from _fourth import ASKED, CATALOG, CATALOG_TOML, POLICY_TOML, RULEBOOK, decided, rows
from partner_onboarding import CategoryInfo, Partner, lifecycle, standing, to_json
from partner_onboarding.batch import check_rows
from partner_onboarding.catalog import load_catalog
from partner_onboarding.cli import main
from partner_onboarding.errors import PolicyRefusal, ValidationError
from partner_onboarding.frames import check_frame
from partner_onboarding.testing import approved_partner

LA = dt.timezone(dt.timedelta(hours=-8))


def test_the_rulebook_reads_the_fourth_category_from_both_files() -> None:
    assert RULEBOOK.discontinued == (
        "mass_recruiting",
        "mass_tutoring",
        "paid_media",
        "live_coaching",
    )
    assert [c.code for c in CATALOG.legacy()][-1] == "live_coaching"
    # Its own instants: the start of 2025-03-01 in the zone, and an instant of its own.
    assert dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC) in RULEBOOK.instants
    assert dt.datetime(2025, 4, 15, 19, tzinfo=dt.UTC) in RULEBOOK.instants
    with pytest.raises(ValidationError) as caught:  # (without the catalog row: not legacy)
        RULEBOOK.from_toml(POLICY_TOML)
    assert caught.value.fields == ("rules[2].categories[0]", "rules[3].categories[0]")


@pytest.mark.parametrize("at", ASKED)
def test_check_rows_answers_as_the_judge_does(at: dt.date) -> None:
    table = rows()
    records = check_rows(table, at=at, policy=RULEBOOK)
    assert len(records) == len(table)
    for row, record in zip(table, records, strict=True):
        assert record["error"] is None
        assert {key: record[key] for key in decided(row, at)} == decided(row, at), row
    # The fourth category has its own cut-offs: Paid Media's are not LIVE Coaching's.
    by = {
        (row["registered_at"], row["category"], row["status"], row["question"]): record
        for row, record in zip(table, records, strict=True)
    }
    coaching = by["2025-02-28", "LIVE Coaching", "approved", "authorize_seller"]
    paid = by["2025-02-28", "Paid Media", "approved", "authorize_seller"]
    if at == dt.date(2025, 3, 10):
        assert coaching["allowed"]
        assert coaching["changes_at"] == dt.datetime(2025, 4, 15, 19, tzinfo=dt.UTC)
        assert not paid["allowed"]


@pytest.mark.parametrize("at", ASKED)
def test_frames_answer_as_check_rows(at: dt.date) -> None:
    table = rows()
    frame = check_frame(pl.DataFrame(table), at=at, policy=RULEBOOK)
    records = check_rows(table, at=at, policy=RULEBOOK)
    for got, want in zip(frame.iter_rows(named=True), records, strict=True):
        assert got["allowed"] is want["allowed"]
        assert got["message"] == want["message"]
        assert ";".join(got["reason_codes"]) == want["reason_codes"]
        assert got["changes_at"] == want["changes_at"]
        assert got["category"] == want["category"]


def test_the_command_line_reads_both_files(tmp_path: pathlib.Path) -> None:
    (tmp_path / "catalog.toml").write_text(CATALOG_TOML, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(POLICY_TOML, encoding="utf-8")
    table = rows()
    lines = ["partner_id,registered_at,category,status,question"]
    lines += [",".join(str(row[key]) for key in row) for row in table]
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = ["--policy", str(tmp_path / "policy.toml"), "--catalog", str(tmp_path / "catalog.toml")]
    import io  # noqa: PLC0415

    for extra in ([], ["--row-by-row"]):
        out, err = io.StringIO(), io.StringIO()
        code = main(
            [
                "check",
                str(tmp_path / "rows.csv"),
                *files,
                "--at",
                "2025-03-10",
                "--format",
                "json",
                *extra,
            ],
            out=out,
            err=err,
        )
        assert code == 0, err.getvalue()
        found = [json.loads(line) for line in out.getvalue().splitlines()]
        want = check_rows(table, at=dt.date(2025, 3, 10), policy=RULEBOOK)
        assert [(r["allowed"], r["message"]) for r in found] == [
            (r["allowed"], r["message"]) for r in want
        ]
    out, err = io.StringIO(), io.StringIO()
    assert main(["policy", *files], out=out, err=err) == 0, err.getvalue()
    assert (
        "# rule 4, from 2025-04-15T12:00:00-07:00: no new seller authorisation in LIVE Coaching"
        in out.getvalue()
    )
    out, err = io.StringIO(), io.StringIO()
    asked = ["explain", "--registered-at", "2025-01-10", "--category", "LIVE Coaching", *files]
    assert main([*asked, "--at", "2025-05-01"], out=out, err=err) == 0, err.getvalue()
    assert "category LIVE Coaching, market US" in out.getvalue()
    partner, info = coaching_partner(dt.datetime(2025, 1, 10, tzinfo=LA))
    at = dt.datetime(2025, 3, 3, tzinfo=LA)
    partner = lifecycle.apply(
        partner, "LIVE Coaching", info, at=at, catalog=CATALOG, policy=RULEBOOK
    )
    (tmp_path / "partner.json").write_text(to_json(partner), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    asked = ["profile", str(tmp_path / "partner.json"), "--at", "2025-03-10", *files]
    assert main(asked, out=out, err=err) == 0, err.getvalue()
    assert "\nLIVE Coaching " in out.getvalue()
    assert "live_coaching/US/" in out.getvalue()  # (its application, read in the catalog given)
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--catalog", str(tmp_path / "catalog.toml")], out=out, err=err) == 2
    assert "needs --policy" in err.getvalue()
    assert load_catalog(tmp_path / "catalog.toml") == CATALOG


def coaching_partner(registered: dt.datetime) -> tuple[Partner, CategoryInfo]:
    partner = approved_partner(at=registered, policy=None)
    info = CategoryInfo(
        category=CATALOG.category("LIVE Coaching"), service_description="coaching", team_size=3
    )
    return partner, info


def test_the_operations_and_the_requirements_follow_the_fourth_category_s_dates() -> None:
    new, info = coaching_partner(dt.datetime(2025, 3, 2, tzinfo=LA))
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.apply(
            new,
            "LIVE Coaching",
            info,
            at=dt.datetime(2025, 3, 3, tzinfo=LA),
            catalog=CATALOG,
            policy=RULEBOOK,
        )
    assert caught.value.decision.codes == ("new_partner_discontinued",)
    assert caught.value.args == (caught.value.decision,)
    assert caught.value.codes == caught.value.decision.codes
    existing, info = coaching_partner(dt.datetime(2025, 2, 1, tzinfo=LA))
    applied = lifecycle.apply(
        existing,
        "LIVE Coaching",
        info,
        at=dt.datetime(2025, 3, 3, tzinfo=LA),
        catalog=CATALOG,
        policy=RULEBOOK,
    )
    approved = lifecycle.approve(
        applied, "LIVE Coaching", at=dt.datetime(2025, 3, 4, tzinfo=LA), catalog=CATALOG
    )
    due = standing.requirements(approved, at=dt.datetime(2025, 3, 5, tzinfo=LA), policy=RULEBOOK)
    assert due.next_change_at == dt.datetime(2025, 4, 15, 19, tzinfo=dt.UTC)
    assert [str(item.category) for item in due.closing] == ["LIVE Coaching"]
    authorized = lifecycle.authorize_seller(
        approved,
        "LIVE Coaching",
        "seller-1",
        at=dt.datetime(2025, 4, 15, 18, 59, tzinfo=dt.UTC),
        catalog=CATALOG,
        policy=RULEBOOK,
    )
    assert len(authorized.authorizations) == 1
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.authorize_seller(
            approved,
            "LIVE Coaching",
            "seller-2",
            at=dt.datetime(2025, 4, 15, 19, tzinfo=dt.UTC),
            catalog=CATALOG,
            policy=RULEBOOK,
        )
    assert caught.value.decision.codes == ("authorization_closed",)
