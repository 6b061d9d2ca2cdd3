"""Request bodies to records, within the limits, with the CLI's messages.

A body that cannot be read as a whole is a `Problem` (a 4xx answer): over the size limit
(413), not UTF-8 or not JSON (400, worded as `ind eval` words a file that is not JSON),
a batch of more records than allowed (413). A JSON line that cannot be read is, as in
`ind eval`, an error for that record in its place (`line N: not JSON: ...`), and the rest
are still scored.

Each record comes with its own text as sent (the body of a one-record request, the item of
a JSON array, the line of JSON lines), so a decision log can name the exact input by
`input_digest`: the sha256 of that text without the whitespace around it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..evaluate.inputs import decode_at, decoded_lines, loads, parse_line

JSON_LINES_TYPES = ("ndjson", "jsonl", "json-lines", "jsonlines", "json-seq")
"""A batch whose Content-Type ends in one of these is read as JSON lines; any other as a JSON array."""

JSON_SPACE = " \t\n\r"
_SPACE = re.compile(f"[{JSON_SPACE}]*")


class Problem(Exception):
    """A request that cannot be answered with results: its status, its kind (the metrics' label)
    and the message the answer carries."""

    def __init__(self, status: int, kind: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.details = details


async def read_limited(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it is known to exceed `limit` bytes: by its
    Content-Length before anything is read, or while it streams in."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "too_large", f"the request body is over the limit of {limit:,} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise Problem(413, "too_large", f"the request body is over the limit of {limit:,} bytes")
        parts.append(chunk)
    return b"".join(parts)


def input_digest(text: str) -> str:
    """The sha256 of a record's text as sent, without the whitespace around it (UTF-8)."""
    return hashlib.sha256(text.strip(JSON_SPACE).encode("utf-8")).hexdigest()


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Problem(400, "bad_json", f"not UTF-8 (byte {error.start + 1})") from None


def one_record(body: bytes) -> tuple[Any, str]:
    """The record of a one-record request and its text."""
    text = _text(body)
    try:
        return loads(text), text
    except ValueError as error:
        raise Problem(400, "bad_json", f"not valid JSON: {error}") from None


def is_json_lines(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media.endswith(JSON_LINES_TYPES)


def batch_records(body: bytes, json_lines: bool, limit: int) -> list[tuple[Any, str | None]]:
    """The records of a batch (records, or `InputError`s in the place of unreadable lines),
    each with its text as sent (None for a line that is not UTF-8)."""
    found: list[tuple[Any, str | None]] = []
    for item in _lines(body) if json_lines else _array(body):
        if len(found) == limit:
            raise Problem(413, "too_many_records", f"a batch holds at most {limit:,} records")
        found.append(item)
    return found


def _lines(body: bytes) -> Iterator[tuple[Any, str | None]]:
    for number, line in decoded_lines(io.BytesIO(body), itertools.count(1)):
        yield parse_line(line, number), line if isinstance(line, str) else None


def _array(body: bytes) -> Iterator[tuple[Any, str | None]]:
    """The items of a JSON array, each with its own text. A body that is not
    JSON gets the message the CLI gives for a JSON file that is not JSON."""
    text = _text(body)
    try:
        items = list(_items(text))
    except (ValueError, RecursionError):
        try:
            loads(text)
        except ValueError as error:
            raise Problem(400, "bad_json", f"not valid JSON: {error}") from None
        raise Problem(
            400, "bad_json", "a batch is a JSON array of records, or JSON lines (Content-Type: application/x-ndjson)"
        ) from None
    yield from items


def _skip(text: str, at: int) -> int:
    """The index of the first character at or after `at` that is not JSON whitespace."""
    space = _SPACE.match(text, at)
    assert space is not None  # the pattern matches the empty string
    return space.end()


def _items(text: str) -> Iterator[tuple[Any, str]]:
    """(item, its text) for each item of a JSON array; ValueError if the text is not one."""
    at = _skip(text, 0)
    if text[at : at + 1] != "[":
        raise ValueError("not an array")
    at = _skip(text, at + 1)
    if text[at : at + 1] == "]":
        at += 1
    else:
        while True:
            item, end = decode_at(text, at)
            yield item, text[at:end]
            at = _skip(text, end)
            mark = text[at : at + 1]
            at = _skip(text, at + 1)
            if mark == "]":
                break
            if mark != ",":
                raise ValueError("expected , or ]")
    if text[at:].strip(JSON_SPACE):
        raise ValueError("text after the array")
