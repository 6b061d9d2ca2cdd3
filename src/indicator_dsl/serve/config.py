"""What `ind serve` and `create_app` are told: the model's path, limits, tokens, the decision log.

`ServeConfig` is plain data, so `ind serve --workers N` can hand it to every worker process
through one environment variable (`to_environment` / `from_environment`): uvicorn starts its
workers from an import string, not from an object.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENVIRONMENT = "INDICATOR_DSL_SERVE"
"""The environment variable that carries a `ServeConfig` (as JSON) to uvicorn's worker processes."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one request. A request over one is answered 413 (body, records) or 503 (time)."""

    body_bytes: int = 16 * 1024 * 1024
    batch_records: int = 10_000
    seconds: float = 30.0
    scoring_threads: int = 2  # records scored at once; more wait (the GIL runs one anyway)


@dataclass(frozen=True, slots=True)
class DecisionLogConfig:
    """Where decisions go: one JSON line each, the file rotated at `max_bytes` (`PATH.1` … `PATH.keep`).
    Records themselves are written only with `records=True`; ids and digests always."""

    path: str
    max_bytes: int = 64 * 1024 * 1024
    keep: int = 5
    records: bool = False


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Everything a served app needs besides the model: `source` is what `api.load` reads
    (a ruleset, a catalog or a bundle), `root` the project folder imports may not leave."""

    source: str
    root: str | None = None
    limits: Limits = field(default_factory=Limits)
    tokens: dict[str, str] = field(default_factory=dict)  # caller name -> bearer token; empty: no auth
    decisions: DecisionLogConfig | None = None
    watch_seconds: float | None = None  # poll the files for changes this often; None: reload on request only
    reload_stamp: str | None = None  # with several workers: the file through which one reload reaches all

    def caller_of(self, authorization: str | None) -> str | None:
        """The caller's name for an `Authorization: Bearer TOKEN` header, or None when the
        token is missing or unknown. Every token is compared in constant time."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        given = authorization[len("Bearer ") :].strip().encode("utf-8")
        found = None
        for name, token in self.tokens.items():
            if hmac.compare_digest(given, token.encode("utf-8")):
                found = name
        return found

    def to_environment(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> ServeConfig:
        data = json.loads(os.environ[ENVIRONMENT])
        data["limits"] = Limits(**data["limits"])
        if data["decisions"] is not None:
            data["decisions"] = DecisionLogConfig(**data["decisions"])
        return cls(**data)


def read_tokens(path: Path) -> dict[str, str]:
    """Bearer tokens from a file: one per line, `NAME:TOKEN` (the caller's name in decision
    logs) or a bare `TOKEN` (named `token-N` by its line). Blank lines and `#` comments are
    skipped. Raises ValueError for a file without tokens or with a name used twice."""
    tokens: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, token = text.partition(":") if ":" in text else (f"token-{number}", "", text)
        name, token = name.strip(), token.strip()
        if not token or not name:
            raise ValueError(f"{path}:{number}: expected NAME:TOKEN or TOKEN")
        if name in tokens:
            raise ValueError(f"{path}:{number}: the name {name!r} is used twice")
        tokens[name] = token
    if not tokens:
        raise ValueError(f"{path}: no tokens in the file")
    return tokens
