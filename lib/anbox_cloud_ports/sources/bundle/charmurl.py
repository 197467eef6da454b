"""A bundle's `charm:` as Juju's bundle check reads it: a path, or a charm URL `ParseURL` accepts.

juju/charm v12 `url.go` (`ParseURL`, `parseCharmhubURL`, `parseLocalURL`, `extractRevision`, the name
and series patterns), over Go's `net/url.Parse`, whose splitting this module follows for the forms a
bundle can hold (docs/juju-facts.md#bundles). Juju 3 and 4 read `ch:` (the default for a bare name)
and `local:` only: a charm store URL (`cs:~user/name-42`) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...text import quote

# juju/charm url.go
_VALID_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*")
_VALID_SERIES = re.compile(r"[a-z]+([a-z0-9]+)?")
# juju/utils/v3 arch AllSupportedArches
_ARCHES = frozenset({"amd64", "i386", "armhf", "arm64", "ppc64el", "s390x", "riscv64"})
# net/url getScheme: a letter, then letters, digits, '+', '-', '.'
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class CharmURL:
    schema: str
    name: str
    revision: int = -1
    series: str = ""
    architecture: str = ""

    def __str__(self) -> str:
        """URL.String(): schema, then architecture, series and name[-revision] joined by '/'."""
        parts = [p for p in (self.architecture, self.series) if p]
        parts.append(f"{self.name}-{self.revision}" if self.revision >= 0 else self.name)
        return f"{self.schema}:{'/'.join(parts)}"


def is_path(text: str) -> bool:
    """A local charm directory or file: Juju checks that it exists instead of parsing it."""
    return text.startswith((".", "/"))


def parse_charm_url(text: str) -> CharmURL | str:
    """`ParseURL(text)`, or the error it returns, in Juju's words (for `invalid charm URL in application %q: %v`)."""
    split = _go_url(text)
    if isinstance(split, str):
        return split
    scheme, opaque, path = split
    if scheme == "ch":
        return _charmhub(opaque or path, text)
    if opaque:
        return _local(scheme, opaque, text)
    return _charmhub(path, text)


def _go_url(text: str) -> tuple[str, str, str] | str:
    """net/url.Parse as far as ParseURL looks: (scheme, opaque, path), or ParseURL's error."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text) or text.startswith(":"):
        return f"cannot parse charm or bundle URL: {quote(text)}"
    rest, _, fragment = text.partition("#")
    match = _SCHEME.match(rest)
    scheme = match[1].lower() if match else ""
    if match:
        rest = rest[match.end() :]
    rest, question, query = rest.partition("?")
    if fragment or (question and query):
        return f"charm or bundle URL {quote(text)} has unrecognized parts"
    if not rest.startswith("/"):
        if scheme:
            return scheme, rest, ""
        if ":" in rest.split("/", 1)[0]:
            return f"cannot parse charm or bundle URL: {quote(text)}"  # "first path segment ... colon"
    elif rest.startswith("//") and (scheme or not rest.startswith("///")):
        authority, slash, rest = rest[2:].partition("/")
        if "@" in authority:
            return f"charm or bundle URL {quote(text)} has unrecognized parts"
        rest = slash + rest
    if _BAD_ESCAPE.search(rest):
        return f"cannot parse charm or bundle URL: {quote(text)}"
    return scheme, "", _ESCAPE.sub(lambda m: chr(int(m[1], 16)), rest)


def _extract_revision(name: str) -> tuple[str, int]:
    """`name-42` -> (`name`, 42); no numeric suffix -> (name, -1)."""
    match = re.fullmatch(r"(.+)-([0-9]+)", name)
    return (match[1], int(match[2])) if match else (name, -1)


def _charmhub(path: str, text: str) -> CharmURL | str:
    parts = path.strip("/").split("/")
    if len(parts) > 3:
        return f"charm or bundle URL {quote(text)} malformed"
    if parts[0].startswith("~"):
        return f"charmhub charm or bundle URL with user name: {quote(text)} not valid"
    architecture = series = ""
    if len(parts) == 3:
        architecture, series = parts[0], parts[1]
        if architecture not in _ARCHES or not _VALID_SERIES.fullmatch(architecture):
            return f"in URL {quote(text)}: architecture name {quote(architecture)} not valid"
    elif len(parts) == 2:
        if parts[0] in _ARCHES and _VALID_SERIES.fullmatch(parts[0]):
            architecture = parts[0]
        else:
            series = parts[0]
    name, revision = _extract_revision(parts[-1])
    if not _VALID_NAME.fullmatch(name):
        return f"cannot parse name and/or revision in URL {quote(text)}: name {quote(name)} not valid"
    if series and not _VALID_SERIES.fullmatch(series):
        return f"in URL {quote(text)}: series name {quote(series)} not valid"
    return CharmURL("ch", name, revision, series, architecture)


def _local(scheme: str, path: str, text: str) -> CharmURL | str:
    if scheme != "local":
        return f"cannot parse URL {quote(text)}: schema {quote(scheme)} not valid"
    parts = path.split("/")
    if len(parts) > 4:
        return f"charm or bundle URL has invalid form: {quote(text)}"
    if parts[0].startswith("~"):
        return f"local charm or bundle URL with user name: {quote(text)}"
    if len(parts) > 2:
        return f"charm or bundle URL has invalid form: {quote(text)}"
    series = parts[0] if len(parts) == 2 else ""
    if series and not _VALID_SERIES.fullmatch(series):
        return f"cannot parse URL {quote(text)}: series name {quote(series)} not valid"
    name, revision = _extract_revision(parts[-1])
    if not _VALID_NAME.fullmatch(name):
        return f"cannot parse URL {quote(text)}: name {quote(name)} not valid"
    return CharmURL("local", name, revision, series)
