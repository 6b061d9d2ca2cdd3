"""Bundles: a catalog (or ruleset) with every file it reads, packed into one `.tar.gz` with a
manifest, so that what graded a batch can be kept and proven later (docs/bundles.md).

A bundle holds `manifest.json` and the `.ind` files at their paths below the folder they
share. The manifest names the format, the engine (`indicator_dsl` and its version), the entry
file and the sha256 of every file; the bundle's digest is the sha256 of the manifest, so it
covers every byte of every file and the engine version. Building is deterministic: the same
files give the same archive, byte for byte.

Reading never touches the disk beyond the archive: members are read into memory and checked
before anything is parsed. A member that is not a regular file (a link, a device, a folder),
whose name is absolute or climbs out (`..`), or that is listed twice, makes the bundle unsafe
(E021); a file missing from the manifest, listed but absent, or whose sha256 differs makes it
tampered (E022); an archive that cannot be read or has no valid manifest is no bundle (E020).
The files are then served to the resolver from a cache that reads nothing else, under a
virtual root named after the digest, so an import can reach no file outside the bundle.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .check.loader import FileCache, LoadedFile, real_path
from .check.paths import check_paths
from .syntax.diagnostics import Diagnostic, RulesetError
from .syntax.source import Span

FORMAT = "ind-bundle/1"
MANIFEST = "manifest.json"
SUFFIXES = (".tar.gz", ".tgz")
MAX_BYTES = 64 * 1024 * 1024
"""The most a bundle may hold, compressed or not (a catalog's files are some hundred KB)."""
MAX_MEMBERS = 10_000


def is_bundle_path(source: str | Path) -> bool:
    return str(source).endswith(SUFFIXES)


class BundleError(RulesetError):
    """A bundle refused: E020 (no bundle), E021 (unsafe member) or E022 (tampered)."""

    def __init__(self, code: str, path: str, message: str, hint: str | None = None) -> None:
        self.code = code
        super().__init__([Diagnostic(code, message, Span(path, 1, 1, 1, 1), hint=hint)])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- building


@dataclass(frozen=True, slots=True)
class Built:
    """A bundle's bytes, its digest and its manifest."""

    data: bytes
    digest: str
    manifest: dict[str, Any]


def build_bundle(entry: Path, *, engine: str, root: Path | None = None) -> Built:
    """Check `entry` (a catalog or ruleset) with everything it reads, and pack it, naming the
    `engine` version that checked it; a file with errors raises RulesetError with every
    diagnostic, as `load()` does."""
    cache = FileCache()
    report = check_paths([entry], root=root, cache=cache)
    if report.errors or not report.modules:
        raise RulesetError(report.diagnostics, report.sources)
    texts = {key: loaded.source.text.encode("utf-8") for key, loaded in cache.files.items()}
    base = Path(os.path.commonpath([key.parent for key in texts]))
    files = {key.relative_to(base).as_posix(): data for key, data in sorted(texts.items())}
    entry_key = real_path(entry) or entry.absolute()
    manifest = {
        "format": FORMAT,
        "engine": {"name": "indicator_dsl", "version": engine},
        "entry": entry_key.relative_to(base).as_posix(),
        "files": {name: sha256(data) for name, data in sorted(files.items())},
    }
    manifest_bytes = _manifest_bytes(manifest)
    return Built(_pack({MANIFEST: manifest_bytes, **files}), sha256(manifest_bytes), manifest)


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _pack(members: dict[str, bytes]) -> bytes:
    """A gzip'd tar of `members`, the same bytes for the same members (no times, owners or modes
    of the machine that built it)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in [MANIFEST, *sorted(n for n in members if n != MANIFEST)]:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(members[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(members[name]))
    return gzip.compress(raw.getvalue(), mtime=0)


# ---------------------------------------------------------------- reading


class SealedCache(FileCache):
    """A file cache that reads no file: what is not in it cannot be read (E001)."""

    def load(self, path: Path, display: str | None = None) -> LoadedFile | None:
        key = real_path(path) or path.absolute()
        if key not in self.files and key not in self.failures:
            shown = display or str(path)
            self.failures[key] = [
                Diagnostic("E001", f"cannot read {shown}: not in the bundle", Span(shown, 1, 1, 1, 1))
            ]
        return super().load(path, display)


@dataclass(frozen=True, slots=True)
class Bundle:
    """A bundle read and verified: its digest, manifest and files (member path → bytes)."""

    path: str
    digest: str
    manifest: dict[str, Any]
    files: dict[str, bytes] = field(repr=False)

    @property
    def root(self) -> Path:
        """The virtual folder the files are served under (named after the digest; not on disk)."""
        return Path(os.sep) / f"ind-bundle-{self.digest[:16]}"

    @property
    def entry(self) -> Path:
        return self.root / str(self.manifest["entry"])

    def cache(self) -> SealedCache:
        cache = SealedCache()
        for name, data in self.files.items():
            key = self.root / name
            cache.add_text(key, str(key), data)
        return cache


def _member_name(name: str, path: str) -> str:
    pure = PurePosixPath(name)
    unsafe = (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in pure.parts[0]
        or any(part in ("", ".", "..") for part in name.split("/"))
    )
    if unsafe:
        raise BundleError("E021", path, f"member `{name}` is not a plain relative path", hint=_REBUILD)
    return name


_REBUILD = "rebuild the bundle with `ind build CATALOG --out FILE` from the checked files"


def _members(path: str, data: bytes) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for count, info in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise BundleError("E020", path, f"{path} has more than {MAX_MEMBERS} members")
                name = _member_name(info.name, path)
                if not info.isreg():
                    raise BundleError(
                        "E021", path, f"member `{name}` is not a regular file (a link or a device)", hint=_REBUILD
                    )
                if name in members:
                    raise BundleError("E021", path, f"member `{name}` appears twice", hint=_REBUILD)
                total += info.size
                if total > MAX_BYTES:
                    raise BundleError("E020", path, f"{path} unpacks to more than {MAX_BYTES // 2**20} MB")
                handle = tar.extractfile(info)
                assert handle is not None  # a regular file
                members[name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BundleError("E020", path, f"{path} is not a readable bundle (a .tar.gz): {error}") from None
    return members


def _manifest(path: str, members: dict[str, bytes]) -> dict[str, Any]:
    raw = members.get(MANIFEST)
    if raw is None:
        raise BundleError("E020", path, f"{path} has no {MANIFEST}", hint=_REBUILD)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BundleError("E020", path, f"{path}: {MANIFEST} is not JSON: {error}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    shape = (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
        and isinstance(manifest.get("entry"), str)
        and isinstance(manifest.get("engine"), dict)
    )
    if not shape:
        raise BundleError("E020", path, f"{path}: {MANIFEST} is not a {FORMAT} manifest", hint=_REBUILD)
    return dict(manifest)


def read_bundle(source: str | Path) -> Bundle:
    """Read and verify a bundle file; BundleError (a RulesetError) says why one is refused."""
    path = str(source)
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise BundleError("E020", path, f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise BundleError("E020", path, f"{path} is larger than {MAX_BYTES // 2**20} MB")
    members = _members(path, data)
    manifest = _manifest(path, members)
    listed: dict[str, str] = manifest["files"]
    files = {name: content for name, content in members.items() if name != MANIFEST}
    unlisted, absent = sorted(files.keys() - listed.keys()), sorted(listed.keys() - files.keys())
    if unlisted:
        raise BundleError("E022", path, f"`{unlisted[0]}` is in the bundle but not in its manifest", hint=_REBUILD)
    if absent:
        raise BundleError("E022", path, f"`{absent[0]}` is in the manifest but missing from the bundle", hint=_REBUILD)
    for name in sorted(files):
        if sha256(files[name]) != listed[name]:
            raise BundleError(
                "E022",
                path,
                f"`{name}` does not match its sha256 in the manifest: the bundle was changed",
                hint=_REBUILD,
            )
    if manifest["entry"] not in files:
        raise BundleError("E022", path, f"the entry `{manifest['entry']}` is not in the bundle", hint=_REBUILD)
    return Bundle(path, sha256(members[MANIFEST]), manifest, files)


__all__ = ["FORMAT", "Built", "Bundle", "BundleError", "SealedCache", "build_bundle", "is_bundle_path", "read_bundle"]
