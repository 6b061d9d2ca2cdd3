"""The model being served, and how a new one replaces it.

A request takes `holder.current` once, when it starts, and scores everything with that
snapshot: a reload swaps the reference (one assignment, atomic), so requests in flight
finish on the ruleset they started with and later ones see the new one. A ruleset that
does not check (or a file that has gone) is refused: the old one keeps serving, and the
refusal carries the diagnostics, as `ind check` prints them and as JSON.

Files are watched by polling (no extra dependency): each file the model was built from,
and the source itself (a bundle), is remembered by modification time and size, and when
these move, by the sha256 of its bytes; a changed digest triggers a reload. A refused
reload is not tried again until the files change again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import api
from ..check.renderers import render_json, render_text
from ..syntax.diagnostics import RulesetError

Fingerprint = dict[str, tuple[int, int, str]]  # path -> (mtime_ns, size, sha256 of the bytes)


@dataclass(frozen=True, slots=True)
class Loaded:
    """One loaded model and what it was loaded from; never changed once made."""

    model: api.Ruleset | api.Catalog
    generation: int
    loaded_at: float
    files: Fingerprint

    @property
    def sha256(self) -> str:
        return self.model.sha256


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a reload was refused: the diagnostics (JSON objects and text), or a message."""

    message: str
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""


def _digest(path: Path) -> tuple[int, int, str] | None:
    try:
        stat = path.stat()
        return stat.st_mtime_ns, stat.st_size, hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def fingerprint(paths: Iterable[Path]) -> Fingerprint:
    """The fingerprints of those of `paths` that can be read."""
    found: Fingerprint = {}
    for path in sorted(set(paths)):
        digest = _digest(path)
        if digest is not None:
            found[str(path)] = digest
    return found


def watched(source: Path, model: api.Ruleset | api.Catalog) -> list[Path]:
    """The files worth watching: the source and every file the model was read from."""
    return [source, *(Path(key) for key, _, _ in model.origin.files)]


def changed(files: Fingerprint) -> bool:
    """Whether any file differs from its fingerprint (gone, or other bytes; a new time alone is not a change)."""
    for name, (mtime, size, sha) in files.items():
        path = Path(name)
        try:
            stat = path.stat()
        except OSError:
            return True
        if (stat.st_mtime_ns, stat.st_size) != (mtime, size):
            digest = _digest(path)
            if digest is None or digest[2] != sha:
                return True
    return False


class ModelHolder:
    """The served model, swapped whole on reload. `reload()` is safe from any thread."""

    def __init__(
        self,
        source: str,
        root: str | None = None,
        stamp: str | None = None,
        model: api.Ruleset | api.Catalog | None = None,
    ) -> None:
        """Load `source` (or take `model`, already loaded from it). Raises what `api.load` raises."""
        self.source = Path(source)
        self.root = Path(root) if root is not None else None
        self.stamp = Path(stamp) if stamp is not None else None
        self._lock = threading.Lock()
        self._refused: Fingerprint | None = None  # the files of the last refused reload
        self.last_refusal: Refusal | None = None
        # read before loading: a reload another worker announces while this one loads is then seen
        self._stamp_seen = _digest(self.stamp) if self.stamp is not None else None
        if model is None:
            self.current = self._load(0)
        else:
            self.current = Loaded(model, 0, time.time(), fingerprint(watched(self.source, model)))

    def _load(self, generation: int, known: Iterable[Path] = ()) -> Loaded:
        """Load the source (raises RulesetError, FileNotFoundError or OSError). The files
        `known` from the last load are fingerprinted before it, so an edit made while it
        reads them is seen by the next poll, whichever text the load read."""
        before = fingerprint([self.source, *known])
        model = api.load(self.source, root=self.root)
        after = fingerprint(watched(self.source, model))
        return Loaded(model, generation, time.time(), {**after, **{k: v for k, v in before.items() if k in after}})

    def reload(self, *, announce: bool = True) -> Loaded | Refusal:
        """Load the source again and swap it in, or say why not (the old model stays).
        `announce` tells the other workers through the stamp file, if there is one."""
        with self._lock:
            before = self.current
            try:
                loaded = self._load(before.generation + 1, map(Path, before.files))
            except RulesetError as error:
                diagnostics = json.loads(render_json(error.diagnostics))
                text = render_text(error.diagnostics, error.sources)
                return self._refuse(
                    Refusal("the ruleset does not check; the previous one is still served", diagnostics, text)
                )
            except OSError as error:
                return self._refuse(Refusal(f"cannot read {self.source}: {error.strerror or error}"))
            self.current = loaded
            self._refused = None
            self.last_refusal = None
            if announce and self.stamp is not None:
                self.stamp.write_text(f"{loaded.sha256} {time.time()}\n", encoding="utf-8")
                self._stamp_seen = _digest(self.stamp)
            return loaded

    def _refuse(self, refusal: Refusal) -> Refusal:
        self.last_refusal = refusal
        self._refused = fingerprint(map(Path, self.current.files))
        return refusal

    def poll(self, files: bool = True) -> Loaded | Refusal | None:
        """Reload if another worker announced a reload, or (`files`) a watched file changed;
        None when nothing did, or when the files are still those of the last refused reload."""
        announced = False
        if self.stamp is not None:
            seen = _digest(self.stamp)
            announced = seen is not None and seen != self._stamp_seen
            self._stamp_seen = seen
        if not announced and (not files or not changed(self.current.files)):
            return None
        if not announced and self._refused is not None and not changed(self._refused):
            return None
        return self.reload(announce=False)


def describe(loaded: Loaded) -> dict[str, Any]:
    """What /v1/rulesets and the reload answer say about a loaded model."""
    model = loaded.model
    return {
        "name": model.name,
        "kind": "catalog" if isinstance(model, api.Catalog) else "ruleset",
        "sha256": model.sha256,
        "generation": loaded.generation,
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(loaded.loaded_at)),
        "rulesets": [
            {"name": e.plan.name, "version": e.plan.version, "sha256": e.plan.sha256} for e in model.engines.values()
        ],
    }
