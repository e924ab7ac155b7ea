"""What the command line's readers say of each thing wrong in a file, word for word and at its
line: JSON Lines, JSON array files, Parquet, other encodings, and the readings of registrations
that ``--date-format`` and ``--assume-zone`` ask for."""

from __future__ import annotations

import datetime as dt
import io
import json
import pathlib
import sys
import zoneinfo
from typing import Any

import pytest

from partner_onboarding import _files
from partner_onboarding.cli import main

GOOD = {"partner_id": "J1", "registered_at": "2024-05-02", "category": "Paid Media"}
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def checked(path: pathlib.Path, *flags: str) -> tuple[int, list[str], list[int]]:
    """``check PATH`` in process: the exit code, each line standard error says after the
    header line, and the line of each answer."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["check", str(path), "--at", "2024-05-20", "--format", "jsonl", *flags], out=out, err=err
    )
    said = err.getvalue().splitlines()
    lines = [json.loads(line)["line"] for line in out.getvalue().splitlines()]
    return code, [line for line in said if not line.startswith("# ")], lines


def test_each_bad_json_line_is_named_at_its_line_and_the_others_are_answered(
    tmp_path: pathlib.Path,
) -> None:
    lines = [
        json.dumps(GOOD).encode(),
        b'{"partner_id": "' + b"x" * _files.MAX_LINE + b'"}',
        b'{"partner_id": "\xff"}',
        b"{not json",
        b"",
        json.dumps({**GOOD, "category": ["Paid Media"]}).encode(),
        json.dumps({**GOOD, "k" * 50: {}}).encode(),
        json.dumps({**GOOD, "category": "y" * (_files.MAX_CELL + 1)}).encode(),
        b"[1, 2]",
        json.dumps(GOOD).encode(),
    ]
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    code, said, answered = checked(path)

    assert code == 2
    assert said == [
        "line 2: a line longer than 1048576 bytes",
        "line 3: not UTF-8",
        (
            "line 4: not JSON (Expecting property name enclosed in double quotes: line 1 column 2 "
            "(char 1))"
        ),
        "line 6: category: must be a single value, not a list or an object",
        f"line 7: {'k' * 40}: must be a single value, not a list or an object",
        "line 8: category: a value of 10001 characters (at most 10000)",
        "line 9: must be a JSON object of column names to values",
    ]
    assert answered == [1, 1, 10, 10]


def test_a_json_array_file_numbers_its_rows_by_their_place(tmp_path: pathlib.Path) -> None:
    rows = [GOOD, {**GOOD, "category": ["x"]}, [1], {**GOOD, "category": "z" * 10_001}, GOOD]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")

    code, said, answered = checked(path)

    assert code == 2
    assert said == [
        "line 2: category: must be a single value, not a list or an object",
        "line 3: must be a JSON object of column names to values",
        "line 4: category: a value of 10001 characters (at most 10000)",
    ]
    assert answered == [1, 1, 5, 5]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "not a JSON array (nested too deeply)"),
        (b'[{"a": 1}, ', "not a JSON array (Expecting value: line 1 column 12 (char 11))"),
        (b"[1]\n[2]\n", "not a JSON array (Extra data: line 2 column 1 (char 4))"),
        (
            b'[{"a": 1}, {"a": 1, "a": 2}]',
            "not a JSON array (the key 'a' appears twice in one object)",
        ),
        (b'[{"a": 1}]\n\xff\n', "line 2: not UTF-8 (a JSON array file)"),
        (
            b'[{"a": 1}\n' + b" " * _files.MAX_LINE + b"x\n]",
            "line 2: longer than 1048576 bytes (a JSON array file)",
        ),
    ],
    ids=["deep", "cut", "two-arrays", "repeated-key", "bad-byte", "long-line"],
)
def test_a_json_array_file_that_cannot_be_read_is_refused_before_any_row(
    tmp_path: pathlib.Path, data: bytes, problem: str
) -> None:
    path = tmp_path / "rows.json"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(path), "--at", "2024-05-20"], out=out, err=err)
    assert (code, out.getvalue()) == (2, "")
    assert err.getvalue() == f"partner-onboarding: {path}: {problem}\n"


def test_a_json_array_file_is_read_up_to_its_bound_and_refused_past_it(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_files, "MAX_JSON_ARRAY", 2 << 20)  # (2 MiB, in lines under 1 MiB)
    record = json.dumps(GOOD)
    head, tail = "[" + record + ",\n", record + "]\n"
    padding = (2 << 20) - len(head) - len(tail)  # (spaces between the objects, a line each)
    middle = [" " * 1000 + "\n"] * (padding // 1001) + [" " * (padding % 1001)]
    path = tmp_path / "rows.json"
    path.write_text(head + "".join(middle) + tail, encoding="utf-8")
    assert path.stat().st_size == 2 << 20

    assert checked(path)[2] == [1, 1, 2, 2]
    with path.open("a", encoding="utf-8") as file:
        file.write(" ")
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", str(path), "--at", "2024-05-20"], out=out, err=err) == 2
    assert err.getvalue() == (
        f"partner-onboarding: {path}: a JSON array file over 2 MiB: write JSON Lines (one object "
        "a line), which is read a line at a time\n"
    )


def _parquet(
    path: pathlib.Path, columns: dict[str, Any], row_group_size: int | None = None
) -> None:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)


@pytest.mark.parametrize("flags", [[], ["--row-by-row"]])
def test_a_parquet_cell_out_of_range_is_named_word_for_word(
    tmp_path: pathlib.Path, flags: list[str]
) -> None:
    import pyarrow as pa  # noqa: PLC0415

    good = 1_714_640_400_000_000  # 2024-05-02T09:00Z, in microseconds
    long_name = "n" * 50
    path = tmp_path / "rows.parquet"
    _parquet(
        path,
        {
            "partner_id": ["P1", "P2", "P3"],
            "registered_at": pa.array([good, 2**62, good], pa.timestamp("us", tz="UTC")),
            "category": ["Paid Media"] * 3,
            long_name: pa.array([0, 0, 2**30], pa.date32()),
        },
    )
    code, said, answered = checked(path, *flags)
    beyond = "a value out of the range Python holds (a date or instant beyond the years 1 to 9999)"
    assert (code, answered) == (2, [1, 1])
    assert said == [f"line 2: registered_at: {beyond}", f"line 3: {'n' * 40}: {beyond}"]


@pytest.mark.parametrize("flags", [[], ["--row-by-row"]])
def test_a_parquet_file_damaged_after_its_first_rows_keeps_them_and_says_where(
    tmp_path: pathlib.Path, flags: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_files, "PARQUET_BATCH", 3)  # (a batch a row group, as in a large file)
    path = tmp_path / "rows.parquet"
    _parquet(
        path,
        {
            "partner_id": [f"P{i}" for i in range(9)],
            "registered_at": ["2024-05-02"] * 9,
            "category": ["Paid Media"] * 9,
        },
        row_group_size=3,
    )
    import pyarrow.parquet as pq  # noqa: PLC0415

    third = pq.ParquetFile(path).metadata.row_group(2).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[third : third + 16] = b"\xff" * 16  # (the third row group's first page header)
    path.write_bytes(bytes(data))
    with pytest.raises(OSError, match="thrift") as caught:  # (what pyarrow says of it)
        pq.read_table(path)
    reason = _files.plain_text(str(caught.value)[:120])  # (its line breaks escaped to print)

    code, said, answered = checked(path, *flags)

    assert code == 2
    assert answered == [line for line in range(1, 7) for _ in range(2)]
    assert said == [f"line 7: the rest of the file cannot be read ({reason})"]


def test_a_file_that_is_not_parquet_is_refused_with_pyarrow_s_reason(
    tmp_path: pathlib.Path,
) -> None:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    path = tmp_path / "rows.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(pa.ArrowInvalid, match="magic bytes") as caught:
        pq.ParquetFile(path)
    assert refused(path) == f"not a Parquet file ({str(caught.value)[:120]})"


def test_reading_parquet_without_pyarrow_names_the_extra(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rows.parquet"
    _parquet(path, {"partner_id": ["P1"], "registered_at": ["2024-05-02"], "category": ["x"]})
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # (import pyarrow then raises ImportError)
    with pytest.raises(_files.HeaderError) as caught:
        _files.read_parquet_rows(str(path))
    assert str(caught.value) == (
        "reading Parquet needs pyarrow: pip install 'partner-onboarding[polars]'"
    )


def test_a_byte_the_encoding_cannot_read_costs_its_row_on_both_paths(
    tmp_path: pathlib.Path,
) -> None:
    rows = "partner_id,registered_at,category\n" + "".join(
        f"P{i},2024-05-02,Paid Media\n" for i in range(3)
    )
    path = tmp_path / "rows.csv"
    path.write_bytes(
        rows.encode("cp1252")
        + b"P9,2024-05-02,Paid \x81 Media\n"  # (0x81: no character in cp1252)
        + "P10,2024-05-02,Caf\xe9\n".encode("cp1252")
    )
    for flags in ([], ["--row-by-row"]):
        code, said, answered = checked(path, "--encoding", "cp1252", *flags)
        assert code == 2
        assert said == [
            "line 5: not cp1252 (a byte that is not part of a cp1252 character)",
            "line 6: category: unknown service category 'Café'",
        ]
        assert answered == [2, 2, 3, 3, 4, 4]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_an_encoding_that_needs_a_byte_order_mark_without_one_is_refused(
    tmp_path: pathlib.Path, encoding: str
) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"partner_id,registered_at,category\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["check", str(path), "--at", "2024-05-20", "--encoding", encoding], out=out, err=err
    )
    assert code == 2
    said = err.getvalue()  # (the decoder's own words differ between Pythons: only its gist)
    assert said.startswith(f"partner-onboarding: {path}: not {encoding} text (")
    assert said.lower().endswith("stream does not start with bom)\n")


def test_a_quoted_cell_keeps_its_line_ends_in_another_encoding(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rows.csv"
    text = 'partner_id,registered_at,category\n"P\r\n1",2024-05-02,Paid Media\r\n'
    path.write_bytes(text.encode("cp1252"))
    out, err = io.StringIO(), io.StringIO()
    arguments = ["check", str(path), "--at", "2024-05-20", "--format", "jsonl"]
    assert main([*arguments, "--encoding", "cp1252"], out=out, err=err) == 0
    assert {json.loads(line)["partner_id"] for line in out.getvalue().splitlines()} == {"P\r\n1"}


# --------------------------------------------------------------------------------------------------
# The readings of --date-format and --assume-zone


def test_a_wall_clock_reading_without_a_zone_is_refused_word_for_word() -> None:
    naive = dt.datetime(2024, 5, 2, 9, 30)  # noqa: DTZ001  (Parquet's naive timestamp)
    assert _files.Readings().registered(naive) == (
        None,
        (
            "'2024-05-02 09:30:00' has no UTC offset: say whose wall clock it is with "
            "--assume-zone (an IANA zone, America/Los_Angeles)"
        ),
    )
    value, problem = _files.Readings(date_format="%d.%m.%Y %H:%M").registered(" 02.05.2024 09:30 ")
    assert (value, problem) == (
        None,
        (
            "'02.05.2024 09:30' has no UTC offset: say whose wall clock it is with --assume-zone "
            "(an IANA zone, America/Los_Angeles)"
        ),
    )
    excel = _files.Readings(date_format="excel").registered(45414.5)
    assert excel[1] is not None
    assert excel[1].startswith("'45414.5' has no UTC offset")


def test_iso_text_without_an_offset_is_the_library_s_to_refuse_when_no_zone_is_assumed() -> None:
    assert _files.Readings().registered("2024-05-02T09:30") == ("2024-05-02T09:30", None)
    assert _files.Readings(zone=LA).registered("2024-05-02T09:30") == (
        dt.datetime(2024, 5, 2, 16, 30, tzinfo=dt.UTC),
        None,
    )


@pytest.mark.parametrize("form", ["excel", "epoch-s", "%d.%m.%Y"])
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_cell_is_left_to_the_row_s_own_check(form: str, blank: str | None) -> None:
    assert _files.Readings(zone=LA, date_format=form).registered(blank) == (blank, None)


def test_excel_serial_days_are_read_from_1900_03_01() -> None:
    excel = _files.Readings(zone=LA, date_format="excel")
    assert excel.registered(61) == (dt.date(1900, 3, 1), None)
    assert excel.registered("61.5") == (
        dt.datetime(1900, 3, 1, 12, tzinfo=LA).astimezone(dt.UTC),
        None,
    )
    assert excel.registered(60.999) == (
        None,
        "'60.999' is before 1900-03-01, where Excel's serial days are not the calendar's",
    )


def test_a_number_is_read_from_text_of_up_to_40_characters() -> None:
    epoch = _files.Readings(date_format="epoch-s")
    assert epoch.registered("0" * 39 + "1") == (
        dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
        None,
    )
    assert epoch.registered("0" * 40 + "1") == (
        None,
        f"'{'0' * 40}…' is not a number of seconds since 1970-01-01T00:00Z",  # (quoted short)
    )


# --------------------------------------------------------------------------------------------------
# CSV: the header, and the rows a quote, a long text or a long line costs


def refused(path: pathlib.Path) -> str:
    """What ``check PATH`` says of an input it refuses before any row."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", str(path), "--at", "2024-05-20"], out=out, err=err) == 2
    assert out.getvalue() == ""
    prefix = f"partner-onboarding: {path}: "
    assert err.getvalue().startswith(prefix)
    return err.getvalue().removeprefix(prefix).removesuffix("\n")


def test_an_empty_input_and_a_header_that_cannot_be_used_are_refused_word_for_word(
    tmp_path: pathlib.Path,
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert refused(empty) == "the input is empty (a CSV file needs a header line)"
    header = tmp_path / "header.csv"
    header.write_bytes(b"Partner_ID,category,CATEGORY,Registerd_At\n")
    assert refused(header) == (
        "the header line cannot be used: column 'CATEGORY' appears twice; unknown column "
        "'Registerd_At'; did you mean 'registered_at'?; missing column 'registered_at'"
    )


def test_json_lines_are_known_by_their_first_character_after_spaces(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rows"  # (no suffix to say what it holds)
    path.write_text("  " + json.dumps(GOOD) + "\n", encoding="utf-8")
    assert checked(path) == (0, [], [1, 1])


def test_a_cell_is_bounded_and_named_by_its_column_s_first_40_characters(
    tmp_path: pathlib.Path,
) -> None:
    name = "n" * 50
    path = tmp_path / "rows.csv"
    path.write_text(
        f"partner_id,registered_at,category,{name},note\n"
        f"P1,2024-05-02,Paid Media,{'x' * (_files.MAX_CELL + 1)},\n"
        f"P2,2024-05-02,Paid Media,{'y' * _files.MAX_CELL},\n"  # (at the bound: read)
        f"P3,2024-05-02,Paid Media,{'z' * 6000},{'z' * 6000}\n",  # (a long line of short cells)
        encoding="utf-8",
    )
    for flags in ([], ["--row-by-row"]):
        assert checked(path, *flags) == (
            2,
            [f"line 2: {'n' * 40}: a value of 10001 characters (at most 10000)"],
            [3, 3, 4, 4],
        )


@pytest.mark.parametrize("newline", [b"\n", b""], ids=["then-more", "at-the-end"])
def test_a_line_of_exactly_the_bound_is_read(tmp_path: pathlib.Path, newline: bytes) -> None:
    head = b"partner_id,registered_at,category\nP1,2024-05-02,"
    line = b"P1,2024-05-02," + b"x" * (_files.MAX_LINE - len(b"P1,2024-05-02,"))
    path = tmp_path / "rows.csv"
    path.write_bytes(head[: -len(b"P1,2024-05-02,")] + line + newline)
    assert len(line) == _files.MAX_LINE
    code, said, _ = checked(path, "--row-by-row")
    assert (code, said) == (2, ["line 2: category: a value of 1048562 characters (at most 10000)"])


def test_a_quote_left_open_costs_its_row_and_the_lines_after_it_keep_their_numbers(
    tmp_path: pathlib.Path,
) -> None:
    rows = "".join(f"P{i};2024-05-02;Paid Media\n" for i in range(3, 159))
    path = tmp_path / "rows.csv"
    path.write_text(
        'partner_id;registered_at;category\nP2;2024-05-02;"Paid Media\n'
        + rows
        + 'P159;2024-05-02;"Paid "Media\n'  # (text after a closing quote: kept, as before)
    )
    for flags in ([], ["--row-by-row"]):
        code, said, answered = checked(path, *flags)
        assert code == 2
        assert said == [
            (
                "line 2: a quote opened on this line is not closed as a cell of this row (it "
                "took 100 lines): the row is refused, and the lines after it are read as rows"
            )
        ]
        assert answered == [line for line in range(3, 160) for _ in range(2)]


def test_after_a_quote_left_open_the_rows_are_read_as_before(tmp_path: pathlib.Path) -> None:
    # (the quote opened on line 2 closes on line 4: a row of three lines holding the delimiter,
    # refused; the lines after it are read by the same rules, text after a closing quote kept)
    path = tmp_path / "rows.csv"
    path.write_text(
        "partner_id;registered_at;category\n"
        'P2;2024-05-02;"Paid Media\n'
        "P3;2024-05-02;Paid Media\n"
        'P4;2024-05-02;"Paid Media"\n'
        'P5;2024-05-02;"Paid "Media\n'
        + "".join(f"P{i};2024-05-02;Paid Media\n" for i in range(6, 110))
        + 'P110;2024-05-02;"Paid "Media\n',
        encoding="utf-8",
    )
    for flags in ([], ["--row-by-row"]):
        code, said, answered = checked(path, *flags)
        assert code == 2
        assert said == [
            (
                "line 2: a quote opened on this line is not closed as a cell of this row (it "
                "took 3 lines): the row is refused, and the lines after it are read as rows"
            )
        ]
        assert answered == [line for line in range(3, 111) for _ in range(2)]


def test_a_line_past_the_bound_after_a_chunk_read_row_by_row_is_read_no_further(
    tmp_path: pathlib.Path,
) -> None:
    # (a byte that is not UTF-8 hands the rest of the file to the row-by-row reader, from the
    # chunk it is in: the long line comes after that chunk)
    good = b"".join(b"P%d,2024-05-02,Paid Media\n" % i for i in range(3, 3003))
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"partner_id,registered_at,category\n"
        b"P2,2024-05-02,Paid \xff Media\n"
        + good
        + b"P3003,2024-05-02,"
        + b"x" * (3 << 20)
        + b"\nP3004,2024-05-02,Paid Media\n"
    )
    assert len(good) > 1 << 16  # (past the columnar path's first chunk)
    for flags in ([], ["--row-by-row"]):
        code, said, answered = checked(path, "--question", "register", *flags)
        assert (code, answered) == (2, [*range(3, 3003), 3004])
        assert said[1] == "line 3003: a line longer than 1048576 bytes"


def test_a_quoted_cell_of_100_lines_is_one_row(tmp_path: pathlib.Path) -> None:
    note = "\n".join(["a line of a note"] * 100)
    path = tmp_path / "rows.csv"
    path.write_text(
        f'partner_id,registered_at,category,note\nP1,2024-05-02,Paid Media,"{note}"\n'
        "P2,2024-05-02,Paid Media,\n",
        encoding="utf-8",
    )
    assert checked(path, "--row-by-row") == (0, [], [2, 2, 102, 102])


def test_a_cell_past_the_csv_field_bound_costs_its_row(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b'partner_id,registered_at,category\nP1,2024-05-02,"'
        + b"x" * 600_000
        + b"\n"
        + b"y" * 600_000
        + b'"\nP2,2024-05-02,Paid Media\n'
    )
    for flags in ([], ["--row-by-row"]):
        assert checked(path, *flags) == (
            2,
            ["line 2: not CSV (field larger than field limit (1048576))"],
            [4, 4],
        )


def test_quotes_are_read_as_spreadsheets_write_them(tmp_path: pathlib.Path) -> None:
    # (text after a closing quote is kept, and a wrapped name holds no delimiter: neither is a
    # quote left open; a partner id holding the delimiter is quoted)
    path = tmp_path / "rows.csv"
    path.write_text(
        "partner_id,registered_at,category\n"
        'P1,2024-05-02,"Paid "Media\n'
        '"P,2",2024-05-02,"Paid\nMedia"\n'
        '""\n',  # (an empty quoted cell alone: a blank line)
        encoding="utf-8",
    )
    for flags in ([], ["--row-by-row"]):
        assert checked(path, *flags) == (0, [], [2, 2, 3, 3])


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@a", "\tx", "\rx"])
def test_a_csv_cell_that_a_spreadsheet_reads_as_a_formula_is_written_as_text(cell: str) -> None:
    assert _files.csv_cell(cell) == "'" + cell
    assert _files.csv_cell("a" + cell) == "a" + cell


def test_a_json_array_is_known_by_its_first_character_too(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rows"  # (no suffix to say what it holds)
    path.write_text(" " + json.dumps([GOOD, GOOD]), encoding="utf-8")
    assert checked(path) == (0, [], [1, 1, 2, 2])


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf-8-sig"])
def test_utf_8_named_is_read_as_utf_8_unnamed(tmp_path: pathlib.Path, encoding: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"\xef\xbb\xbfpartner_id,registered_at,category\n"
        b"P2,2024-05-02,Paid \xff Media\nP3,2024-05-02,Paid Media\n"
    )
    unnamed = checked(path)
    assert unnamed == (
        2,
        [
            (
                "line 2: not UTF-8 (a byte that is not part of a UTF-8 character; --encoding "
                "names another encoding)"
            )
        ],
        [3, 3],
    )
    assert checked(path, "--encoding", encoding) == unnamed
