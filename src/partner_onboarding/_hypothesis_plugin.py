"""Registers the library's strategies with Hypothesis (through its ``hypothesis`` entry point).

Hypothesis calls :func:`register_strategies` when it is imported, so that a downstream test suite
gets ``st.from_type(Partner)`` and friends without importing :mod:`partner_onboarding.testing`.
Importing :mod:`partner_onboarding` itself never imports Hypothesis.

Each strategy is deferred: :mod:`partner_onboarding.testing` (which imports Hypothesis) is loaded
on the first draw, not while Hypothesis is still being imported.
"""

from __future__ import annotations

import importlib
from typing import Any


def register_strategies() -> None:
    """Register a strategy for every public value type of the library."""
    from hypothesis import strategies as st  # noqa: PLC0415  (only when Hypothesis runs this)

    from partner_onboarding.catalog import Catalog, Category, Market  # noqa: PLC0415
    from partner_onboarding.model import (  # noqa: PLC0415
        Account,
        Address,
        Application,
        CategoryInfo,
        ContactPerson,
        DocumentRef,
        Entity,
        EntityReview,
        Event,
        FinanceIdentity,
        History,
        Partner,
        PartnerEvent,
        PasswordHash,
        RoleGrant,
        SellerAuthorization,
    )
    from partner_onboarding.policy import (  # noqa: PLC0415
        Cutoff,
        Decision,
        Facts,
        Policy,
        Reason,
        Verdict,
    )

    def deferred(name: str) -> st.SearchStrategy[Any]:
        def build() -> st.SearchStrategy[Any]:
            strategy: st.SearchStrategy[Any] = getattr(
                importlib.import_module("partner_onboarding.testing"), name
            )()
            return strategy

        return st.deferred(build)

    strategies: dict[type, str] = {
        Account: "accounts",
        Address: "addresses",
        Application: "applications",
        Category: "categories",
        CategoryInfo: "category_infos",
        ContactPerson: "contact_people",
        DocumentRef: "documents",
        Entity: "entities",
        Market: "markets",
        PasswordHash: "password_hashes",
        Partner: "partners",
        Policy: "policies",
        Decision: "decisions",
        Facts: "facts",
        Verdict: "verdicts",
        PartnerEvent: "partner_events",
        Event: "history_events",
        EntityReview: "entity_reviews",
        FinanceIdentity: "finance_identities",
        SellerAuthorization: "seller_authorizations",
        Catalog: "catalogs",
        Cutoff: "cutoffs",
        History: "histories",
        Reason: "reasons",
        RoleGrant: "role_grants",
    }
    for kind, name in strategies.items():
        st.register_type_strategy(kind, deferred(name))
