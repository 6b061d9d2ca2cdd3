"""Reading records from JSON, JSON lines, YAML and CSV, exactly and without losing any.

Numbers are read as Decimal (JSON floats never pass through binary floats). A line or
row that cannot be read becomes an `InputError` in its place, so the batch keeps its
order and the bad line is reported with the others' results: a JSON line that is not
UTF-8, or nested deeper than the JSON reader goes (a list 100,000 deep; in a JSON array
document, that item alone), or a CSV row with a cell over `CSV_CELL_LIMIT` characters.
A whole file that cannot be read (a JSON or YAML document that does not parse) raises
ValueError naming the file and line.

YAML is read by `load_yaml`, a safe loader with two bounds: nesting (`YAML_DEPTH`
levels) and alias expansion (`YAML_ALIAS_VALUES` values reached through aliases in one
file), so a few hundred bytes of nested aliases ("billion laughs") are refused at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import yaml

FORMATS = ("json", "jsonl", "yaml", "csv")
YAML_DEPTH = 100
YAML_ALIAS_VALUES = 100_000
CSV_CELL_LIMIT = 131_072  # the csv module's own default field limit


@dataclass(frozen=True, slots=True)
class InputError:
    """A record that could not be read at all; `where` says which line or row (or sheet and
    cell), `id` is the record's id when it could be read (a workbook row's)."""

    where: str
    message: str
    id: str | None = None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


class TooDeep(ValueError):
    """JSON nested deeper than the reader's recursion goes (about 1,000 levels)."""


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a `\uD800`..`\uDFFF` escape in JSON text
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: str) -> Any:
    """JSON with exact numbers; ValueError for anything that is not JSON (a lone surrogate
    escape such as `"\\ud800"` included: it is no character, and no output could encode it),
    TooDeep for a structure nested deeper than the reader's recursion."""
    try:
        return _characters_checked(text, _DECODER.decode(text))
    except RecursionError:
        raise TooDeep("nested too deeply (more than about 1,000 levels)") from None


def decode_at(text: str, at: int) -> tuple[Any, int]:
    """The JSON value that starts at index `at` of `text` and the index after it, read as
    `loads` reads; ValueError (or RecursionError) as `json.JSONDecoder.raw_decode` raises."""
    value, end = _DECODER.raw_decode(text, at)
    return _characters_checked(text[at:end], value), end


def _characters_checked(text: str, value: Any) -> Any:
    """`value`, refused (ValueError) if a string in it holds a lone surrogate; only text with a
    surrogate escape is walked."""
    if _SURROGATE_ESCAPE.search(text) is None:
        return value
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                raise ValueError(f"\\u{ord(found.group()):04x} is a lone surrogate, not a character")
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
    return value


# A JSON string (escapes included) or one structural character, for `_json_items`.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)


def _json_items(text: str) -> Iterator[Any]:
    """The records of a JSON array too deep to parse whole, each parsed alone: items are
    found by bracket depth (strings skipped), so only a too-deep item is an error."""
    start = text.index("[") + 1
    depth, line, counted = 0, 1, 0
    for match in _JSON_TOKENS.finditer(text, start):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}" and depth > 0:
            depth -= 1
        elif token in ",]" and depth == 0:
            item = text[start : match.start()]
            first = start + len(item) - len(item.lstrip())
            line += text.count("\n", counted, first)
            counted = first
            if item.strip() or token == ",":
                yield parse_line(item, line)
            if token == "]":
                return
            start = match.end()


@dataclass(frozen=True, slots=True)
class JsonLine:
    """A record's JSON line, not read yet (UTF-8 bytes, numbered in its file): the engine
    reads it with its record schema in one step where it can (`Engine.prepare`), and with
    `read` otherwise."""

    raw: bytes
    number: int

    def read(self) -> Any:
        """The line as `parse_line` reads it: a record, or the InputError in its place."""
        return parse_line(decode_line(self.raw, self.number), self.number)


def parse_line(line: str | InputError, number: int) -> Any:
    """One JSON line as a record, or the InputError that stands in its place."""
    if isinstance(line, InputError):
        return line
    try:
        return loads(line)
    except ValueError as error:
        return InputError(f"line {number}", f"not JSON: {error}")


def numbered_lines(paths: Iterable[Path]) -> Iterator[tuple[int, str | InputError]]:
    """The non-blank lines of JSON-lines files, numbered across the files. A line that is
    not UTF-8 is an InputError (never a silent U+FFFD); the others are still read."""
    for number, raw, _, _ in raw_lines(paths):
        yield number, decode_line(raw, number)


def decoded_lines(lines: Iterable[bytes], numbers: Iterator[int]) -> Iterator[tuple[int, str | InputError]]:
    """The non-blank lines of one JSON-lines text (a file, a request body), each numbered by
    the next of `numbers` (blank lines too take a number); a byte-order mark before the first
    is dropped, and a line that is not UTF-8 is an InputError in its place."""
    for number, raw, _ in _content_lines(lines, numbers):
        yield number, decode_line(raw, number)


def raw_lines(paths: Iterable[Path]) -> Iterator[tuple[int, bytes, int, int]]:
    """The non-blank lines of JSON-lines files as bytes, undecoded (a worker process decodes
    them): (number across the files, the line, which file, its byte offset in that file). A
    byte-order mark opening a file is left out of its first line."""
    numbers = itertools.count(1)
    for which, path in enumerate(paths):
        with path.open("rb") as handle:
            for number, raw, at in _content_lines(handle, numbers):
                yield number, raw, which, at


def _content_lines(lines: Iterable[bytes], numbers: Iterator[int]) -> Iterator[tuple[int, bytes, int]]:
    """(number, line, byte offset) of the non-blank lines of one text, the byte-order mark
    opening it left out of its first line."""
    offset = 0
    for first, raw in enumerate(lines):
        at, offset = offset, offset + len(raw)
        number = next(numbers)
        if first == 0 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if not is_blank(raw):
            yield number, raw, at


def is_blank(raw: bytes) -> bool:
    """A line of white space only, as `str.strip` sees it once decoded (a line that is not
    UTF-8 is never blank: it is reported)."""
    stripped = raw.strip()
    if not stripped:
        return True
    if stripped[0] < 0x80:
        return False
    try:
        return not raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


def decode_line(raw: bytes, number: int) -> str | InputError:
    """A JSON line's text, or the InputError of a line that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return InputError(f"line {number}", f"not UTF-8 (byte {error.start + 1} of the line)")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"yml": "yaml", "ndjson": "jsonl"}.get(suffix, suffix)


def read_records(path: Path, fmt: str | None = None) -> Iterator[Any]:
    """Yield records (dicts) or InputErrors, in file order. Raises OSError/ValueError for
    a file that cannot be read as a whole."""
    kind = fmt or detect_format(path)
    if kind == "jsonl":
        for number, line in numbered_lines([path]):
            yield parse_line(line, number)
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 (byte {error.start + 1})") from None
    if kind == "json":
        try:
            data = loads(text)
        except TooDeep:
            if not text.lstrip().startswith("["):
                raise ValueError(f"{path}: not valid JSON: nested too deeply") from None
            yield from _json_items(text)
            return
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
        yield from _many(data)
    elif kind == "yaml":
        yield from _many(load_yaml(text, str(path)))
    elif kind == "csv":
        yield from _csv(text)
    else:
        raise ValueError(f"{path}: unknown record format '{kind}' (use {', '.join(FORMATS)})")


def _many(data: Any) -> Iterator[Any]:
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        yield from data["records"]
    elif isinstance(data, list):
        yield from data
    else:
        yield data


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing documents nested deeper than `YAML_DEPTH` (the
    composer recurses per level) and aliases that reach more than `YAML_ALIAS_VALUES`
    values in all (each use of an alias counts every value under its anchor)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name
        self.depth = 0
        self.expanded = 0
        self.sizes: dict[int, int] = {}
        self.open: list[str | None] = []  # anchors of the nodes being composed, outermost first

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open:
                _refuse("an alias refers to the node that contains it", event.start_mark)
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                self.expanded += self.size(anchored)
                if self.expanded > YAML_ALIAS_VALUES:
                    _refuse(f"aliases expand to more than {YAML_ALIAS_VALUES:,} values", event.start_mark)
            return super().compose_node(parent, index)
        if self.depth >= YAML_DEPTH:  # before the composer's recursion (and the scanner's quadratic flow levels)
            _refuse(f"nested more than {YAML_DEPTH} levels deep", event.start_mark)
        self.depth += 1
        self.open.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open.pop()

    def size(self, node: yaml.Node) -> int:
        """Values under a node, aliases counted in full (memoized per node; no cycles, as
        an alias to an enclosing node is refused)."""
        known = self.sizes.get(id(node))
        if known is None:
            known = 1
            if isinstance(node, yaml.SequenceNode):
                known += sum(self.size(child) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                known += sum(self.size(key) + self.size(value) for key, value in node.value)
            self.sizes[id(node)] = known
        return known


def _refuse(problem: str, mark: Any) -> NoReturn:
    raise yaml.composer.ComposerError(None, None, problem, mark)


def load_yaml(text: str, name: str) -> Any:
    """A YAML document read safely and within bounds; ValueError names the file and line."""
    return load_yaml_nodes(text, name)[0]


def load_yaml_nodes(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    """`load_yaml`, also returning the composed node tree, whose marks give each value's line."""
    loader = _BoundedLoader(text, name)
    try:
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), node
    except yaml.YAMLError as error:
        raise ValueError(f"{name}: not valid YAML: {error}") from None
    except ValueError as error:  # a constructor's: an integer over Python's digit limit, a date out of range
        raise ValueError(f"{name}: not valid YAML: {error}") from None
    finally:
        loader.dispose()


def _cell(value: str) -> Any:
    text = value.strip()
    if text == "":
        return None
    if text[0] in "[{":
        try:
            return loads(text)
        except ValueError:
            return text
    return text


def _csv(text: str) -> Iterator[Any]:
    """Rows as records keyed by the header. The csv module's field limit is lifted while
    the text (already in memory) is split, so a long cell cannot throw the parser out of
    step; a row with a cell over `CSV_CELL_LIMIT` characters is that row's error."""
    previous = csv.field_size_limit(max(len(text), CSV_CELL_LIMIT) + 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        rows: list[tuple[int, list[str]]] = []
        ended = reader.line_num  # a quoted cell may span lines: a row starts after the last one ended
        for row in reader:
            rows.append((ended + 1, row))
            ended = reader.line_num
    finally:
        csv.field_size_limit(previous)
    for line, row in rows:
        if not row:
            continue
        where = f"line {line}"
        if len(row) > len(header):
            yield InputError(where, "the row has more cells than the header")
        elif any(len(cell) > CSV_CELL_LIMIT for cell in row):
            yield InputError(where, f"a cell is longer than {CSV_CELL_LIMIT:,} characters")
        else:
            cells = ((key, _cell(value)) for key, value in zip(header, row, strict=False))
            yield {key: value for key, value in cells if value is not None}
