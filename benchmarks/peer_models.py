"""The partner's JSON shape as pydantic v2 models and msgspec structs (types only, no checks).

Built on demand, so that a missing peer is reported rather than failing the whole benchmark. No
``from __future__ import annotations`` here: both libraries read these annotations as types.
"""

import datetime as dt
from typing import Any


def pydantic_partner() -> type:
    import pydantic  # noqa: PLC0415

    class Event(pydantic.BaseModel):
        actor: str
        kind: str
        from_status: str | None
        to_status: str
        at: dt.datetime
        reasons: list[str]

    class Info(pydantic.BaseModel):
        category: str
        service_description: str | None
        markets_served: list[str]
        team_size: int | None
        reference_links: list[str]

    class Application(pydantic.BaseModel):
        id: str
        category: str
        market: str
        status: str
        info: Info
        history: list[Event]
        pending_revision: Info | None
        supersedes: str | None

    class Address(pydantic.BaseModel):
        lines: list[str]
        city: str
        state: str
        zip_code: str

    class Contact(pydantic.BaseModel):
        name: str
        email: str
        phone: str

    class Document(pydantic.BaseModel):
        name: str
        sha256: str

    class Entity(pydantic.BaseModel):
        legal_name: str
        ein: str
        address: Address
        contact: Contact
        country: str
        website: str | None
        documents: list[Document]

    class Review(pydantic.BaseModel):
        entity: Entity
        status: str
        history: list[Event]

    class Account(pydantic.BaseModel):
        email: str
        password_hash: str
        registered_at: dt.datetime
        phone: str | None

    class Grant(pydantic.BaseModel):
        role: str
        at: dt.datetime

    class Partner(pydantic.BaseModel):
        account: Account
        roles_granted: list[Grant]
        registration_market: str
        entity: Review | None
        applications: list[Application]
        authorizations: list[dict[str, Any]]

    return Partner


def msgspec_partner() -> type:
    import msgspec  # noqa: PLC0415

    class Event(msgspec.Struct):
        actor: str
        kind: str
        from_status: str | None
        to_status: str
        at: dt.datetime
        reasons: list[str]

    class Info(msgspec.Struct):
        category: str
        service_description: str | None
        markets_served: list[str]
        team_size: int | None
        reference_links: list[str]

    class Application(msgspec.Struct):
        id: str
        category: str
        market: str
        status: str
        info: Info
        history: list[Event]
        pending_revision: Info | None
        supersedes: str | None

    class Address(msgspec.Struct):
        lines: list[str]
        city: str
        state: str
        zip_code: str

    class Contact(msgspec.Struct):
        name: str
        email: str
        phone: str

    class Document(msgspec.Struct):
        name: str
        sha256: str

    class Entity(msgspec.Struct):
        legal_name: str
        ein: str
        address: Address
        contact: Contact
        country: str
        website: str | None
        documents: list[Document]

    class Review(msgspec.Struct):
        entity: Entity
        status: str
        history: list[Event]

    class Account(msgspec.Struct):
        email: str
        password_hash: str
        registered_at: dt.datetime
        phone: str | None

    class Grant(msgspec.Struct):
        role: str
        at: dt.datetime

    class Partner(msgspec.Struct):
        account: Account
        roles_granted: list[Grant]
        registration_market: str
        entity: Review | None
        applications: list[Application]
        authorizations: list[dict[str, Any]]

    return Partner
