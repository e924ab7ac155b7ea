"""A fourth discontinued category with its own two cut-offs, as files: a catalog file that adds
it to the legacy structure, and a rulebook that gives it dates of its own."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from partner_onboarding import Policy
from partner_onboarding.catalog import extend_catalog
from partner_onboarding.policy import Facts, Question

CATALOG_TOML = """\
name = "partner-center-us"
version = "2025.03"

[[categories]]
code = "live_coaching"
name = "LIVE Coaching"
first_category = "seller_service"
role = "seller_service_partner"
aliases = ["Live-Coaching"]
legacy = true
"""

POLICY_TOML = """\
zone = "America/Los_Angeles"
market = "US"

[[rules]]
categories = ["Mass Recruiting", "Mass Tutoring", "Paid Media"]
question = "register"
bars = "new_partners"
from = 2024-04-30

[[rules]]
categories = ["Mass Recruiting", "Mass Tutoring", "Paid Media"]
question = "authorize_seller"
bars = "everyone"
from = 2024-06-05

[[rules]]
categories = ["LIVE Coaching"]
question = "register"
bars = "new_partners"
from = 2025-03-01

[[rules]]
categories = ["LIVE Coaching"]
question = "authorize_seller"
bars = "everyone"
from = 2025-04-15T12:00:00-07:00
"""

import tomllib  # noqa: E402  (the texts above read first)

CATALOG = extend_catalog(tomllib.loads(CATALOG_TOML))
RULEBOOK = Policy.from_toml(POLICY_TOML, catalog=CATALOG)
LA = dt.timezone(dt.timedelta(hours=-8))
#: Instants around each of the rulebook's own.
REGISTERED = ["2024-01-10", "2024-04-29", "2024-04-30", "2025-02-28", "2025-03-01", "2025-03-02"]
ASKED = [dt.date(2024, 5, 1), dt.date(2025, 2, 20), dt.date(2025, 3, 10), dt.date(2025, 5, 1)]
CATEGORIES = ["LIVE Coaching", "live_coaching", "Paid Media", "Shop Management"]


def rows() -> list[dict[str, Any]]:
    """Every combination of registration, category, status and question, as text cells."""
    return [
        {
            "partner_id": f"P{index}",
            "registered_at": registered,
            "category": category,
            "status": status,
            "question": question.value,
        }
        for index, (registered, category, status, question) in enumerate(
            itertools.product(REGISTERED, CATEGORIES, ["approved", "pending_review"], Question)
        )
    ]


def decided(row: dict[str, Any], at: dt.date) -> dict[str, Any]:
    """What the one judge, ``Policy.decide``, answers for ``row``."""
    facts = Facts(
        category=row["category"],
        registered_at=RULEBOOK.instant(row["registered_at"]),
        approved=row["status"] == "approved",
    )
    decision = RULEBOOK.decide(row["question"], facts, at=at)
    return {
        "allowed": decision.allowed,
        "reason": decision.codes[0],
        "reason_codes": ";".join(decision.codes),
        "message": decision.message,
        "changes_at": decision.changes_at,
    }
