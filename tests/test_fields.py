"""The field rules every value shares (partner_onboarding._fields): each normaliser's table, the
unsafe characters to the code point, and the collected problems word for word."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding._fields import (
    MAX_NORMALIZED,
    Problems,
    Rejected,
    as_optional_phone,
    lenient,
    mask_phone,
    normalize_phone,
    normalize_state,
    normalize_zip,
    require_instance,
    unsafe_character,
)
from partner_onboarding.errors import MAX_PROBLEMS, ValidationError, WrongType

NOT_A_ZIP = Rejected("not a ZIP code (12345) or ZIP+4 (12345-6789)")
NOT_A_STATE = Rejected("not a US state, district or territory code (ISO 3166-2:US, e.g. 'CA')")


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("94107", "94107"),
        (" 94107-1234 ", "94107-1234"),
        ("941071234", "94107-1234"),  # (ZIP+4 without its hyphen)
        ("9410712345", NOT_A_ZIP),
        ("\uff19\uff14\uff11\uff10\uff17\uff11\uff12\uff13\uff14", NOT_A_ZIP),  # (full-width)
        ("00000", NOT_A_ZIP),
        ("000001234", NOT_A_ZIP),
        ("9410", NOT_A_ZIP),
    ],
)
def test_a_zip_code_is_read_as_the_postal_service_writes_it(text: str, read: object) -> None:
    assert normalize_zip(text) == read


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("CA", "CA"),
        (" ca ", "CA"),
        ("us-ca", "CA"),
        ("US-PR", "PR"),
        ("CA-US", NOT_A_STATE),
        ("UM", NOT_A_STATE),  # (uninhabited: no registered address there)
        ("XX", NOT_A_STATE),
    ],
)
def test_a_state_is_an_iso_3166_2_us_code(text: str, read: object) -> None:
    assert normalize_state(text) == read


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (0x00, "a control character"),
        (0x1F, "a control character"),
        (0x7F, "a control character"),
        (0x9F, "a control character"),
        (0x202A, "a bidirectional override"),
        (0x202E, "a bidirectional override"),
        (0x2066, "a bidirectional override"),
        (0x2069, "a bidirectional override"),
        (0xD800, "a lone surrogate, which cannot be written as UTF-8"),
        (0xDFFF, "a lone surrogate, which cannot be written as UTF-8"),
        (0x20, None),
        (0xA0, None),
        (0x2029, None),
        (0x202F, None),
        (0x2065, None),
        (0x206A, None),
        (0xE000, None),
    ],
)
def test_an_unsafe_character_is_named_by_its_kind_and_place(code: int, kind: str | None) -> None:
    found = unsafe_character("ab" + chr(code) + "c")
    said = None if kind is None else f"must not hold {kind} (U+{code:04X} at position 2)"
    assert found == said


def test_tabs_and_line_breaks_are_unsafe_unless_lines_are_allowed() -> None:
    assert unsafe_character("a\tb", lines=True) is None
    assert unsafe_character("a\r\nb", lines=True) is None
    assert unsafe_character("a\tb") == "must not hold a control character (U+0009 at position 1)"


@pytest.mark.parametrize(
    ("phone", "shown"), [(None, "None"), ("+14155550147", "'+*********47'"), ("+4420", "'+**20'")]
)
def test_a_phone_is_shown_by_its_last_two_digits(phone: str | None, shown: str) -> None:
    assert mask_phone(phone) == shown


def test_values_are_normalised_up_to_their_bound_and_kept_as_given_beyond_it() -> None:
    at_bound = "9" * (MAX_NORMALIZED - 5) + "94107"
    assert lenient(" 94107 ", normalize_zip) == "94107"
    assert lenient("nope", normalize_zip) == "nope"
    assert lenient(94107, normalize_zip) == 94107  # type: ignore[type-var]
    assert lenient(" " * (MAX_NORMALIZED - 5) + "94107", normalize_zip) == "94107"
    assert lenient(" " * (MAX_NORMALIZED - 4) + "94107", normalize_zip).endswith(" 94107")
    assert lenient(at_bound, normalize_zip) == at_bound
    assert as_optional_phone(None) is None
    assert as_optional_phone("(415) 555-0147") == normalize_phone("(415) 555-0147")


def said(problems: Problems) -> str:
    with pytest.raises(ValidationError) as caught:
        problems.raise_if_any("entity")
    return str(caught.value)


def test_text_fields_say_each_problem_word_for_word() -> None:
    problems = Problems()
    problems.text("a", 3)
    problems.text("b", "  ")
    problems.text("c", "x" * 501)
    problems.text("d", "x" * 500)
    problems.text("e", "x" * 11, max_length=10)
    problems.text("f", "a\u202eb")
    problems.text("g", "nope", normalize=normalize_zip)
    problems.partner_id("h", "a b")
    problems.aware("i", "2024-04-30")
    problems.aware("j", dt.datetime(2024, 4, 30))  # noqa: DTZ001  (naive: refused)
    assert said(problems) == (
        "invalid entity: 9 problems\n"
        "  - a: must be a string\n"
        "  - b: must not be blank\n"
        "  - c: must be at most 500 characters\n"
        "  - e: must be at most 10 characters\n"
        "  - f: must not hold a bidirectional override (U+202E at position 1)\n"
        "  - g: not a ZIP code (12345) or ZIP+4 (12345-6789)\n"
        "  - h: must be 1 to 100 letters, digits, '.', '_', ':' or '-' (no spaces)\n"
        "  - i: must be a datetime\n"
        "  - j: must be time-zone aware"
    )


def test_problems_are_listed_up_to_their_bound_then_counted() -> None:
    problems = Problems()
    for index in range(MAX_PROBLEMS + 3):
        problems.text(f"f{index}", None)
    assert len(problems.items) == MAX_PROBLEMS
    assert problems.more == 3
    assert said(problems).endswith(f"  - f{MAX_PROBLEMS - 1}: must be a string\n  - … and 3 more")


@pytest.mark.parametrize(
    ("kind", "shown"), [(int, "an int"), (dt.datetime, "a datetime"), (str, "a str")]
)
def test_a_value_of_the_wrong_kind_is_named_with_its_article(kind: type, shown: str) -> None:
    with pytest.raises(WrongType) as caught:
        require_instance("policy", [], kind)
    assert str(caught.value) == f"invalid value: 1 problem\n  - policy: must be {shown}"
    assert require_instance("policy", 3, object) == 3


@given(st.text(max_size=20))
def test_a_zip_code_read_is_a_zip_code(text: str) -> None:
    read = normalize_zip(text)
    if not isinstance(read, Rejected):
        assert normalize_zip(read) == read
        assert len(read) in {5, 10}
