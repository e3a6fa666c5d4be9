"""Grammars for the recipe's values, checked where they enter (load, ``init``, the TUI).

Every value that reaches the Dockerfile has a grammar here, so recipe text can never become
an instruction: an image reference for ``base``, PEP 508 names and PEP 440 versions for
packages, the apk / apt package-name grammars, http(s) URLs and the AzCopy URL template.
Each check returns None or the one-line reason the value is wrong.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from workbench.core.errors import WorkbenchError

# The distribution reference grammar (distribution/reference/regexp.go), ASCII only.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = (
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])"
    r"(?::[0-9]+)?"
)
_IMAGE_REF = re.compile(
    rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?",
    re.ASCII,
)
_PEP508_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)
_APT_PACKAGE = re.compile(
    r"[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?(?:=[A-Za-z0-9.+~:-]+)?(?:/[a-z0-9.-]+)?", re.ASCII
)
_APK_PACKAGE = re.compile(r"[a-z0-9][a-z0-9._+-]*(?:(?:[<>]?=|[<>~])[A-Za-z0-9._+-]+)?", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*", re.ASCII)
_AZCOPY_FIELDS = ("version", "arch")


def image_reference(value: str) -> str | None:
    """An image reference (``[registry/]name[:tag][@digest]``), at most 255 characters."""
    if len(value) > 255 or not _IMAGE_REF.fullmatch(value):
        return (
            f"{_shown(value)} is not an image reference (name[:tag][@sha256:...], lower-case, "
            "no spaces)"
        )
    return None


def distribution_name(value: str) -> str | None:
    """A PEP 508 distribution name."""
    if not _PEP508_NAME.fullmatch(value):
        return f"{_shown(value)} is not a package name (PEP 508: letters, digits, . _ -)"
    return None


def version(value: str, *, compatible: bool = False) -> str | None:
    """A PEP 440 version; ``compatible`` (``~=``) also needs two release numbers."""
    try:
        parsed = Version(value)
    except InvalidVersion:
        parsed = None
    if parsed is None or value != value.strip() or any(c.isspace() for c in value):
        return f"{_shown(value)} is not a version (PEP 440, e.g. 2.91.0)"
    if compatible and len(parsed.release) < 2:
        return f"{_shown(value)}: a compatible pin (~=) needs two release numbers, e.g. 2.91"
    return None


def os_package(value: str, family: str) -> str | None:
    """An ``apk`` or ``apt`` package name (with an optional version constraint)."""
    grammar = _APK_PACKAGE if family == "apk" else _APT_PACKAGE
    if not grammar.fullmatch(value):
        return f"{_shown(value)} is not an {family} package name"
    return None


def token(value: str, what: str) -> str | None:
    """A plain token (letters, digits, ``. _ + -``): versions of tools, hashes."""
    if not _TOKEN.fullmatch(value):
        return f"{_shown(value)} is not a valid {what} (letters, digits, . _ + -)"
    return None


def http_url(value: str) -> str | None:
    """An absolute http(s) URL without spaces or control characters."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        return f"{_shown(value)} is not an http(s) URL"
    return None


def url_template(value: str) -> str | None:
    """An http(s) URL that may use ``{version}`` and ``{arch}`` and no other field."""
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(value)]
    except ValueError as exc:
        return f"{_shown(value)}: bad template ({exc}); use {{version}} and {{arch}} only"
    for name, spec, conv in fields:
        if name is not None and (name not in _AZCOPY_FIELDS or spec or conv):
            return f"{_shown(value)}: unknown field {{{name}}}; use {{version}} and {{arch}} only"
    return http_url(expand_template(value, version="1.0", arch="amd64"))


def expand_template(url: str, **values: str) -> str:
    """``url`` with its ``{field}``s filled in; WorkbenchError for a template that is not one."""
    try:
        return url.format_map(values)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        raise WorkbenchError(
            f"azcopy.url: {url_template(url) or _shown(url)}; use {{version}} and {{arch}} only"
        ) from None


def libc_version(value: str) -> str | None:
    """``MAJOR.MINOR`` (e.g. ``2.36``)."""
    if not re.fullmatch(r"[0-9]{1,3}\.[0-9]{1,3}", value, re.ASCII):
        return f"{_shown(value)} is not a libc version (MAJOR.MINOR, e.g. 2.36)"
    return None


def python_version(value: str) -> str | None:
    """``3.MINOR`` (e.g. ``3.12``)."""
    if not re.fullmatch(r"3\.[0-9]{1,2}", value, re.ASCII):
        return f"{_shown(value)} is not a Python version (3.MINOR, e.g. 3.12)"
    return None


def _shown(value: str) -> str:
    """The value quoted on one line, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
