"""The trust boundary: hostile documents end as the library's own typed error, never anything
else, and cost no more than their size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from partner_onboarding import Entity, Partner, Policy, ValidationError, from_json

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
        "a cut-off off the calendar",
        lambda: Policy(
            zone="Asia/Tokyo",
            upgrade_date=dt.date(1, 1, 1),
            authorization_cutoff=dt.date(1, 1, 2),
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
