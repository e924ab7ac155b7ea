"""Reading a whole document (JSON, TOML) safely: bounded in size, depth and number size,
duplicate keys refused, and every failure the library's own
:class:`~partner_onboarding.errors.ValidationError`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Final

from partner_onboarding.errors import ValidationError, WrongType

__all__ = ["MAX_DOCUMENT", "load_json", "load_toml", "no_repeated_keys", "read_document"]

#: The largest document read, in characters (a partner with a long history is far below it).
MAX_DOCUMENT: Final = 16 * 1024 * 1024


def no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict (``json``'s ``object_pairs_hook``); a key given twice is
    a ValueError naming it (shortened, its control characters escaped), where ``json`` would
    keep the last silently."""
    found = dict(pairs)  # (built in C; the loop below runs only for a document to refuse)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # (repr escapes what cannot be shown: controls, lone surrogates, overrides)
                raise ValueError(f"the key {key[:40]!r} appears twice in one object")
            seen.add(key)
    return found


_DECODER: Final = json.JSONDecoder(object_pairs_hook=no_repeated_keys)


def load_json(text: str | bytes, *, what: str) -> Any:
    """The JSON document ``text``; anything that is not one (too large, too deep, a number too
    long, a duplicate key, bad bytes) is a ValidationError naming why."""
    if not isinstance(text, str | bytes | bytearray):
        raise ValidationError.single("", "must be JSON text", what=what)
    if len(text) > MAX_DOCUMENT:
        raise ValidationError.single(
            "", f"a document of {len(text)} characters (at most {MAX_DOCUMENT})", what=what
        )
    try:
        if isinstance(text, str):  # (a byte-order mark, which editors write, is not content)
            return _DECODER.decode(text.removeprefix("\ufeff"))
        return json.loads(text, object_pairs_hook=no_repeated_keys)
    except RecursionError:
        raise ValidationError.single("", "not JSON (nested too deeply)", what=what) from None
    except (ValueError, TypeError) as error:  # bad JSON, bad bytes, huge numbers, duplicates
        raise ValidationError.single("", f"not JSON ({str(error)[:120]})", what=what) from None


def load_toml(text: str, *, what: str) -> dict[str, Any]:
    """The TOML document ``text``, with the same bounds as :func:`load_json`."""
    if not isinstance(text, str):
        raise ValidationError.single("", "must be TOML text", what=what)
    if len(text) > MAX_DOCUMENT:
        raise ValidationError.single(
            "", f"a document of {len(text)} characters (at most {MAX_DOCUMENT})", what=what
        )
    import tomllib  # noqa: PLC0415  (loaded when first needed: importing stays light)

    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise ValidationError.single("", "not TOML (nested too deeply)", what=what) from None
    except (tomllib.TOMLDecodeError, ValueError) as error:  # (a number too long is a ValueError)
        raise ValidationError.single("", f"not TOML ({str(error)[:120]})", what=what) from None


def read_document(path: object, *, what: str) -> str:
    """The text of the file at ``path``, read only up to the bound of a document (a device that
    never ends, such as ``/dev/zero``, is refused after :data:`MAX_DOCUMENT` bytes), as UTF-8
    with its byte-order mark dropped; anything else is a ValidationError naming why."""
    if not isinstance(path, str | os.PathLike):
        raise WrongType.single("path", "must be a file path (str or os.PathLike)", what=what)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_DOCUMENT + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValidationError.single("", f"cannot read {path}: {reason}", what=what) from None
    if len(data) > MAX_DOCUMENT:
        raise ValidationError.single(
            "", f"a file of more than {MAX_DOCUMENT} bytes (the most a document may be)", what=what
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ValidationError.single(
            "", f"not UTF-8 text (a byte 0x{data[error.start]:02x} at {error.start})", what=what
        ) from None
