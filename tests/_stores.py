"""Empty event stores for the tests, on each database: SQLite in memory or in a file, and
PostgreSQL where ``PARTNER_ONBOARDING_POSTGRES_URL`` names a server (the ``postgres`` step of
.ci/run starts one with scripts/throwaway-postgres)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from partner_onboarding.store import EVENTS, PARTNERS, EventStore

POSTGRES_URL = "PARTNER_ONBOARDING_POSTGRES_URL"
#: The databases a store test runs on; PostgreSQL's runs in its own step (``-m postgres``).
DATABASES = ["sqlite-memory", "sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)]


def database_url(kind: str, folder: Path) -> str:
    if kind == "sqlite-memory":
        return "sqlite://"
    if kind == "sqlite-file":
        return f"sqlite:///{folder / 'store.db'}"
    url = os.environ.get(POSTGRES_URL)
    if not url:
        pytest.fail(
            f"the postgres tests need {POSTGRES_URL} (scripts/throwaway-postgres starts one)"
        )
    return url


def empty_store(kind: str, folder: Path) -> EventStore:
    """A store on ``kind`` of database with its tables made and empty."""
    store = EventStore(database_url(kind, folder))
    store.create()
    with store.engine.begin() as connection:
        connection.execute(EVENTS.delete())
        connection.execute(PARTNERS.delete())
    return store
