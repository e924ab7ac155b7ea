"""Files as real tools write them (tests/data), read with the options that say how: each gives
the answers of the same rows written as ISO 8601 text with an offset (tests/data/iso.csv)."""

from __future__ import annotations

import datetime as dt
import io
import json
import pathlib
import zoneinfo
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding import _files
from partner_onboarding.batch import check_rows
from partner_onboarding.cli import main
from partner_onboarding.testing import instants_around

DATA = pathlib.Path(__file__).parent / "data"
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
AT = ("--at", "2024-05-20")


def answers(*arguments: str) -> tuple[int, dict[tuple[str, str], tuple[Any, ...]], str]:
    """The exit code, each (partner, question)'s answer, and what was said on standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", *arguments, *AT, "--format", "json"], out=out, err=err)
    found = {}
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        key = (record["partner_id"], record["question"])
        found[key] = (record["allowed"], record["reason_codes"], record["changes_at"])
    return code, found, err.getvalue()


ISO_CODE, ISO, _ = answers(str(DATA / "iso.csv"))


REAL_FILES: Final = [
    # LibreOffice Calc's "Text CSV" of a date-time in its US display format
    (
        "libreoffice_us.csv",
        ["--date-format", "%m/%d/%Y %I:%M %p", "--assume-zone", "America/Los_Angeles"],
    ),
    # A German Excel's CSV: semicolons, cp1252, CRLF, DD.MM.YYYY HH:MM
    (
        "excel_de_cp1252.csv",
        [
            "--encoding",
            "cp1252",
            "--date-format",
            "%d.%m.%Y %H:%M",
            "--assume-zone",
            "America/Los_Angeles",
        ],
    ),
    # A column Excel left as serial days (its General format)
    ("excel_serials.csv", ["--date-format", "excel", "--assume-zone", "America/Los_Angeles"]),
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated (no option needed)
    ("excel_unicode_text.txt", []),
    # pandas' DataFrame.to_json(orient="records", lines=True): epoch milliseconds
    ("pandas_records.jsonl", ["--date-format", "epoch-ms"]),
    # DuckDB's COPY of a naive TIMESTAMP column to CSV
    ("duckdb_naive.csv", ["--assume-zone", "America/Los_Angeles"]),
]


def test_the_iso_file_is_answered_whole() -> None:
    assert ISO_CODE == 0
    assert len(ISO) == 12
    assert ISO["P01", "register"][1] == ["existing_partner"]  # (a minute before the cut-off)
    assert ISO["P02", "register"][1] == ["new_partner_discontinued"]


@pytest.mark.parametrize(("file", "options"), REAL_FILES)
def test_a_real_file_read_as_its_options_say_answers_as_iso_text(
    file: str, options: list[str]
) -> None:
    code, found, err = answers(str(DATA / file), *options)
    assert (code, err.splitlines()[1:]) == (0, [])
    assert found == ISO


def explained(*arguments: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["explain", *arguments, *AT], out=out, err=err)
    assert (code, err.getvalue()) == (0, "")
    return out.getvalue().splitlines()


@pytest.mark.parametrize(("file", "options"), REAL_FILES)
def test_explain_reads_a_real_file_as_its_options_say(file: str, options: list[str]) -> None:
    for partner in ("P01", "P02", "P06"):
        iso = explained(str(DATA / "iso.csv"), "--partner", partner)
        real = explained(str(DATA / file), "--partner", partner, *options)
        assert real[1:] == iso[1:]
        registered = iso[0].rsplit(" ", 1)[1]
        read = real[0].rpartition("(read as ")[2].rstrip(")") if options else registered
        instant = dt.datetime.fromisoformat(read)
        if len(read) == len("2024-04-30"):  # (a day: its start in the policy's zone)
            instant = instant.replace(tzinfo=LA)
        assert instant == dt.datetime.fromisoformat(registered)


def test_explain_says_a_registration_its_date_format_cannot_read() -> None:
    out, err = io.StringIO(), io.StringIO()
    arguments = [str(DATA / "libreoffice_us.csv"), "--partner", "P02", "--date-format", "%d.%m.%Y"]
    assert main(["explain", *arguments], out=out, err=err) == 2
    assert "registered_at: '4/30/2024 12:00 AM' does not match --date-format '%d.%m.%Y'" in (
        err.getvalue()
    )


def test_a_json_array_file_is_read_whole() -> None:
    # DuckDB's COPY … (FORMAT json, ARRAY true): one array, an object a line
    code, found, _ = answers(str(DATA / "duckdb_array.json"))
    assert code == 0
    assert found
    assert found == {key: ISO[key] for key in found}


@pytest.mark.parametrize(
    ("file", "said"),
    [
        ("libreoffice_us.csv", "'4/29/2024 11:59 PM' is not an ISO 8601 date-time"),
        ("duckdb_naive.csv", "must carry a UTC offset"),
        ("excel_de_cp1252.csv", "not UTF-8 (a byte that is not part of a UTF-8 character; --enc"),
    ],
)
def test_without_its_options_a_real_file_s_rows_say_what_is_missing(file: str, said: str) -> None:
    code, _, err = answers(str(DATA / file), "--delimiter", ";" if "de" in file else ",")
    assert code == 2
    assert said in err


def test_a_wall_clock_reading_the_zone_skips_or_shows_twice_is_a_bad_row(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "partner_id,registered_at,category\n"
        "P1,2024-03-10 02:30:00,Paid Media\n"  # (the clocks skip it)
        "P2,2024-11-03 01:30:00,Paid Media\n"  # (the clocks show it twice)
        "P3,2024-11-03 01:30:00-08:00,Paid Media\n"  # (an offset says which)
        "P4,2024-04-30,Paid Media\n",  # (a day: its start in the policy's zone, as always)
        encoding="utf-8",
    )
    code, found, err = answers(str(path), "--assume-zone", "America/Los_Angeles")
    assert code == 2
    assert err.splitlines()[1:] == [
        (
            "line 2: registered_at: '2024-03-10 02:30:00' in America/Los_Angeles does not exist "
            "in its time zone (the clocks skip it: a daylight-saving gap)"
        ),
        (
            "line 3: registered_at: '2024-11-03 01:30:00' happens twice in America/Los_Angeles "
            "(the clocks go back): only an offset says which"
        ),
    ]
    assert {partner for partner, _ in found} == {"P3", "P4"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--assume-zone", "localtime"], "--assume-zone: 'localtime' does not mean the same"),
        (["--assume-zone", "Mars/Base"], "--assume-zone: 'Mars/Base' is not an IANA time zone"),
        (["--date-format", "mdy"], "--date-format 'mdy': a strptime pattern"),
        (["--encoding", "klingon"], "--encoding 'klingon' is not a text encoding Python knows"),
        (["--encoding", "zlib"], "--encoding 'zlib' is not a text encoding Python knows"),
    ],
)
def test_a_bad_option_is_refused_before_any_row(options: list[str], message: str) -> None:
    code, found, err = answers(str(DATA / "iso.csv"), *options)
    assert (code, found) == (2, {})
    assert message in err


@pytest.mark.parametrize(
    ("form", "cell", "problem"),
    [
        ("excel", "45a", "'45a' is not an Excel serial day"),
        ("excel", "60", "'60' is before 1900-03-01, where Excel's serial days are not the cal"),
        ("excel", "1e300", "'1e300' is not a day of the calendar as an Excel serial day"),
        ("excel", "nan", "'nan' is not an Excel serial day"),
        ("epoch-ms", "soon", "'soon' is not a number of milliseconds since 1970-01-01T00:00Z"),
        ("epoch-s", "1e20", "'1e20' seconds since 1970-01-01T00:00Z is outside the calendar"),
        ("epoch-s", "1" * 50, "is not a number of seconds"),
        ("%d.%m.%Y", "31.02.2024", "'31.02.2024' does not match --date-format '%d.%m.%Y'"),
        ("%d.%m.%Y %H:%M", "30.04.2024 10:00", "has no UTC offset: say whose wall clock it is"),
    ],
)
def test_a_cell_the_format_cannot_read_says_why(form: str, cell: str, problem: str) -> None:
    value, said = _files.Readings(date_format=form).registered(cell)
    assert value is None
    assert said is not None
    assert problem in said


def test_an_integral_excel_serial_and_a_pattern_without_a_time_are_days() -> None:
    assert _files.Readings(date_format="excel").registered(45412) == (dt.date(2024, 4, 30), None)
    days = _files.Readings(date_format="%d.%m.%Y").registered("30.04.2024")
    assert days == (dt.date(2024, 4, 30), None)


def written(form: str, wall: dt.datetime) -> str:
    """``wall`` (a Los Angeles wall clock) as ``form`` writes it."""
    exact = wall.replace(tzinfo=LA)
    if form == "excel":
        return repr((wall - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1))  # noqa: DTZ001
    if form == "epoch-ms":
        return str(round(exact.timestamp() * 1000))
    if form == "epoch-s":
        return str(round(exact.timestamp()))
    if form == "iso-naive":
        return wall.isoformat(sep=" ")
    return wall.strftime(form)


CUTOFFS = (dt.datetime(2024, 4, 30, tzinfo=LA), dt.datetime(2024, 6, 5, tzinfo=LA))


@given(
    instants_around(*CUTOFFS),
    st.sampled_from(["%m/%d/%Y %I:%M:%S.%f %p", "excel", "epoch-ms", "epoch-s", "iso-naive"]),
)
def test_every_form_reads_the_instant_its_iso_text_reads(instant: dt.datetime, form: str) -> None:
    wall = instant.astimezone(LA).replace(tzinfo=None)
    if form in {"excel", "epoch-ms"}:  # (to the millisecond, what they hold)
        wall = wall.replace(microsecond=wall.microsecond // 1000 * 1000)
    elif form == "epoch-s":
        wall = wall.replace(microsecond=0)
    exact = wall.replace(tzinfo=LA)
    if wall.replace(tzinfo=LA, fold=1).utcoffset() != exact.utcoffset():
        return  # (a reading the clocks show twice: refused, as another test shows)
    text = written(form, wall)
    readings = _files.Readings(zone=LA, date_format=None if form == "iso-naive" else form)
    value, problem = readings.registered(text)
    assert problem is None
    if type(value) is dt.date:  # (a whole serial day is a day: its start in the policy's zone)
        value = dt.datetime.combine(value, dt.time(), LA)
    assert value == exact
    rows = [
        {"partner_id": "P", "registered_at": cell, "category": "Paid Media", "status": "approved"}
        for cell in (value, exact.isoformat())
    ]
    by_form, by_iso = (check_rows([row], at=dt.date(2024, 5, 20)) for row in rows)
    assert by_form == by_iso


def test_json_array_files_that_are_not_arrays_of_objects_are_refused_whole(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = {
        "open.json": "[1,",
        "deep.json": "[" * 100_000,
        "scalar.json": "[1, {}]",
        "big.json": "[" + ",".join(["{}"] * 1000) + "]",
    }
    monkeypatch.setattr(_files, "MAX_JSON_ARRAY", 2_000)
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, found, _ = answers(str(path))
        assert code == 2, name
        assert found == {}, name
    assert "over 0 MiB" in answers(str(tmp_path / "big.json"))[2]


def test_word_processor_quotes_no_break_spaces_and_full_width_forms_are_read_as_plain(
    tmp_path: pathlib.Path,
) -> None:
    # (what a word processor or a Japanese input method leaves in a pasted list)
    path = tmp_path / "pasted.csv"
    path.write_text(
        "partner_id,registered_at,category,status\n"
        "P01,2024-04-29T23:59:00-07:00,\u201cPaid Media\u201d,\u201cApproved\u201d\n"
        "P02,2024-04-30T00:00:00-07:00,Paid\u00a0Media,\u2018approved\u2019\n"
        "P04,2024-06-04T23:00:00-07:00,\uff2c\uff29\uff36\uff25 Management,\uff41pproved\n",
        encoding="utf-8",
    )
    code, found, err = answers(str(path))
    assert (code, err.splitlines()[1:]) == (0, [])
    assert found == {key: ISO[key] for key in found}
    assert len(found) == 6


@given(
    st.sampled_from([b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"[", b""]),
    st.binary(max_size=400),
    st.sampled_from(
        [[], ["--encoding", "cp1252"], ["--encoding", "utf-16"], ["--encoding", "shift_jis"]]
    ),
)
def test_arbitrary_bytes_in_any_encoding_are_rows_or_a_header_error(
    mark: bytes, data: bytes, options: list[str]
) -> None:
    import tempfile  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "rows.csv"
        path.write_bytes(mark + b"partner_id,registered_at,category\n" + data)
        out, err = io.StringIO(), io.StringIO()
        code = main(["check", str(path), *AT, *options], out=out, err=err)
    assert code in {0, 2}, err.getvalue()
    assert "internal error" not in err.getvalue()


@given(
    st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none(), st.booleans()),
    st.sampled_from([None, *_files.DATE_FORMS, "%d.%m.%Y", "%Y%m%d %H%M%z", "%c"]),
    st.sampled_from([None, LA, zoneinfo.ZoneInfo("Europe/Berlin")]),
)
def test_any_cell_in_any_form_is_read_or_said_to_be_wrong(
    cell: object, form: str | None, zone: zoneinfo.ZoneInfo | None
) -> None:
    value, problem = _files.Readings(zone=zone, date_format=form).registered(cell)
    if problem is not None:
        assert value is None
        assert isinstance(problem, str)
        assert len(problem) < 400
    else:
        rows = [{"partner_id": "P", "registered_at": value, "category": "Paid Media"}]
        (record, *_) = check_rows(rows, at=dt.date(2024, 5, 20), on_error="record")
        assert record["error"] is None or isinstance(record["error"], str)


def test_a_parquet_file_of_naive_timestamps_is_read_in_the_zone_given(
    tmp_path: pathlib.Path,
) -> None:
    # (what pandas' to_parquet writes of a naive datetime column, and Spark of a TIMESTAMP_NTZ)
    import pyarrow as pa  # noqa: PLC0415  (the test extra has it)
    import pyarrow.parquet as pq  # noqa: PLC0415

    walls = [dt.datetime(2024, 4, 29, 23, 59), dt.datetime(2024, 4, 30)]  # noqa: DTZ001
    table = pa.table(
        {
            "partner_id": ["P01", "P02"],
            "registered_at": pa.array(walls, pa.timestamp("us")),
            "category": ["Paid Media", "Paid Media"],
            "status": ["approved", "approved"],
        }
    )
    path = tmp_path / "naive.parquet"
    pq.write_table(table, path)
    code, found, err = answers(str(path), "--assume-zone", "America/Los_Angeles")
    assert (code, err.splitlines()[1:]) == (0, [])
    assert found == {key: ISO[key] for key in found}
    assert len(found) == 4
    code, _, err = answers(str(path))
    assert code == 2
    assert "registered_at: must be time-zone aware" in err
