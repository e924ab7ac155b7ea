"""Personal data sweep: the clear password never shows anywhere; EINs and phones only masked.

Every public type is drawn, printed (repr, str), serialised, and every error the library raises
for it is read. JSON necessarily carries the full EIN and phone (it is the data), never a password.
"""

from __future__ import annotations

import datetime as dt
import json
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

    def walk(item: object) -> None:
        if isinstance(item, Entity):
            eins.update({item.ein, item.ein.replace("-", "")})
        if isinstance(item, ContactPerson | Account) and item.phone:
            numbers.update({item.phone, item.phone.lstrip("+")})
        if attrs.has(type(item)):
            for field in attrs.fields(cast("Any", type(item))):
                walk(getattr(item, field.name))
        elif isinstance(item, tuple | list):
            for element in item:
                walk(element)

    walk(value)
    return eins, numbers


def assert_clean(text: str, value: object) -> None:
    assert KNOWN_PASSWORD not in text
    eins, numbers = personal_data(value)
    for secret in eins | numbers:
        assert secret not in text, f"{secret!r} unmasked"


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
    texts += [str(error) for error in failures] + [repr(error) for error in failures]
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
        assert_clean(str(caught.value), entity)


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
            refusals.append(str(error))
    for text in refusals:
        assert_clean(text, partner)
    assert json.loads(to_json(partner))["data"]["account"]["password_hash"].startswith("scrypt$")
