"""The one exception tree of the library.

Every error the library raises on purpose is an :class:`OnboardingError`. Each one also
subclasses the built-in exception it resembles, so callers that already catch ``ValueError`` or
``KeyError`` keep working:

- :class:`ValidationError` (``ValueError``): data that cannot make a valid value. It carries *every*
  problem found, each with a field path and a human reason.
- :class:`UnknownCategory` (``KeyError``): a catalog look-up that found nothing, with the closest
  known names as suggestions.

Exceptions store their facts as attributes; the message is built from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "OnboardingError",
    "Problem",
    "UnknownCategory",
    "ValidationError",
]


class OnboardingError(Exception):
    """Root of every error the library raises on purpose."""


@attrs.frozen
class Problem:
    """One thing wrong with some data: where (a dotted field path) and why."""

    path: str
    reason: str

    def under(self, prefix: str) -> Problem:
        """The same problem, seen from a value that holds this one at ``prefix``."""
        if not prefix:
            return self
        if not self.path:
            return Problem(prefix, self.reason)
        joiner = "" if self.path.startswith("[") else "."
        return Problem(f"{prefix}{joiner}{self.path}", self.reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class ValidationError(OnboardingError, ValueError):
    """Data that cannot make a valid value; ``problems`` lists every problem found."""

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem], *, what: str = "value") -> None:
        self.problems = tuple(problems)
        self.what = what
        super().__init__(self._message())

    @classmethod
    def single(cls, path: str, reason: str, *, what: str = "value") -> ValidationError:
        """A validation error with exactly one problem."""
        return cls([Problem(path, reason)], what=what)

    @property
    def fields(self) -> tuple[str, ...]:
        """The field paths with a problem, in the order they were found."""
        return tuple(problem.path for problem in self.problems)

    def under(self, prefix: str) -> ValidationError:
        """The same problems, with their paths prefixed by ``prefix``."""
        return ValidationError([p.under(prefix) for p in self.problems], what=self.what)

    def _message(self) -> str:
        count = len(self.problems)
        head = f"invalid {self.what}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head, *(f"  - {problem}" for problem in self.problems)])

    def __str__(self) -> str:
        return self._message()


class UnknownCategory(OnboardingError, KeyError):
    """A category name or code the catalog does not know."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        super().__init__(name)

    def __str__(self) -> str:
        # KeyError's own __str__ would show repr(args); say something useful instead.
        message = f"unknown service category {self.name!r}"
        if self.suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        return message
