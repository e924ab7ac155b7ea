"""Hypothesis profiles: a fast default, a thorough ``ci`` profile, a ``long`` one for soak runs.

Choose with ``HYPOTHESIS_PROFILE=ci`` (the CI script sets it). The ``long`` profile drives the
partner state machine through 100 000 examples of 20 steps (docs/quality.md has a run's figures):

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_stateful.py
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Mutation testing runs the suite once per mutant: few examples per property (a lower bound on
# what the full suite detects), the same ones every time, and a failing example is not shrunk
# (a mutant is detected by the failure; shrinking it would only cost time).
settings.register_profile(
    "mutation",
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
settings.register_profile(
    "long",
    # (PARTNER_ONBOARDING_SOAK_EXAMPLES sets a shorter or longer soak)
    max_examples=int(os.environ.get("PARTNER_ONBOARDING_SOAK_EXAMPLES", "100000")),
    stateful_step_count=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


if os.environ.get("HYPOTHESIS_PROFILE") == "mutation":
    import pytest

    @pytest.fixture(autouse=True)
    def _fresh_memories() -> None:
        """Under mutation testing, each test builds what the library otherwise builds once per
        process (the JSON converter and its hooks, the bulk reader of one policy, the normalised
        fields and spellings, the strategies), so that every test that relies on them is
        counted as covering them, and run against their mutants."""
        from partner_onboarding import _fields, _time, batch, catalog, serde, testing  # noqa: PLC0415

        serde._converter.cache_clear()
        serde._schema_text.cache_clear()
        batch._facts.cache_clear()
        for memory in (
            _fields.normalize_email,
            _fields.normalize_phone,
            _fields.normalize_ein,
            _fields.normalize_url,
            _time._isoparse,
            catalog._spellings,
            catalog._iso_3166_alpha_2,
        ):
            memory.cache_clear()
        for value in vars(testing).values():  # (the strategies made once)
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
