"""Stable pseudonyms for submission names, so a report can be shared without student ids.

A pseudonym is an HMAC of the name under a key, not a counter over sorted names: a
counter would leak alphabetical order ("student-001" is probably Aaron) and would shift
every pseudonym when one student is added. With a per-report random key (the default)
pseudonyms are stable within one report and unlinkable across reports; with a key the
course keeps (``--anonymise-key`` / ``CODEGUARD_ANONYMISE_KEY``) the same student gets the
same pseudonym in every report, and whoever holds the key can re-identify a pair by
recomputing pseudonyms for the class list.

Only names and paths are replaced. Text inside submitted files (a name in a comment) is
evidence and is left as it is; the report says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping

from ml.languages import language_for_path

#: Environment variable holding a course-wide key for cross-report stable pseudonyms.
KEY_ENV = "CODEGUARD_ANONYMISE_KEY"

_MIN_HEX = 6


class Pseudonymiser:
    """Maps each known submission name (and paths under it) to a pseudonym.

    Collisions among the given names are resolved by lengthening the hash for the
    colliding names only, so the mapping stays injective and, for a fixed key and a
    fixed name, almost always the same short string.
    """

    def __init__(self, names: Iterable[str], key: bytes | str | None = None, prefix: str = "student") -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        self._key = key if key else secrets.token_bytes(32)
        self._prefix = prefix
        self._map = self._assign(sorted(set(names)))

    @classmethod
    def from_env(cls, names: Iterable[str], key: bytes | str | None = None) -> Pseudonymiser:
        """Use `key` if given, else the course key from the environment, else a random one."""
        return cls(names, key if key else os.environ.get(KEY_ENV) or None)

    def _digest(self, name: str) -> str:
        return hmac.new(self._key, name.encode("utf-8"), hashlib.sha256).hexdigest()

    def _assign(self, names: list[str]) -> dict[str, str]:
        digests = {name: self._digest(name) for name in names}
        length = dict.fromkeys(names, _MIN_HEX)
        while True:
            seen: dict[str, list[str]] = {}
            for name in names:
                seen.setdefault(digests[name][: length[name]], []).append(name)
            clashes = [group for group in seen.values() if len(group) > 1]
            if not clashes:
                break
            for group in clashes:
                for name in group:
                    length[name] += 2
        return {name: self._format(name, digests[name][: length[name]]) for name in names}

    def _format(self, name: str, tag: str) -> str:
        # A single-file submission ("alice.py") keeps its extension so the reader still
        # sees the language; any other suffix ("j.smith") could be part of the name.
        root, ext = os.path.splitext(name)
        keep = ext if ext and root and language_for_path(name) else ""
        return f"{self._prefix}-{tag}{keep}"

    @property
    def mapping(self) -> Mapping[str, str]:
        """Real name -> pseudonym; for the key holder, never written into the report."""
        return dict(self._map)

    def name(self, name: str) -> str:
        """The pseudonym of a known name; an unknown name is hashed too, never passed through."""
        if name in self._map:
            return self._map[name]
        return self._format(name, self._digest(name)[: _MIN_HEX + 4])

    def path(self, path: str) -> str:
        """Replace a leading submission-name component of a path ("alice/src/a.py").

        Paths are matched on whole components only, so "al" never rewrites "alice/...".
        """
        norm = path.replace("\\", "/")
        if norm in self._map:
            return self._map[norm]
        # Longest known prefix first: a submission "team/a" wins over "team".
        parts = norm.split("/")
        for cut in range(len(parts) - 1, 0, -1):
            head = "/".join(parts[:cut])
            if head in self._map:
                return "/".join([self._map[head], *parts[cut:]])
        return path
