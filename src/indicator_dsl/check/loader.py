"""Reading `.ind` files from disk into parsed modules, once each.

Every command reads ruleset files through `read_ruleset_bytes`: regular files only (a FIFO would
block, a device never ends) and at most `MAX_FILE_BYTES`, whatever the file claims to be.
Bad bytes (binary, invalid UTF-8) become diagnostics here, so no later stage sees them.
A BOM is dropped and CRLF line ends are read as LF, as editors on Windows write them.
The text is also scanned once for what a parse does not catch (see `scan_text`): number
literals too long for the language (E014) and invisible bidirectional controls (W504).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from ..syntax.parser import parse_source
from ..syntax.source import SourceFile, Span

# The largest shipped ruleset is 10 KB (about 2,500 tokens). These limits are a hundred times that
# or more, and they bound the work of every later stage: parsing costs some 25 microseconds a token,
# so a 2 MB `x+x+...` took 19 s and 1 GB, and a 10 MB unclosed text 1.6 GB, before any diagnostic.
MAX_FILE_BYTES = 1024 * 1024
MAX_TOKENS = 100_000
# Digits of one number literal (the default decimal precision, so every literal is held exactly).
MAX_LITERAL_DIGITS = 28
# Trojan Source (CVE-2021-42574): characters that reorder or break lines on screen but not for the parser.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
# At most this many lines get a W504 each; one more warning counts the rest.
MAX_BIDI_WARNINGS = 10
# Comments, texts, names and numbers, in the lexer's own shapes: names first, so `f0001` is no number;
# then any other character (operators, brackets), so that the matches count the file's tokens.
_TOKENS = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"?|[^\W\d]\w*|[0-9]+(?:\.[0-9]+)?|[^\s#"]')
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


@dataclass(slots=True)
class LoadedFile:
    source: SourceFile
    module: n.Module | None
    imports: tuple[n.Import, ...]
    # Found by `scan_text` in a file that parsed: reported once, with the resolver's diagnostics.
    notes: list[Diagnostic] = field(default_factory=list)


class UnreadableFile(Exception):
    """A ruleset path that is not a regular file, or cannot be opened."""


class FileTooLarge(UnreadableFile):
    """A ruleset file over MAX_FILE_BYTES (E003)."""


def read_ruleset_bytes(path: Path) -> bytes:
    """The bytes of a ruleset file, or UnreadableFile saying why not (FIFO, device, too large, ...)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise UnreadableFile(_reason(error)) from None
    except ValueError:  # a NUL byte in the name
        raise UnreadableFile("the name is not a valid path") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile("it is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            raise UnreadableFile("not a regular file")
        data = b""
        while len(data) <= MAX_FILE_BYTES and info.st_size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
        size = max(info.st_size, len(data))
        if size > MAX_FILE_BYTES:
            raise FileTooLarge(_too_large(size))
        return data
    except OSError as error:
        raise UnreadableFile(_reason(error)) from None
    finally:
        os.close(fd)


def _too_large(size: int) -> str:
    return f"it has {size:,} bytes; a ruleset file may have at most {MAX_FILE_BYTES // 1024:,} KB"


def _reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symbolic links form a loop"
    return error.strerror or str(error)


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


def scan_text(source: SourceFile) -> list[Diagnostic]:
    """What the text holds that the parser does not judge, in one pass: E003 alone when it has more
    than MAX_TOKENS tokens (then it is not parsed); E014 for a number literal with more than
    MAX_LITERAL_DIGITS digits; W504 for bidirectional controls and line separators in comments and
    texts (one per line, at the first of them, for at most MAX_BIDI_WARNINGS lines)."""
    found: list[Diagnostic] = []
    bidi_lines: list[Span] = []
    tokens = 0
    for match in _TOKENS.finditer(source.text):
        token = match.group()
        tokens += token[0] != "#"
        if tokens > MAX_TOKENS:
            return [
                Diagnostic(
                    "E003",
                    f"the file has more than {MAX_TOKENS:,} tokens (words, numbers, texts and signs)",
                    Span.at(source, match.start(), match.end()),
                    hint="split it into files that import each other, or shorten long expressions with `let`",
                )
            ]
        if token[0] in '#"':
            bidi = _BIDI.search(token)
            if bidi is not None and (not bidi_lines or bidi_lines[-1].line != source.line_col(match.start())[0]):
                offset = match.start() + bidi.start()
                bidi_lines.append(Span.at(source, offset, offset + 1))
                if len(bidi_lines) <= MAX_BIDI_WARNINGS:
                    found.append(_bidi_warning(bidi.group(), "comment" if token[0] == "#" else "text", bidi_lines[-1]))
        elif token[0].isdigit():
            digits = len(token) - token.count(".")
            if digits > MAX_LITERAL_DIGITS:
                found.append(
                    Diagnostic(
                        "E014",
                        f"this number has {digits:,} digits; a number may have at most {MAX_LITERAL_DIGITS}",
                        Span.at(source, match.start(), match.end()),
                        hint="write the value with fewer digits",
                    )
                )
    if len(bidi_lines) > MAX_BIDI_WARNINGS:
        more = len(bidi_lines) - MAX_BIDI_WARNINGS
        found.append(
            Diagnostic(
                "W504",
                f"{more:,} more lines hold invisible bidirectional control characters",
                bidi_lines[MAX_BIDI_WARNINGS],
                hint="search the file for U+202A-U+202E, U+2066-U+2069, U+2028 and U+2029",
            )
        )
    return found


def _bidi_warning(char: str, where: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "W504",
        f"invisible control character U+{ord(char):04X} ({unicodedata.name(char)}) in a {where}: "
        "it can make the code look different from what it does",
        span,
        hint="delete it; if the text needs right-to-left script, write it without direction controls",
    )


@dataclass(slots=True)
class FileCache:
    """Parses each path once; `display` keeps the path as the user wrote it where possible."""

    files: dict[Path, LoadedFile] = field(default_factory=dict)
    failures: dict[Path, list[Diagnostic]] = field(default_factory=dict)

    def load(self, path: Path, display: str | None = None) -> LoadedFile | None:
        key = real_path(path) or path.absolute()
        if key in self.files:
            return self.files[key]
        if key in self.failures:
            return None
        shown = display or str(path)
        try:
            data = read_ruleset_bytes(key)
        except FileTooLarge as error:
            self.failures[key] = [Diagnostic("E003", f"{shown} is too large: {error}", Span(shown, 1, 1, 1, 1))]
            return None
        except UnreadableFile as error:
            self.failures[key] = [Diagnostic("E001", f"cannot read {shown}: {error}", Span(shown, 1, 1, 1, 1))]
            return None
        return self.add_text(key, shown, data)

    def add_text(self, key: Path, shown: str, data: bytes) -> LoadedFile | None:
        if len(data) > MAX_FILE_BYTES:
            self.failures[key] = [
                Diagnostic("E003", f"{shown} is too large: {_too_large(len(data))}", Span(shown, 1, 1, 1, 1))
            ]
            return None
        source, problem = decode(shown, data)
        if source is None:
            assert problem is not None
            self.failures[key] = [problem]
            return None
        notes = scan_text(source)
        if any(d.code == "E003" for d in notes):
            self.failures[key] = notes
            self.files[key] = LoadedFile(source, None, ())
            return self.files[key]
        parsed = parse_source(source)
        if parsed.diagnostics:
            self.failures[key] = [*parsed.diagnostics, *notes]
            self.files[key] = LoadedFile(source, None, ())
            return self.files[key]
        loaded = LoadedFile(source, parsed.module, parsed.imports, notes)
        self.files[key] = loaded
        return loaded

    def sources(self) -> dict[str, SourceFile]:
        return {f.source.path: f.source for f in self.files.values()}


def real_path(path: Path) -> Path | None:
    """The absolute path with every link followed, or None when links form a loop (or the name
    cannot be a path at all: a NUL byte)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None
