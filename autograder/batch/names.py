"""Folder names for a batch's output, made from untrusted input (file names, metadata keys).

A readable name is kept as it is. Anything else (a separator, `..`, a leading dot, a control
or invisible character, `%` itself, more than MAX_BYTES) is percent-escaped, so that distinct
inputs always give distinct names: a kept name never contains `%`, an escaped one always does,
and a name too long to keep ends in `%-` and a hash of the whole input.
"""
from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

MAX_BYTES = 200  # of one folder name (file systems allow 255)
HASH_CHARS = 32
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_SEPARATORS = "/\\\0"


def is_component(raw: str) -> bool:
    """True if `raw` names an entry inside a folder: not empty, `.` or `..`, no separator or NUL."""
    return raw not in ("", ".", "..") and not any(c in raw for c in _SEPARATORS)


def safe_name(raw: str) -> str:
    """A single, plain folder name for `raw`; distinct inputs give distinct names (see the module)."""
    if raw and not raw.startswith(".") and all(map(_plain, raw)) and len(_utf8(raw)) <= MAX_BYTES:
        return raw
    escaped = "".join(c if _plain(c) else "".join(f"%{b:02X}" for b in _utf8(c)) for c in raw) or "%"
    if escaped.startswith("."):
        escaped = "%2E" + escaped[1:]
    if len(_utf8(escaped)) > MAX_BYTES:
        head = _utf8(escaped)[:MAX_BYTES - HASH_CHARS - 2].decode("utf-8", "ignore")
        escaped = f"{head}%-{hashlib.sha256(_utf8(raw)).hexdigest()[:HASH_CHARS]}"
    return escaped


def inside(root: Path, path: Path) -> bool:
    """True if `path` (following any links) is `root` or lies under it."""
    return path.resolve().is_relative_to(root.resolve())


def _plain(c: str) -> bool:
    return c != "%" and c not in _SEPARATORS and unicodedata.category(c) not in _UNSAFE_CATEGORIES


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
