"""The static types of the expression language.

Small on purpose: bool, int, decimal, text, date, enum(...), list[T], records, and the
grading values (grades, assessment sources). `optional` is a flag on a type, cleared by
`??` and by `is none` guards. `ERROR` absorbs follow-on errors so that one mistake is
reported once, not once per enclosing expression.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..syntax import nodes as n


@dataclass(frozen=True, slots=True)
class Type:
    kind: str  # bool int decimal text date enum list record none grade source error
    members: tuple[str, ...] = ()  # enum members, or grade names
    item: Type | None = None  # list element
    record: str | None = None  # record type name; source name for `source`
    optional: bool = False

    def __str__(self) -> str:
        if self.kind == "enum":
            base = (
                "enum(" + ", ".join(f'"{m}"' for m in self.members[:4]) + (", …" if len(self.members) > 4 else "") + ")"
            )
        elif self.kind == "list":
            base = f"list[{self.item}]"
        elif self.kind == "record":
            base = str(self.record)
        elif self.kind == "source":
            base = f"source {self.record}"
        else:
            base = self.kind
        return base + ("?" if self.optional else "")

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal")

    @property
    def textual(self) -> bool:
        return self.kind in ("text", "enum")

    def required(self) -> Type:
        return replace(self, optional=False) if self.optional else self

    def maybe(self) -> Type:
        return replace(self, optional=True)


BOOL = Type("bool")
INT = Type("int")
DECIMAL = Type("decimal")
TEXT = Type("text")
DATE = Type("date")
NONE = Type("none", optional=True)
ERROR = Type("error")
PRIMITIVES = {"bool": BOOL, "int": INT, "decimal": DECIMAL, "text": TEXT, "date": DATE}


def list_of(item: Type) -> Type:
    return Type("list", item=item)


def type_of_ref(ref: n.TypeRef, known_types: set[str]) -> Type | None:
    """The Type a schema reference denotes, or None when it names no known type."""
    if isinstance(ref, n.OptionalType):
        inner = type_of_ref(ref.inner, known_types)
        return inner.maybe() if inner else None
    if isinstance(ref, n.ListType):
        item = type_of_ref(ref.item, known_types)
        return list_of(item) if item else None
    if isinstance(ref, n.EnumType):
        return Type("enum", members=ref.members)
    if ref.name in PRIMITIVES:
        return PRIMITIVES[ref.name]
    if ref.name in known_types:
        return Type("record", record=ref.name)
    return None


def unify_numeric(a: Type, b: Type) -> Type:
    return INT if a.kind == b.kind == "int" else DECIMAL


def comparable(a: Type, b: Type) -> bool:
    """Whether `a == b` can ever be true: same kind, numbers together, texts and enums together."""
    a, b = a.required(), b.required()
    if a.kind == "error" or b.kind == "error" or a.kind == "none" or b.kind == "none":
        return True
    if a.numeric and b.numeric:
        return True
    if a.textual and b.textual:
        return True
    if a.kind == "list" and b.kind == "list" and a.item and b.item:
        return comparable(a.item, b.item)
    return a.kind == b.kind
