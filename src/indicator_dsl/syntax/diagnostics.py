"""Diagnostics as data.

Every stage reports problems as `Diagnostic` values; nothing here prints. Codes are
stable (documented one page each under docs/errors/) so CI logs, editors and the
held-out tests can rely on them. Rendering lives in `render.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .source import SourceFile, Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# code -> short title. Grouped: E0xx reading/syntax, E1xx files/imports/extensions,
# E2xx names and types, E3xx score arithmetic and grading structure, E4xx catalogs,
# W5xx warnings.
CODES: dict[str, str] = {
    "E001": "cannot read file",
    "E002": "file is not UTF-8 text",
    "E003": "file too large",
    "E010": "unexpected token",
    "E011": "unexpected character",
    "E012": "unexpected end of file",
    "E013": "nesting too deep",
    "E014": "invalid literal",
    "E015": "malformed aggregate or call",
    "E020": "not a bundle",
    "E021": "unsafe bundle member",
    "E022": "bundle does not match its manifest",
    "E100": "import not found",
    "E101": "import cycle",
    "E102": "wrong kind of file",
    "E103": "unknown base ruleset",
    "E104": "duplicate name",
    "E105": "base name reused without extend or override",
    "E106": "remove without a reason",
    "E107": "extension names an unknown part",
    "E108": "unknown ruleset in catalog",
    "E109": "import outside the project root",
    "E110": "import of a file that is not .ind",
    "E200": "unknown name",
    "E201": "unknown field",
    "E202": "unknown type",
    "E203": "value not in enum",
    "E204": "optional value used without a guard",
    "E205": "operand types do not fit",
    "E206": "wrong arguments",
    "E207": "condition is not a boolean",
    "E208": "unknown function",
    "E209": "unknown assessment source",
    "E210": "unknown dimension or indicator",
    "E211": "unknown grade",
    "E212": "ambiguous part name",
    "E213": "recursive let",
    "E214": "missing or unknown record type",
    "E215": "value of the wrong type",
    "E216": "the period is read but not declared",
    "E300": "dimension max differs from its indicators",
    "E301": "total differs from the dimensions",
    "E302": "assessment weights do not sum to 100%",
    "E303": "dimension weights are incomplete or do not sum to 100%",
    "E304": "mixed scoring styles",
    "E305": "indicator has no scoring rule",
    "E306": "grades need exactly one otherwise, last",
    "E307": "quota without a ties rule",
    "E308": "bands without else do not cover every case",
    "E309": "missing or invalid header",
    "E310": "judged by an unknown or non-table source",
    "E311": "invalid score amount",
    "E312": "bonus item must award, penalty item must deduct",
    "E313": "misplaced declaration",
    "E314": "indicator without a 评分标准 (--require-standards)",
    "E315": "`may correct` on a computed source",
    "E316": "a relative rule ranks by the grade its points change",
    "E400": "ambiguous catalog routes",
    "E401": "records with no route",
    "E402": "invalid route",
    "W500": "unreachable band",
    "W501": "unused let",
    "W502": "unreachable else",
    "W503": "suspicious score",
    "W504": "invisible bidirectional control character",
    "W505": "comparison settled by declared ranges",
}


@dataclass(frozen=True, slots=True)
class Related:
    """A second place that explains a diagnostic (the base declaration, the other route)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    hint: str | None = None
    related: tuple[Related, ...] = field(default=())

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.code.startswith("W") else Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def title(self) -> str:
        return CODES[self.code]


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    span = diagnostic.span
    return (span.path, span.line, span.column, diagnostic.code)


class RulesetError(Exception):
    """Raised by the Python API when a ruleset does not load; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, SourceFile] | None = None) -> None:
        self.diagnostics = diagnostics
        self.sources = sources or {}  # the texts read, so the diagnostics can be shown without reading again
        first = next((d for d in diagnostics if d.is_error), diagnostics[0] if diagnostics else None)
        summary = f"{first.span}: {first.message}" if first else "ruleset error"
        more = len([d for d in diagnostics if d.is_error]) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))
