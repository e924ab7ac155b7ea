"""Personal data sweep: the clear password never shows anywhere; EINs and phones only masked.

Every public type is drawn, printed (repr, str), serialised, and every error the library raises
for it is read. JSON necessarily carries the full EIN and phone (it is the data), never a password.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding import (
    Account,
    Address,
    ContactPerson,
    Entity,
    Market,
    OnboardingError,
    Partner,
    ValidationError,
    from_json,
    lifecycle,
    to_json,
)
from partner_onboarding.testing import (
    KNOWN_PASSWORD,
    accounts,
    applications,
    contact_people,
    entities,
    partners,
    passwords,
    phones,
)

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def personal_data(value: object) -> tuple[set[str], set[str]]:
    """(EINs, phones) held anywhere inside ``value``, in their stored forms and digits only."""
    eins: set[str] = set()
    numbers: set[str] = set()
    for item in _parts(value):
        if isinstance(item, Entity):
            eins.update({item.ein, item.ein.replace("-", "")})
        if isinstance(item, ContactPerson | Account) and item.phone:
            numbers.update({item.phone, item.phone.lstrip("+")})
    return eins, numbers


def public_texts(value: object) -> set[str]:
    """The texts ``value`` holds that are shown as they are (names, emails, addresses, …): every
    string inside it but its EINs and phone numbers."""
    eins, numbers = personal_data(value)
    return {item for item in _parts(value) if isinstance(item, str) and item not in eins | numbers}


def _parts(value: object) -> list[object]:
    found: list[object] = []

    def walk(item: object) -> None:
        found.append(item)
        if attrs.has(type(item)):
            for field in attrs.fields(cast("Any", type(item))):
                walk(getattr(item, field.name))
        elif isinstance(item, tuple | list | frozenset):
            for element in item:
                walk(element)

    walk(value)
    return found


def assert_clean(text: str, value: object) -> None:
    """No password, and of each EIN and phone number at most its last 4 digits: no run of 6 of
    its digits (in a row, with or without its separators) is in ``text``. (Runs of 5 would
    catch a 5th digit too, but meet unrelated 5-digit numbers, ZIP codes, by chance.)"""
    assert KNOWN_PASSWORD not in text
    eins, numbers = personal_data(value)
    for secret in eins | numbers:
        assert secret not in text, f"{secret!r} unmasked"
        digits = "".join(ch for ch in secret if ch.isdigit())
        # What is shown as it is (an email 000000@a.com) may hold the digits of an EIN by chance.
        for shown in sorted(public_texts(value), key=len, reverse=True):
            text = text.replace(repr(shown), "<shown>")
        # Instants are the library's own data, not a partner's: 23:59:59.999999 is no EIN.
        unstamped = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", "<instant>", text)
        unstamped = re.sub(r"datetime\.datetime\(\d+(, \d+)*", "<instant>", unstamped)  # (reprs)
        joined = re.sub(r"(?<=[0-9])-(?=[0-9])", "", unstamped)  # (04-2103594 → 042103594)
        for start in range(len(digits) - 5):
            run = digits[start : start + 6]
            assert run not in joined, f"{run!r} of {secret!r} shown"


def test_the_sweep_tells_an_ein_from_the_digits_of_an_instant() -> None:
    from partner_onboarding.testing import sample_entity  # noqa: PLC0415

    entity = attrs.evolve(sample_entity(), ein="01-4999999")
    assert_clean("back-dated: 2024-03-30T23:59:59.999999-07:00 is before …", entity)
    assert_clean("at=datetime.datetime(2024, 3, 30, 23, 59, 59, 999999, tzinfo=…)", entity)
    for shown in ("ein 01-4999999", "ein 014999999", "ein 1-499999", "ein **-*999999"):
        with pytest.raises(AssertionError):
            assert_clean(shown, entity)


def test_the_sweep_tells_an_ein_from_the_same_digits_in_a_field_shown_as_it_is() -> None:
    from partner_onboarding.testing import sample_entity  # noqa: PLC0415

    entity = attrs.evolve(sample_entity(), ein="01-0000000")
    entity = attrs.evolve(entity, contact=attrs.evolve(entity.contact, email="000000@aa.com"))
    assert_clean(repr(entity), entity)
    with pytest.raises(AssertionError):
        assert_clean(repr(entity) + " ein=010000000", entity)


def texts_of(error: BaseException) -> list[str]:
    """What an error says, and what every error in its chain (cause, context) says."""
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found += [str(current), repr(current), *map(repr, current.args)]
        current = current.__cause__ or current.__context__
    return found


@given(st.one_of(entities(), contact_people()))
def test_masks_show_at_most_the_last_four_digits(value: Entity | ContactPerson) -> None:
    shown = repr(value)
    secret = value.ein if isinstance(value, Entity) else value.phone
    digits = "".join(ch for ch in secret if ch.isdigit())
    masked = re.search(r"'(\*\*-\*\*\*[0-9]{4}|\+\*+[0-9]{2})'", shown)
    assert masked is not None, shown
    visible = "".join(ch for ch in masked.group(1) if ch.isdigit())
    assert len(visible) <= 4
    assert digits.endswith(visible)


@given(st.one_of(accounts(), entities(), contact_people(), partners(), applications()))
def test_reprs_and_strs_mask_personal_data(value: Any) -> None:
    assert_clean(repr(value), value)
    assert_clean(str(value), value)


@given(st.one_of(accounts(), entities(), partners()))
def test_json_never_holds_a_password(value: Any) -> None:
    text = to_json(value)
    assert KNOWN_PASSWORD not in text
    assert from_json(text, type(value)) == value


@given(passwords(), phones())
def test_errors_never_quote_a_password_or_a_phone(password: str, phone: str) -> None:
    account = Account.register(
        email="ops@acme.example", password=password, phone=phone, at=T0, scrypt_n=2
    )
    texts = [repr(account), str(account), to_json(account)]
    failures: list[OnboardingError] = []
    attempts: list[Callable[[], object]] = [
        lambda: Account.register(
            email="bad", password=password, phone=phone, at=T0.replace(tzinfo=None)
        ),
        lambda: Account.register(
            email="ops@acme.example", password=password + " ", phone=phone, at=T0
        ),
        lambda: attrs.evolve(account, registered_at=T0.replace(tzinfo=None)),
        lambda: ContactPerson(name="", email="x", phone=phone),
        lambda: from_json(to_json(account).replace('"email"', '"e-mail"'), Account),
    ]
    for attempt in attempts:
        with pytest.raises(OnboardingError) as caught:
            attempt()
        failures.append(caught.value)
    texts += [text for error in failures for text in texts_of(error)]
    for text in texts[2:]:
        assert password not in text
    assert password not in texts[0]
    assert password not in texts[1]
    assert phone not in " ".join(texts[3:])


@given(entities())
def test_errors_about_an_entity_never_quote_its_ein(entity: Entity) -> None:
    bad_address = attrs.asdict(entity.address) | {"zip_code": "1"}
    attempts: list[Callable[[], object]] = [
        lambda: attrs.evolve(entity, legal_name="", address=Address(**bad_address)),
        lambda: attrs.evolve(entity, country=Market("GB")),
        lambda: from_json(to_json(entity).replace('"legal_name"', '"name"'), Entity),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        for text in texts_of(caught.value):
            assert_clean(text, entity)


@given(partners(max_steps=8))
def test_refusals_about_a_partner_never_quote_its_data(partner: Partner) -> None:
    refusals: list[str] = []
    attempts: list[Callable[[], object]] = [
        lambda: lifecycle.approve(partner, "Shop Management", at=partner.registered_at),
        lambda: lifecycle.upgrade(partner, at=T0),
    ]
    if partner.entity is not None:
        entity = partner.entity.entity
        attempts.append(lambda: lifecycle.modify_entity(partner, entity, at=T0))
    for attempt in attempts:
        try:
            attempt()
        except OnboardingError as error:
            refusals += texts_of(error)
    for text in refusals:
        assert_clean(text, partner)
    assert json.loads(to_json(partner))["data"]["events"][0]["account"]["password_hash"].startswith(
        "scrypt$"
    )
