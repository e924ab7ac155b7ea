"""partner_onboarding: the TikTok Shop Partner Center (US) onboarding rules as a typed library.

- :mod:`~partner_onboarding.catalog`: partner roles, service categories, markets, legacy categories.
- :mod:`~partner_onboarding.model`: validated, immutable values (account, entity, category info).
- :mod:`~partner_onboarding.serde`: versioned JSON for every value.
- :mod:`~partner_onboarding.errors`: the one exception tree.
"""

from partner_onboarding.catalog import (
    DEFAULT_CATALOG,
    Catalog,
    Category,
    FirstCategory,
    Market,
    PartnerRole,
)
from partner_onboarding.errors import OnboardingError, Problem, UnknownCategory, ValidationError
from partner_onboarding.model import (
    Account,
    Address,
    CategoryInfo,
    ContactPerson,
    DocumentRef,
    Entity,
    PasswordHash,
)
from partner_onboarding.serde import from_json, to_json

__all__ = [
    "DEFAULT_CATALOG",
    "Account",
    "Address",
    "Catalog",
    "Category",
    "CategoryInfo",
    "ContactPerson",
    "DocumentRef",
    "Entity",
    "FirstCategory",
    "Market",
    "OnboardingError",
    "PartnerRole",
    "PasswordHash",
    "Problem",
    "UnknownCategory",
    "ValidationError",
    "from_json",
    "to_json",
]

__version__ = "0.1.0"
