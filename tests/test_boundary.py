"""The trust boundary: hostile documents end as the library's own typed error, never anything
else, and cost no more than their size."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _zones import ThirtyHours
from partner_onboarding import (
    DEFAULT_POLICY,
    DocumentRef,
    Entity,
    Partner,
    Policy,
    ValidationError,
    _documents,
    batch,
    frames,
    from_json,
    lifecycle,
)
from partner_onboarding._documents import MAX_DOCUMENT, load_json, load_toml, read_document
from partner_onboarding.errors import OnboardingError, Problem, WrongType
from partner_onboarding.policy import Reason, ReasonCode, Rule, upgrade_rules
from partner_onboarding.serde import to_json
from partner_onboarding.testing import approved_partner, sample_entity, sample_info

T = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)

HOSTILE: list[tuple[str, Callable[[], object], str]] = [
    ("deep JSON", lambda: from_json("[" * 100_000 + "]" * 100_000, Partner), "nested too deeply"),
    (
        "deep policy JSON",
        lambda: Policy.from_json("[" * 100_000 + "]" * 100_000),
        "nested too deeply",
    ),
    (
        "deep policy TOML",
        lambda: Policy.from_toml("a = " + "[" * 100_000 + "]" * 100_000),
        "nested too deeply",
    ),
    ("a zone that is a folder", lambda: Policy(zone="US"), "'US' is not an IANA time zone"),
    (
        "a zone name of 10 000 characters",
        lambda: Policy(zone="Mars/" + "x" * 9995),
        f"zone: {'Mars/' + 'x' * 55 + '…'!r} is not an IANA time zone",
    ),
    (
        "a cut-off off the calendar",
        lambda: Policy(
            rules=upgrade_rules(
                upgrade_date=dt.date(1, 1, 1), authorization_cutoff=dt.date(1, 1, 2)
            ),
            zone="Asia/Tokyo",
        ),
        "the very end of the calendar",
    ),
    (
        "a TOML number of 100 000 digits",
        lambda: Policy.from_toml("upgrade_date = " + "9" * 100_000),
        "not TOML",
    ),
    (
        "a duplicate key",
        lambda: from_json(
            '{"version": 2, "version": 2, "type": "Entity", "catalog": null, "data": {}}', Entity
        ),
        "the key 'version' appears twice",
    ),
    (
        "a version that is not a whole number",
        lambda: from_json(
            '{"version": 2.0, "type": "Entity", "catalog": null, "data": {}}', Entity
        ),
        "unsupported version",
    ),
    (
        "a version that is true",
        lambda: from_json(
            '{"version": true, "type": "Entity", "catalog": null, "data": {}}', Entity
        ),
        "unsupported version",
    ),
    ("a document over the size limit", lambda: from_json(" " * (17 << 20), Entity), "characters"),
]


@pytest.mark.parametrize(("case", "attempt", "words"), HOSTILE, ids=[c for c, _, _ in HOSTILE])
def test_hostile_documents_are_typed_errors(
    case: str, attempt: Callable[[], object], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        attempt()
    assert words in str(caught.value), case
    assert len(str(caught.value)) < 400  # the value is never echoed in full


@pytest.mark.parametrize(
    ("n", "r", "p", "field"),
    [
        (2**14, 8, 200_000, "p"),  # about two hours of CPU in verify(): refused when read
        (2, 1, 2_097_140, "p"),  # scrypt's first PBKDF2 pass alone: 268 MB of output
        (2**20, 1, 1, "n"),  # scrypt's own bound n < 2**(16 r): OpenSSL would refuse it
        (2**18, 8, 1, "n"),  # 256 MiB and more: over the memory bound
        (2**17, 8, 1, "n"),  # 128 MiB: over the memory bound, within the work bound
        (2**14, 8, 5, "p"),  # just over the work bound (4 times the default)
        (2, 33, 1, "r"),  # over the block size bound
    ],
)
def test_stored_hash_costs_are_bounded_before_any_work(n: int, r: int, p: int, field: str) -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    text = f"scrypt${n}${r}${p}$" + "A" * 24 + "$" + "A" * 44
    with pytest.raises(ValidationError) as caught:
        PasswordHash.parse(text)
    assert caught.value.fields == (field,)


@pytest.mark.parametrize(
    ("p", "problem"),
    [
        # 128*r*(n+p+2) is 64 MiB + 16 KiB exactly: within the memory bound, over the work bound
        (2, "p: scrypt with this cost is more than 524288 units of work"),
        # 4 KiB more: over the memory bound, which is said first
        (3, "n: scrypt with this cost needs more than 64 MiB of memory"),
    ],
)
def test_the_memory_bound_is_exact_and_said_before_the_work(p: int, problem: str) -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        PasswordHash.parse(f"scrypt$16384$32${p}$" + "A" * 24 + "$" + "A" * 44)
    assert str(caught.value) == f"invalid password hash: 1 problem\n  - {problem}"


def test_salt_and_digest_must_be_canonical_base64() -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    # "B==" ends 16 bytes with bits that standard base64 writes as zeros
    with pytest.raises(ValidationError) as caught:
        PasswordHash.parse("scrypt$16384$8$1$" + "A" * 21 + "B==$" + "A" * 44)
    assert str(caught.value) == (
        "invalid password hash: 1 problem\n  - salt and digest must be written in canonical base64"
    )


def test_the_largest_allowed_cost_is_accepted() -> None:
    from partner_onboarding.model import SCRYPT_MAX_WORK, PasswordHash  # noqa: PLC0415

    text = "scrypt$16384$8$4$" + "A" * 24 + "$" + "A" * 44
    assert PasswordHash.parse(text).p * 16384 * 8 == SCRYPT_MAX_WORK
    widest = "scrypt$65536$8$1$" + "A" * 86 + "==$" + "A" * 86 + "=="  # 64 MiB, 64-byte salt
    assert len(PasswordHash.parse(widest).digest) == 64


def test_a_candidate_with_a_lone_surrogate_is_simply_wrong() -> None:
    import datetime as dt  # noqa: PLC0415

    from partner_onboarding import Account  # noqa: PLC0415

    account = Account.register(
        email="a@b.example",
        password="Abc123!x",
        at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        scrypt_n=2,
    )
    assert account.verify("Abc123!x\ud800") is False
    assert account.verify("Abc123!x") is True


def test_huge_values_are_refused_by_length_before_any_parsing() -> None:
    from partner_onboarding import DEFAULT_CATALOG, ContactPerson  # noqa: PLC0415
    from partner_onboarding.errors import UnknownCategory  # noqa: PLC0415

    huge = "x" * 10_000_000 + "@example.com"
    with pytest.raises(ValidationError) as caught:
        ContactPerson(name="A", email=huge, phone="+12015550123")
    assert caught.value.fields == ("email",)
    assert "must be at most 254 characters" in str(caught.value)
    with pytest.raises(UnknownCategory) as unknown:
        DEFAULT_CATALOG.category("Paid Media" * 1_000_000)
    assert len(str(unknown.value)) < 100
    assert unknown.value.suggestions == ()  # (no search over ten million characters)


def test_an_event_refuses_every_bad_field_word_for_word() -> None:
    import datetime as dt  # noqa: PLC0415

    from partner_onboarding.model import Event  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        Event(
            actor="boss",  # type: ignore[arg-type]
            kind="fly",  # type: ignore[arg-type]
            from_status=5,  # type: ignore[arg-type]
            to_status="done",  # type: ignore[arg-type]
            at=dt.datetime(2024, 1, 1),  # noqa: DTZ001
            reasons=[" ", "x" * 1001],
        )
    assert str(caught.value) == (
        "invalid event: 7 problems\n"
        "  - actor: must be an Actor\n"
        "  - kind: must be an EventKind\n"
        "  - from_status: must be a ReviewStatus\n"
        "  - to_status: must be a ReviewStatus\n"
        "  - at: must be time-zone aware\n"
        "  - reasons[0]: must not be blank\n"
        "  - reasons[1]: must be at most 1000 characters"
    )


def test_hashing_refuses_a_password_that_is_not_text() -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        PasswordHash.of(12345678)  # type: ignore[arg-type]
    assert str(caught.value) == "invalid password hash: 1 problem\n  - password: must be a string"


def test_the_bulk_reader_does_not_remember_huge_cells() -> None:
    # 2 000 rows of distinct 10 kB unknown categories: each refused, none kept in the reader's
    # memory of refusals (a remembered one costs its size for the rest of the run).
    from partner_onboarding import DEFAULT_POLICY  # noqa: PLC0415
    from partner_onboarding.engine import RowReader  # noqa: PLC0415

    facts = RowReader(DEFAULT_POLICY, dt.date(2024, 5, 20))
    for index in range(2_000):
        key = (f"{index}" + "x" * 10_000, None, None, None)
        with pytest.raises(ValidationError):
            facts.plan(key)
    for _ in range(2):  # (a second time, a refusal would be kept)
        with pytest.raises(ValidationError):
            facts.plan((f"{index}" + "x" * 10_000, None, None, None))
    assert facts.refused_plans.known == {}
    assert facts.refused_plans.once == set()
    for _ in range(2):
        with pytest.raises(ValidationError):
            facts.plan(("Paid Medias", None, None, None))
    # (a short bad cell is remembered when it comes again: a repeated mistake stays cheap)
    assert list(facts.refused_plans.known) == [("Paid Medias", None, None, None)]


def test_a_repeated_refusal_is_remembered_and_says_the_same() -> None:
    from partner_onboarding import DEFAULT_POLICY  # noqa: PLC0415
    from partner_onboarding.engine import RowReader  # noqa: PLC0415

    facts = RowReader(DEFAULT_POLICY, dt.date(2024, 5, 20))
    reads: list[Callable[[], object]] = [
        lambda: facts.position("2024-13-01T00:00:00Z"),
        lambda: facts.plan(("Paid Medias", None, None, None)),
    ]
    for read in reads:
        said = []
        for _ in range(3):
            with pytest.raises(ValidationError) as caught:
                read()
            said.append(str(caught.value))
            assert caught.value.__traceback__ is not None
        assert said[0] == said[1] == said[2]
    assert list(facts.refused_cells.known) == ["2024-13-01T00:00:00Z"]


@pytest.mark.parametrize(
    "call",
    [
        lambda p, at: lifecycle.reject(p, "Shop Management", None, at=at),  # type: ignore[arg-type]
        lambda p, at: lifecycle.reject(p, "Shop Management", 5, at=at),  # type: ignore[arg-type]
        lambda p, at: lifecycle.upgrade(p, at=at, policy=None),  # type: ignore[arg-type]
        lambda p, at: lifecycle.apply(
            p,
            "LIVE Management",
            sample_info("LIVE Management"),
            at=at,
            policy="x",  # type: ignore[arg-type]
        ),
        lambda p, at: lifecycle.allowed_events(None, p, actor=5),  # type: ignore[arg-type]
        lambda p, at: lifecycle.allowed_events("entity?", p),  # type: ignore[arg-type]
        lambda p, at: lifecycle.authorize_seller(p, "Shop Management", None, at=at),  # type: ignore[arg-type]
        lambda p, at: lifecycle.edit(p, "Shop Management", "info", at=at),  # type: ignore[arg-type]
    ],
)
def test_wrong_arguments_to_operations_are_typed_errors(call: Callable[..., object]) -> None:
    at = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    partner = approved_partner("Shop Management", at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC))
    with pytest.raises(OnboardingError):
        call(partner, at)


def test_a_policy_is_equal_only_to_a_policy_over_the_same_catalog() -> None:
    from partner_onboarding import DEFAULT_CATALOG, Catalog  # noqa: PLC0415

    copy = Catalog([attrs.evolve(c, catalog=None) for c in DEFAULT_CATALOG], name="copy")
    assert Policy(catalog=copy) != Policy()
    assert Policy(catalog=DEFAULT_CATALOG) == Policy()


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers()), max_size=8))
def test_duplicate_keys_are_found_as_a_plain_scan_finds_them(pairs: list[tuple[str, int]]) -> None:
    from partner_onboarding._documents import no_repeated_keys  # noqa: PLC0415

    seen: dict[str, int] = {}
    repeated = None
    for key, value in pairs:  # the plain way: one key at a time
        if key in seen and repeated is None:
            repeated = key
        seen[key] = value
    if repeated is None:
        assert no_repeated_keys(pairs) == seen
    else:
        with pytest.raises(ValueError, match=f"the key '{repeated}' appears twice in one object"):
            no_repeated_keys(pairs)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=12,
)


def _texts_of(value: object) -> st.SearchStrategy[str]:
    """``value`` as JSON text, sometimes with a key repeated, a BOM in front, or spaces."""
    text = json.dumps(value)
    return st.sampled_from(
        [
            text,
            "\ufeff" + text,
            " " + text + "\n",
            text.replace("{", '{"a": 0, ', 1) if text.startswith("{") and text != "{}" else text,
        ]
    )


@given(_JSON_VALUES.flatmap(_texts_of), st.booleans())
def test_json_is_read_as_the_standard_library_reads_it_with_the_duplicate_check(
    text: str, as_bytes: bool
) -> None:
    """The document reader keeps one decoder for text: what it reads, and how it refuses (a key
    twice), is what ``json.loads`` with the duplicate check does, for text and for bytes; a
    byte-order mark at the start of text is dropped, as it is from bytes."""
    from partner_onboarding._documents import load_json, no_repeated_keys  # noqa: PLC0415

    document: str | bytes = text.encode("utf-8") if as_bytes else text
    try:
        plain = document if as_bytes else text.removeprefix("\ufeff")
        expected = json.loads(plain, object_pairs_hook=no_repeated_keys)
    except ValueError as error:
        with pytest.raises(ValidationError) as refused:
            load_json(document, what="document")
        assert refused.value.problems[0].reason == f"not JSON ({str(error)[:120]})"
    else:
        assert json.dumps(load_json(document, what="document")) == json.dumps(expected)


def test_a_machine_without_zone_data_is_told_what_to_install() -> None:
    """Zone data comes from the system (tzdata only on Windows): where there is none at all, the
    default policy cannot be built, and the error says what to install, not that the zone is
    unknown."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from partner_onboarding.policy import NO_ZONE_DATA  # noqa: PLC0415

    hide_zone_data = "import sys; sys.modules['tzdata'] = None; import partner_onboarding"
    result = subprocess.run(  # noqa: S603  (this interpreter, a fixed program)
        [sys.executable, "-c", hide_zone_data],
        env=os.environ | {"PYTHONTZPATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-2:]
    assert last == [
        "partner_onboarding.errors.ValidationError: invalid policy: 1 problem",
        f"  - zone: {NO_ZONE_DATA}",
    ]


def test_without_zone_data_a_policy_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same refusal in process: where no zone is found and not even UTC exists."""
    import zoneinfo  # noqa: PLC0415

    from partner_onboarding import policy as policy_module  # noqa: PLC0415

    assert policy_module._has_zone_data()

    def nowhere(key: str) -> zoneinfo.ZoneInfo:
        raise zoneinfo.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(zoneinfo, "ZoneInfo", nowhere)  # (what the policy module reads)
    assert not policy_module._has_zone_data()
    with pytest.raises(ValidationError) as caught:
        Policy(zone="Europe/Paris")
    assert str(caught.value) == (
        f"invalid policy: 1 problem\n  - zone: {policy_module.NO_ZONE_DATA}"
    )


@pytest.mark.parametrize(
    ("days", "named"),
    [
        (
            {"upgrade_date": dt.date(1, 1, 1), "authorization_cutoff": dt.date(1, 1, 2)},
            ["upgrade_date"],
        ),
        (
            {"upgrade_date": dt.date(1, 1, 1), "authorization_cutoff": dt.date(1, 1, 1)},
            ["upgrade_date", "authorization_cutoff"],
        ),
        ({"new_partners_from": dt.date(1, 1, 1)}, ["new_partners_from"]),
    ],
)
def test_a_cut_off_before_the_calendar_is_refused_naming_its_own_field(
    days: dict[str, dt.date], named: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.from_data({"zone": "Asia/Tokyo", **days})  # (a version 1 document)
    assert [problem.path for problem in caught.value.problems] == named
    assert {problem.reason for problem in caught.value.problems} == {
        "a cut-off at the very end of the calendar"
    }
    assert caught.value.__context__ is None  # (the day's own refusal is not chained)


@pytest.mark.parametrize(
    ("salt", "digest"),
    [
        ("A" * 86 + "==", "A" * 90 + "=="),  # a 67-byte digest
        ("A" * 90 + "==", "A" * 44),  # a 67-byte salt
        ("A" * 24, "A" * 21848),  # a 16 KiB digest: refused by its length, before it is decoded
        ("A" * 2_796_200, "A" * 44),  # a 2 MiB salt
    ],
)
def test_salt_and_digest_lengths_are_bounded_before_any_work(salt: str, digest: str) -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        PasswordHash.parse(f"scrypt$16384$8$1${salt}${digest}")
    assert "16 to 64 bytes" in str(caught.value)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "parameter",
    [
        "+16384",
        " 16384",
        "16384 ",
        "16_384",
        "016384",
        "\u0661\u0666\u0663\u0668\u0664",
        "0x4000",
        "1e4",
    ],
)
def test_hash_text_is_canonical(parameter: str) -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    good = "scrypt$16384$8$1$" + "A" * 22 + "==$" + "A" * 43 + "="
    assert PasswordHash.parse(good).n == 16384
    with pytest.raises(ValidationError):
        PasswordHash.parse(good.replace("16384", parameter))


def test_hash_base64_is_canonical() -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    salt = "A" * 21 + "B=="  # (the last character's unused bits are not zero: not canonical)
    with pytest.raises(ValidationError) as caught:
        PasswordHash.parse("scrypt$16384$8$1$" + salt + "$" + "A" * 43 + "=")
    assert "canonical base64" in str(caught.value)
    for padding in ("A" * 22, "A" * 22 + "=", "A" * 21 + "=="):  # padding missing or misplaced
        with pytest.raises(ValidationError):
            PasswordHash.parse("scrypt$16384$8$1$" + padding + "$" + "A" * 43 + "=")


def test_a_password_that_cannot_be_encoded_is_named_as_such() -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        PasswordHash.of("Abc123!\ud800x", n=2)
    assert str(caught.value) == (
        "invalid password hash: 1 problem\n"
        "  - password: cannot be written as UTF-8 (it holds a lone surrogate)"
    )


def test_needs_rehash_weighs_each_parameter() -> None:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    salt, digest = b"s" * 16, b"d" * 32
    traded = PasswordHash(n=2**15, r=4, p=1, salt=salt, digest=digest)  # (the same n*r*p)
    assert traded.needs_rehash()
    assert not traded.needs_rehash(n=2**15, r=4)
    assert PasswordHash(n=2**14, r=8, p=1, salt=salt, digest=digest).needs_rehash(p=2)
    assert not PasswordHash(n=2**14, r=8, p=2, salt=salt, digest=digest).needs_rehash()


# Text that cannot be written as UTF-8, drives a terminal or reads otherwise than it is stored.
UNSAFE_TEXTS = [
    ("Acme\ud800", "a lone surrogate"),
    ("Acme\x00", "a control character"),
    ("Acme\x1b[2J", "a control character"),
    ("Acme\u202eCLL", "a bidirectional override"),
    ("Acme\u2066x", "a bidirectional override"),
    ("Acme\x85", "a control character"),
]


@pytest.mark.parametrize(("text", "kind"), UNSAFE_TEXTS)
@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda t: attrs.evolve(sample_entity(), legal_name=t), "legal_name"),
        (lambda t: attrs.evolve(sample_entity().address, city=t), "city"),
        (lambda t: attrs.evolve(sample_entity().contact, name=t), "name"),
        (
            lambda t: attrs.evolve(sample_info("LIVE Management"), service_description=t),
            "service_description",
        ),
        (Rule, "name"),
        (lambda t: Reason(ReasonCode.CURRENT_CATEGORY, t, Rule("r")), "message"),
        (
            lambda t: lifecycle.reject(
                lifecycle.apply(
                    approved_partner("Shop Management", at=T),
                    "LIVE Management",
                    sample_info("LIVE Management"),
                    at=T,
                ),
                "LIVE Management",
                [t],
                at=T,
            ),
            "reasons[0]",
        ),
    ],
)
def test_text_fields_refuse_unsafe_characters_naming_the_field(
    build: Any, field: str, text: str, kind: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        build(text)
    (problem,) = caught.value.problems
    assert problem.path == field
    assert kind in problem.reason
    assert text not in str(caught.value)  # (the character is named by its code point)


def test_line_breaks_and_tabs_are_kept_only_in_texts_of_lines() -> None:
    info = attrs.evolve(sample_info("LIVE Management"), service_description="Live\n\tcoaching")
    assert info.service_description == "Live\n\tcoaching"
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(sample_entity(), legal_name="Acme\nLLC")
    assert caught.value.fields == ("legal_name",)


@given(st.text(max_size=40))
def test_whatever_text_is_accepted_can_be_written_as_utf_8(text: str) -> None:
    try:
        rule = Rule(text)
    except ValidationError:
        return
    to_json(rule).encode("utf-8")  # (never raises: nothing unwritable is kept)
    assert not any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 for c in rule.name)


# ------------------------------------------------------------------------------------------------
# Readers bound what they read before reading it


def test_a_policy_file_that_never_ends_is_refused_after_the_bound() -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.load("/dev/zero")
    assert "a file of more than 16777216 bytes" in str(caught.value)


@pytest.mark.parametrize("name", ["policy.toml", "policy.json"])
def test_a_policy_file_with_a_byte_order_mark_is_read(tmp_path: Any, name: str) -> None:
    from partner_onboarding import DEFAULT_POLICY  # noqa: PLC0415

    text = DEFAULT_POLICY.to_json() if name.endswith(".json") else DEFAULT_POLICY.to_toml()
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert Policy.load(path) == DEFAULT_POLICY
    assert Policy.load(str(path)) == DEFAULT_POLICY


@pytest.mark.parametrize("path", [None, 5, b"/etc/hostname"])
def test_a_policy_path_of_another_type_is_named(path: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.load(path)  # type: ignore[arg-type]
    assert caught.value.fields == ("path",)


def test_a_policy_file_that_is_not_utf_8_is_refused(tmp_path: Any) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b'zone = "Am\xe9rica/Los_Angeles"\n')
    with pytest.raises(ValidationError) as caught:
        Policy.load(path)
    assert "not UTF-8 text (a byte 0xe9 at 10)" in str(caught.value)


class Endless:
    """A stream whose first line is ``first`` and whose next line never ends (a device)."""

    def __init__(self, first: bytes) -> None:
        self.first: bytes | None = first
        self.read = 0

    def readline(self, size: int = -1) -> bytes:
        if self.first is not None:
            line, self.first = self.first, None
            return line
        self.read += size
        return b"\0" * size


def test_a_line_that_never_ends_stops_the_reading_in_bounded_work() -> None:
    from partner_onboarding import _files  # noqa: PLC0415

    stream = Endless(b"partner_id,category,registered_at\n")
    rows = list(_files.read_rows(stream))  # type: ignore[arg-type]
    assert [row.problems for row in rows] == [(f"a line longer than {_files.MAX_LINE} bytes",)]
    assert stream.read <= _files.MAX_SKIPPED + 2 * _files.MAX_LINE + 2


def test_a_first_line_that_never_ends_is_refused_at_once() -> None:
    from partner_onboarding import _files  # noqa: PLC0415

    stream = Endless(b"")
    stream.first = None
    with pytest.raises(_files.HeaderError) as caught:
        _files.read_rows(stream)  # type: ignore[arg-type]
    assert "longer than" in str(caught.value)
    assert stream.read <= _files.MAX_LINE + 1


# ------------------------------------------------------------------------------------------------
# An argument of the wrong type is the library's own error, and a TypeError, naming the argument


NONE: Any = None  # (the wrong types under test, past the type checker)
A_LIST: Any = [1]
TEXT: Any = "text"
A_NUMBER: Any = 5
ROW = {"partner_id": "P1", "registered_at": "2024-01-02", "category": "Paid Media"}
DAY = dt.date(2024, 5, 1)


def _polars_frame() -> Any:
    import polars as pl  # noqa: PLC0415

    return pl.DataFrame([ROW])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: list(batch.check_rows([ROW], at=DAY, policy=NONE)), "policy"),
        (lambda: batch.decide_row(ROW, "register", at=DAY, policy=NONE), "policy"),
        (lambda: batch.decide_row(ROW, "register", at=A_LIST), "at"),
        (lambda: frames.check_frame(_polars_frame(), at=DAY, policy=NONE), "policy"),
        (lambda: frames.answers(at=DAY, policy=NONE), "policy"),
        (
            lambda: lifecycle.apply(
                approved_partner("Shop Management", at=T),
                "LIVE Management",
                sample_info("LIVE Management"),
                at=T,
                catalog=NONE,
            ),
            "catalog",
        ),
        (lambda: from_json("{}", NONE), "cls"),
        (lambda: from_json("{}", object), "cls"),
        (lambda: from_json('{"version":3,"type":"int","catalog":null,"data":5}', int), "cls"),
        (lambda: Policy.load(NONE), "path"),
        (lambda: DocumentRef.of("a", TEXT), "content"),
        (
            lambda: DEFAULT_POLICY.can_register(approved_partner(at=T), "Paid Media", at=A_NUMBER),
            "at",
        ),
    ],
)
def test_an_argument_of_the_wrong_type_is_named(call: Any, field: str) -> None:
    with pytest.raises(WrongType) as caught:
        call()
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.fields == (field,)


def test_a_zone_whose_offset_is_not_within_a_day_is_refused() -> None:
    at = dt.datetime(2024, 5, 1, tzinfo=ThirtyHours())
    partner = approved_partner("Shop Management", at=T)
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.can_register(partner, "Paid Media", at=at)
    assert "offset is not within a day of UTC" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        lifecycle.apply(partner, "LIVE Management", sample_info("LIVE Management"), at=at)
    assert caught.value.fields == ("at",)


# ------------------------------------------------------------------------------------------------
# Errors and suggestions cost no more than their bound


def test_an_error_lists_at_most_its_bound_then_how_many_more() -> None:
    import pickle  # noqa: PLC0415

    from partner_onboarding.errors import MAX_PROBLEMS, Problem  # noqa: PLC0415

    error = ValidationError([Problem(f"x[{i}]", "bad") for i in range(1_000)], what="thing")
    assert len(error.problems) == MAX_PROBLEMS
    assert error.more == 1_000 - MAX_PROBLEMS
    assert str(error).startswith("invalid thing: 1000 problems\n  - x[0]: bad")
    assert str(error).endswith(f"  - … and {1_000 - MAX_PROBLEMS} more")
    copied = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
    assert (copied.problems, copied.more, str(copied)) == (error.problems, error.more, str(error))
    assert error.under("rows[3]").more == error.more


def test_a_document_of_a_million_bad_markets_is_refused_with_a_bounded_message() -> None:
    from partner_onboarding import DEFAULT_CATALOG, CategoryInfo  # noqa: PLC0415
    from partner_onboarding.serde import to_data  # noqa: PLC0415

    info = to_data(sample_info("LIVE Management"))
    info["markets_served"] = ["X1"] * 1_500_000
    text = json.dumps(
        {"version": 3, "type": "CategoryInfo", "catalog": DEFAULT_CATALOG.id, "data": info}
    )
    with pytest.raises(ValidationError) as caught:
        from_json(text, CategoryInfo)
    assert len(str(caught.value)) < 5_000
    assert caught.value.problems[-1].path == "markets_served[49:]"
    assert caught.value.problems[-1].reason == "1499951 more items, not read"


def test_a_policy_of_many_unknown_names_is_refused_with_a_bounded_message() -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.from_data({"discontinued": [f"unknown category {i}" for i in range(20_000)]})
    assert len(str(caught.value)) < 10_000
    assert len(caught.value.problems) + caught.value.more == 20_000
    rules = [{"categories": [f"unknown {i}" for i in range(20_000)], "question": "register"}]
    with pytest.raises(ValidationError) as caught:
        Policy.from_data({"rules": [{**rules[0], "bars": "everyone", "from": "2024-04-30"}]})
    assert caught.value.problems == (
        Problem("rules[0].categories", "must name at most 200 categories"),
    )


def test_suggestions_are_searched_for_the_first_distinct_unknown_names_only() -> None:
    rows = [
        {"partner_id": "P", "registered_at": "2024-01-02", "category": f"Paid Mediaa {i}"}
        for i in range(1_000)
    ]
    records = batch.check_rows(rows, at=DAY, on_error="record")
    suggested = [r for r in records if "did you mean 'Paid Media'" in r["error"]]
    assert len(suggested) == 100
    assert all(r["error"].startswith("category: unknown service category") for r in records)


# ------------------------------------------------------------------------------------------------
# Small findings, each its own test


@pytest.mark.parametrize("protocol", range(6))
def test_a_policy_pickles_under_every_protocol(protocol: int) -> None:
    import pickle  # noqa: PLC0415

    custom = Policy(rules=upgrade_rules(discontinued=["Paid Media"]), zone="America/New_York")
    for policy in (DEFAULT_POLICY, custom):
        copied = pickle.loads(pickle.dumps(policy, protocol=protocol))  # noqa: S301
        assert copied == policy
        assert copied.id == policy.id


def test_an_error_keeps_its_notes_through_pickle() -> None:
    import pickle  # noqa: PLC0415

    error = ValidationError.single("x", "bad")
    error.add_note("while reading rows.csv")
    copied = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
    assert copied.__notes__ == ["while reading rows.csv"]
    assert str(copied) == str(error)


@pytest.mark.parametrize("text", ["2024-01-02T00:00:00+00:00\x00", "2024-01-02T00:00:00\x0b+00:00"])
def test_an_instant_with_a_control_character_is_refused(text: str) -> None:
    from partner_onboarding._time import parse_instant  # noqa: PLC0415

    with pytest.raises(ValidationError):
        parse_instant(text)


@pytest.mark.parametrize("phone", ["+1 415 555 0100 ext. 123", "(415) 555-0100 x123"])
def test_a_phone_extension_is_refused_not_dropped(phone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(sample_entity().contact, phone=phone)
    assert "has an extension" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@example.com/",
        "https://user@example.com/",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com\\evil",
        "https://" + "a" * 64 + ".com/",
    ],
)
def test_a_website_that_is_not_a_plain_public_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(sample_entity(), website=url)
    assert caught.value.fields == ("website",)


def test_a_website_with_a_port_path_and_query_is_kept() -> None:
    url = "https://shop.example.com:8443/about?lang=en"
    assert attrs.evolve(sample_entity(), website=url).website == url


def test_zip_code_00000_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(sample_entity().address, zip_code="00000")
    assert caught.value.fields == ("zip_code",)
    assert attrs.evolve(sample_entity().address, zip_code="00501").zip_code == "00501"


def test_full_width_category_names_are_found() -> None:
    from partner_onboarding import DEFAULT_CATALOG  # noqa: PLC0415

    full_width = "\uff30\uff41\uff49\uff44\u3000\uff2d\uff45\uff44\uff49\uff41"  # Paid Media
    assert DEFAULT_CATALOG.category(full_width).code == "paid_media"


def test_a_category_takes_its_enums_by_value_and_refuses_a_blank_alias() -> None:
    from partner_onboarding import Category, FirstCategory, PartnerRole  # noqa: PLC0415

    made = Category(
        code="x_y", name="X Y", first_category="seller_service", role="seller_service_partner"
    )
    assert (made.first_category, made.role) == (
        FirstCategory.SELLER_SERVICE,
        PartnerRole.SELLER_SERVICE_PARTNER,
    )
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(made, aliases=frozenset({" "}))
    assert caught.value.fields == ("aliases",)


def test_require_defaults_the_market_as_can_register_does() -> None:
    partner = approved_partner("Paid Media", at=T)
    at = dt.date(2024, 5, 1)
    assert DEFAULT_POLICY.require_registration(partner, "Paid Media", at=at) == (
        DEFAULT_POLICY.can_register(partner, "Paid Media", at=at)
    )
    assert DEFAULT_POLICY.require_seller_authorization(partner, "Paid Media", at=at) == (
        DEFAULT_POLICY.can_authorize_seller(partner, "Paid Media", at=at)
    )


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"partner_id": "P1", "partner_id": "P2", "category": "Paid Media"}', "appears twice"),
        (
            '{"partner_id": ["P1"], "registered_at": "2024-01-02", "category": "Paid Media"}',
            "single",
        ),
        ('{"partner_id": "P1", "registered_at": {"a": 1}, "category": "Paid Media"}', "single"),
    ],
)
def test_json_lines_refuse_repeated_keys_and_nested_cells(line: str, words: str) -> None:
    import io  # noqa: PLC0415

    from partner_onboarding import _files  # noqa: PLC0415

    (row,) = _files.read_rows(io.BytesIO(line.encode()), kind="jsonl")
    assert row.cells is None
    assert words in row.problems[0]


def test_a_cut_off_at_a_midnight_the_zone_skips_is_said_as_its_wall_clock_reads() -> None:
    policy = Policy(
        rules=upgrade_rules(
            upgrade_date=dt.date(2024, 3, 10), authorization_cutoff=dt.date(2024, 6, 5)
        ),
        zone="America/Havana",
    )
    policy = attrs.evolve(
        policy,
        rules=upgrade_rules(
            upgrade_date=dt.date(2024, 3, 10), new_partners_from=dt.date(2024, 3, 1)
        ),
    )
    partner = approved_partner(at=dt.datetime(2024, 3, 8, tzinfo=dt.UTC), policy=None)
    decision = policy.can_register(partner, "Paid Media", at=dt.date(2024, 3, 9))
    assert decision.message == "allowed until 2024-03-10T01:00-04:00"  # (00:00 never happened)
    assert decision.changes_at == policy.upgrade_at


# --------------------------------------------------------------------------------------------------
# Whole documents (JSON, TOML, a file): each refusal word for word, each bound to the character

TWICE = "the key %s appears twice in one object"
RLO = "\u202e"  # (right-to-left override: not printable)


def twice(key: str) -> str:
    """A JSON object that gives ``key`` twice."""
    return "{" + f"{json.dumps(key)}: 1, {json.dumps(key)}: 2" + "}"


_TOO_LONG = (
    "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use "
    "sys.set_int_max_str_digits() t"
)


@pytest.mark.parametrize(
    ("read", "said"),
    [
        (lambda: load_json(3, what="policy"), "must be JSON text"),  # type: ignore[arg-type]
        (
            lambda: load_json(" " * (MAX_DOCUMENT + 1), what="policy"),
            f"a document of {MAX_DOCUMENT + 1} characters (at most {MAX_DOCUMENT})",
        ),
        (
            lambda: load_json(b'{"a":1,"a":2}', what="policy"),
            "not JSON (the key 'a' appears twice in one object)",
        ),
        (
            lambda: load_json('{"a\\u0000":1,"a\\u0000":2}', what="policy"),
            "not JSON (the key 'a\\x00' appears twice in one object)",
        ),
        (
            lambda: load_json(json.dumps({"k": 1}).replace("}", ', "k": 2}'), what="policy"),
            "not JSON (the key 'k' appears twice in one object)",
        ),
        (
            lambda: load_json('{"%s":1,"%s":2}' % ("k" * 50, "k" * 50), what="policy"),  # noqa: UP031
            f"not JSON (the key {'k' * 40!r} appears twice in one object)",
        ),
        (lambda: load_json(twice("é"), what="policy"), f"not JSON ({TWICE % repr('é')})"),
        (lambda: load_json(twice(RLO), what="policy"), f"not JSON ({TWICE % ascii(RLO)})"),
        (
            lambda: load_json(twice("é" * 40 + "\0"), what="policy"),
            f"not JSON ({TWICE % repr('é' * 40)})",
        ),
        (
            lambda: load_json(twice("\0" + "k" * 44), what="policy"),
            f"not JSON ({TWICE % ascii(chr(0) + 'k' * 39)})",
        ),
        (lambda: load_json("[" * 100_000, what="policy"), "not JSON (nested too deeply)"),
        (lambda: load_json("1" * 5000, what="policy"), f"not JSON ({_TOO_LONG})"),
        (lambda: load_toml(3, what="policy"), "must be TOML text"),  # type: ignore[arg-type]
        (
            lambda: load_toml(" " * (MAX_DOCUMENT + 1), what="policy"),
            f"a document of {MAX_DOCUMENT + 1} characters (at most {MAX_DOCUMENT})",
        ),
        (lambda: load_toml("a = " + "[" * 100_000, what="policy"), "not TOML (nested too deeply)"),
        (lambda: load_toml("a = " + "1" * 5000, what="policy"), f"not TOML ({_TOO_LONG})"),
        (
            lambda: load_toml("a = 1\na = 2", what="policy"),
            "not TOML (Cannot overwrite a value (at end of document))",
        ),
    ],
)
def test_a_document_that_cannot_be_read_says_why_word_for_word(
    read: Callable[[], object], said: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        read()
    assert str(caught.value) == f"invalid policy: 1 problem\n  - {said}"
    assert caught.value.fields == ("",)  # (the document itself)


def test_a_document_of_exactly_the_bound_is_read_and_a_byte_order_mark_is_not_content() -> None:
    assert len(load_json('"' + "a" * (MAX_DOCUMENT - 2) + '"', what="policy")) == MAX_DOCUMENT - 2
    assert len(load_toml("a = '" + "a" * (MAX_DOCUMENT - 6) + "'", what="policy")["a"]) == (
        MAX_DOCUMENT - 6
    )
    assert load_json("\ufeff[1]", what="policy") == [1]
    assert load_toml("\ufeffa = 1", what="policy") == {"a": 1}


def test_a_file_is_read_to_its_bound_as_utf_8_and_each_failure_said(tmp_path: Any) -> None:
    def said(path: object) -> str:
        with pytest.raises(ValidationError) as caught:
            read_document(path, what="policy")
        assert caught.value.fields == ("",)
        return str(caught.value).removeprefix("invalid policy: 1 problem\n  - ")

    (tmp_path / "bom").write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_document(tmp_path / "bom", what="policy") == '{"a": 1}'
    (tmp_path / "full").write_bytes(b" " * MAX_DOCUMENT)
    assert len(read_document(str(tmp_path / "full"), what="policy")) == MAX_DOCUMENT
    (tmp_path / "big").write_bytes(b" " * (MAX_DOCUMENT + 1))
    assert said(tmp_path / "big") == (
        f"a file of more than {MAX_DOCUMENT} bytes (the most a document may be)"
    )
    (tmp_path / "latin").write_bytes(b'{"a": "\xff"}')
    assert said(tmp_path / "latin") == "not UTF-8 text (a byte 0xff at 7)"
    assert said(tmp_path / "none") == f"cannot read {tmp_path / 'none'}: No such file or directory"
    with pytest.raises(WrongType) as caught:
        read_document(None, what="policy")
    assert str(caught.value) == (
        "invalid policy: 1 problem\n  - path: must be a file path (str or os.PathLike)"
    )
    assert _documents.MAX_DOCUMENT == 16 * 1024 * 1024
