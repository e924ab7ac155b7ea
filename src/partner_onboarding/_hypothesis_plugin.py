"""Registers the library's strategies with Hypothesis (through its ``hypothesis`` entry point).

Hypothesis calls :func:`register_strategies` when it is imported, so that a downstream test suite
gets ``st.from_type(Partner)`` and friends without importing :mod:`partner_onboarding.testing`.
Importing :mod:`partner_onboarding` itself never imports Hypothesis.
"""

from __future__ import annotations


def register_strategies() -> None:
    """Register a strategy for every public value type of the library."""
    from hypothesis import strategies as st  # noqa: PLC0415  (only when Hypothesis runs this)

    from partner_onboarding import testing  # noqa: PLC0415
    from partner_onboarding.catalog import Category, Market  # noqa: PLC0415
    from partner_onboarding.model import (  # noqa: PLC0415
        Account,
        Address,
        Application,
        CategoryInfo,
        ContactPerson,
        DocumentRef,
        Entity,
        Partner,
        PasswordHash,
    )
    from partner_onboarding.policy import Policy  # noqa: PLC0415

    strategies: dict[type, st.SearchStrategy[object]] = {
        Account: testing.accounts(),
        Address: testing.addresses(),
        Application: testing.applications(),
        Category: testing.categories(),
        CategoryInfo: testing.category_infos(),
        ContactPerson: testing.contact_people(),
        DocumentRef: testing.documents(),
        Entity: testing.entities(),
        Market: testing.markets(),
        PasswordHash: testing.password_hashes(),
        Partner: testing.partners(),
        Policy: testing.policies(),
    }
    for kind, strategy in strategies.items():
        st.register_type_strategy(kind, strategy)
