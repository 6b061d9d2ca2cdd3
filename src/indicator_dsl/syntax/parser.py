"""Text to AST.

The generated parser (`_standalone.py`, Lark's LALR runtime) parses; `builder.TreeBuilder`
turns its tree into `nodes`. Nothing from it leaves this module: its exceptions are its own classes, not
`lark.exceptions`, and syntax errors become `Diagnostic`s with a message a ruleset author can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import nodes as n
from ._standalone import Token, UnexpectedInput, UnexpectedToken
from .build_exprs import AGGREGATES, BuildProblem, number_from_text
from .builder import TreeBuilder
from .diagnostics import Diagnostic
from .grammar import lark_parser
from .messages import describe_unexpected
from .source import SourceFile, Span

MAX_NESTING = 64


@dataclass(frozen=True, slots=True)
class ParseResult:
    module: n.Module | None
    imports: tuple[n.Import, ...]
    diagnostics: list[Diagnostic]


# Comments and texts are skipped whole; brackets are taken in runs, so that a long file costs a
# few regex matches rather than a Python step per character (a 10 MB file is checked in well under
# a second). `\\` escapes any character, a line break included, as the old per-character scan did.
_BRACKET_RUNS = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\[\s\S])*"?|[(\[{]+|[)\]}]+')


def _nesting_problem(source: SourceFile) -> Diagnostic | None:
    """Deep bracket nesting is refused before parsing so later recursive stages stay safe."""
    depth = 0
    for match in _BRACKET_RUNS.finditer(source.text):
        run = match.group()
        if run[0] in '#"':
            continue
        if run[0] in ")]}":
            depth = max(0, depth - len(run))
            continue
        if depth + len(run) > MAX_NESTING:
            offset = match.start() + MAX_NESTING - depth
            return Diagnostic(
                "E013",
                f"brackets are nested more than {MAX_NESTING} deep",
                Span.at(source, offset, offset + 1),
                hint="split the expression with `let` names",
            )
        depth += len(run)
    return None


_NAME = re.compile(r"[^\W\d]\w*")


def _keyword_as_name(error: UnexpectedInput) -> bool:
    """A keyword where only a name fits is a name (`total otherwise` in grades, a field called
    `record`): the lexer reads every keyword-shaped word as the keyword (one regex for the whole
    file, no parser state), so where the parser refuses it but takes a NAME, it is fed as NAME."""
    if (
        isinstance(error, UnexpectedToken)
        and "NAME" in error.accepts
        and error.token.type != "NAME"
        and _NAME.fullmatch(str(error.token))
    ):
        token = error.token
        where = (token.start_pos, token.line, token.column, token.end_line, token.end_column, token.end_pos)
        error.interactive_parser.feed_token(Token("NAME", str(token), *where))
        return True
    return False


def parse_source(source: SourceFile) -> ParseResult:
    """Parse one file. Never raises for bad text: problems come back as diagnostics."""
    too_deep = _nesting_problem(source)
    if too_deep:
        return ParseResult(None, (), [too_deep])
    try:
        tree = lark_parser().parse(source.text, on_error=_keyword_as_name)
    except UnexpectedInput as error:
        return ParseResult(None, (), [describe_unexpected(source, error)])
    try:
        imports, module = TreeBuilder(source).build(tree)
    except BuildProblem as problem:
        return ParseResult(None, (), [problem.diagnostic])
    except RecursionError:
        return ParseResult(None, (), [_too_long(source)])
    return ParseResult(module, imports, [])


def _too_long(source: SourceFile) -> Diagnostic:
    return Diagnostic(
        "E013",
        "an expression is too long or too deeply nested to read",
        Span.at(source, 0, 0),
        hint="split it with `let` names",
    )


__all__ = ["AGGREGATES", "ParseResult", "number_from_text", "parse_source"]
