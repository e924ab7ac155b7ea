"""What a refused value is told, compared whole: every problem, in order, and the value named."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from partner_onboarding import ValidationError


def assert_refused(
    value: Any, changes: dict[str, Any], what: str, problems: list[tuple[str, str]]
) -> None:
    """``value`` with ``changes`` is refused with exactly ``problems``, as an invalid ``what``."""
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(value, **changes)
    assert [(p.path, p.reason) for p in caught.value.problems] == problems
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    assert str(caught.value).startswith(f"invalid {what}: {count}\n")
