"""The pull state of a cases folder (``.cardgen-pull/state.json``): the de-identification secret and
the cases pulled so far, with digests of the annotation objects looked at (never a UID itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import InputError

STATE_DIR = ".cardgen-pull"
STATE_FILE = "state.json"
STATE_FORMAT = 1


@dataclass
class PullState:
    """The cases folder's pull state: the de-identification secret and the cases pulled so far."""

    path: Path
    secret: str
    pulled: set[str]
    seen: dict[str, set[str]] = field(default_factory=dict)  # case -> digests of annotation objects looked at

    @classmethod
    def load(cls, cases_dir: Path) -> PullState:
        path = cases_dir / STATE_DIR / STATE_FILE
        if not path.exists():
            return cls(path, secrets.token_hex(32), set())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, str(data["secret"]), set(data.get("pulled", [])),
                       {case: set(digests) for case, digests in data.get("seen", {}).items()})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"cannot read the pull state ({error})", file=path,
                             hint="restore it from a backup: it holds the seed of every pseudonym; without "
                                  "it the same patients would get new pseudonyms") from None

    def digest(self, uid: str) -> str:
        """A UID as the state may keep it: an HMAC under the secret, never the UID itself."""
        return hmac.new(self.secret.encode(), uid.encode(), hashlib.sha256).hexdigest()[:20]

    def case_id(self, kos_uid: str) -> str:
        return f"pacs-{self.digest(kos_uid)[:10]}"

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": STATE_FORMAT, "secret": self.secret, "pulled": sorted(self.pulled),
                           "seen": {case: sorted(digests) for case, digests in sorted(self.seen.items())}},
                          indent=1) + "\n"
        if self.path.exists() and self.path.read_text(encoding="utf-8") == text:
            return
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, self.path)
