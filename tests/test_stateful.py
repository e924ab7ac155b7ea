"""The library's partner machine (``partner_onboarding.testing.PartnerMachine``): a partner driven
through random sequences of every operation, its invariants checked after each step."""

from __future__ import annotations

from partner_onboarding.testing import PartnerMachine

TestPartnerMachine = PartnerMachine.TestCase
