"""Reading `.ind` files from disk into parsed modules, once each.

Bad bytes (binary, invalid UTF-8) become diagnostics here, so no later stage sees them.
A BOM is dropped and CRLF line ends are read as LF, as editors on Windows write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from ..syntax.parser import parse_source
from ..syntax.source import SourceFile, Span

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(slots=True)
class LoadedFile:
    source: SourceFile
    module: n.Module | None
    imports: tuple[n.Import, ...]


def decode(path: str, data: bytes) -> tuple[SourceFile | None, Diagnostic | None]:
    here = Span(path, 1, 1, 1, 1)
    if b"\x00" in data:
        return None, Diagnostic("E002", "this is a binary file, not an .ind text", here)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, Diagnostic(
            "E002",
            f"the file is not valid UTF-8 (bad byte at offset {error.start})",
            here,
            hint="save the file as UTF-8",
        )
    return SourceFile(path, text.replace("\r\n", "\n").replace("\r", "\n")), None


@dataclass(slots=True)
class FileCache:
    """Parses each path once; `display` keeps the path as the user wrote it where possible."""

    files: dict[Path, LoadedFile] = field(default_factory=dict)
    failures: dict[Path, list[Diagnostic]] = field(default_factory=dict)

    def load(self, path: Path, display: str | None = None) -> LoadedFile | None:
        key = path.resolve()
        if key in self.files:
            return self.files[key]
        if key in self.failures:
            return None
        shown = display or str(path)
        try:
            if not key.is_file():  # a FIFO or device would block or never end
                raise OSError("not a regular file")
            size = key.stat().st_size
            if size > MAX_FILE_BYTES:
                raise OSError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            data = key.read_bytes()
        except OSError as error:
            self.failures[key] = [
                Diagnostic("E001", f"cannot read {shown}: {error.strerror or error}", Span(shown, 1, 1, 1, 1))
            ]
            return None
        return self.add_text(key, shown, data)

    def add_text(self, key: Path, shown: str, data: bytes) -> LoadedFile | None:
        source, problem = decode(shown, data)
        if source is None:
            assert problem is not None
            self.failures[key] = [problem]
            return None
        parsed = parse_source(source)
        if parsed.diagnostics:
            self.failures[key] = parsed.diagnostics
            self.files[key] = LoadedFile(source, None, ())
            return self.files[key]
        loaded = LoadedFile(source, parsed.module, parsed.imports)
        self.files[key] = loaded
        return loaded

    def sources(self) -> dict[str, SourceFile]:
        return {f.source.path: f.source for f in self.files.values()}
