"""partner_onboarding: the TikTok Shop Partner Center (US) onboarding rules as a typed library.

- :mod:`~partner_onboarding.catalog`: partner roles, service categories, markets, legacy categories.
- :mod:`~partner_onboarding.model`: validated, immutable values (account, entity, category info,
  applications, partners).
- :mod:`~partner_onboarding.lifecycle`: the review state machine and the operations on a partner.
- :mod:`~partner_onboarding.policy`: what is allowed when, around the discontinued categories.
- :mod:`~partner_onboarding.standing`: the profile page, what is due and by when, the role switch.
- :mod:`~partner_onboarding.serde`: versioned JSON for every value.
- :mod:`~partner_onboarding.errors`: the one exception tree.

:mod:`~partner_onboarding.standing` and :mod:`~partner_onboarding.serde` (with ``from_json`` and
``to_json``) are loaded when first used, so that importing the library stays light.
"""

import importlib
import os
import sys
from typing import TYPE_CHECKING

from partner_onboarding import lifecycle, policy
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
    Actor,
    Address,
    AgencyType,
    Application,
    CategoryInfo,
    ContactPerson,
    DocumentRef,
    Entity,
    EntityReview,
    Event,
    EventKind,
    FinanceIdentity,
    History,
    Partner,
    PasswordHash,
    ReviewStatus,
    RoleGrant,
    SellerAuthorization,
)
from partner_onboarding.policy import (
    DEFAULT_POLICY,
    Bars,
    Cutoff,
    Decision,
    Facts,
    Policy,
    Question,
    Reason,
    Verdict,
)

if TYPE_CHECKING:
    from partner_onboarding import standing
    from partner_onboarding.serde import from_json, to_json

__all__ = [
    "DEFAULT_CATALOG",
    "DEFAULT_POLICY",
    "Account",
    "Actor",
    "Address",
    "AgencyType",
    "Application",
    "Bars",
    "Catalog",
    "Category",
    "CategoryInfo",
    "ContactPerson",
    "Cutoff",
    "Decision",
    "DocumentRef",
    "Entity",
    "EntityReview",
    "Event",
    "EventKind",
    "Facts",
    "FinanceIdentity",
    "FirstCategory",
    "History",
    "Market",
    "OnboardingError",
    "Partner",
    "PartnerRole",
    "PasswordHash",
    "Policy",
    "Problem",
    "Question",
    "Reason",
    "ReviewStatus",
    "RoleGrant",
    "SellerAuthorization",
    "UnknownCategory",
    "ValidationError",
    "Verdict",
    "from_json",
    "lifecycle",
    "policy",
    "standing",
    "to_json",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """The parts loaded when first used: ``standing``, ``from_json`` and ``to_json``."""
    if name == "standing":
        return importlib.import_module("partner_onboarding.standing")
    if name in {"from_json", "to_json"}:
        return getattr(importlib.import_module("partner_onboarding.serde"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# Hypothesis loaded first (its entry point found the library not loaded yet): register the
# strategies now, unless its plugins are turned off. The library never imports Hypothesis.
if "hypothesis.strategies" in sys.modules and not os.environ.get("HYPOTHESIS_NO_PLUGINS"):
    from partner_onboarding._hypothesis_plugin import register_strategies as _register

    _register()
