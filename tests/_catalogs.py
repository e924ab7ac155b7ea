"""A catalog of the tests' own: the default categories and one more, under another identity."""

from __future__ import annotations

import attrs

from partner_onboarding import DEFAULT_CATALOG, Catalog, Category, FirstCategory, PartnerRole

CUSTOM = Catalog(
    [attrs.evolve(c, catalog=None) for c in DEFAULT_CATALOG]
    + [
        Category(
            code="live_coaching",
            name="LIVE Coaching",
            first_category=FirstCategory.SELLER_SERVICE,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
        )
    ],
    name="acme-internal",
    version="7",
)
