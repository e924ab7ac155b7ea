"""Hypothesis' entry point for ``partner_onboarding``, kept outside the package so that importing
Hypothesis never imports the library (a test suite that never uses it pays nothing).

The strategies are registered once both are loaded: here, when Hypothesis is imported after the
library; by the library itself (its ``__init__``), when it is imported after Hypothesis.
"""

from __future__ import annotations

import sys


def register_strategies() -> None:
    """Register the library's strategies now if the library is loaded (else it does, later)."""
    if "partner_onboarding" in sys.modules:
        from partner_onboarding._hypothesis_plugin import (  # noqa: PLC0415
            register_strategies as register,
        )

        register()
