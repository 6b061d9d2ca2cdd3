"""Building AST nodes for declarations: files, schemas, rulesets (header, table, grading,
extensions) and catalogs, on top of the expression builder."""

from __future__ import annotations

from typing import Any

from . import nodes as n
from ._standalone import Token
from .build_exprs import BuildProblem, ExprBuilder, Tagged, pick, plain, unquote
from .diagnostics import Diagnostic


class TreeBuilder(ExprBuilder):
    """The builder of a whole file: `build(tree)` gives `(imports, module)`."""

    # ---- file
    def start(self, meta: Any, c: list[Any]) -> tuple[tuple[n.Import, ...], n.Module]:
        imports = tuple(plain(c, n.Import))
        return imports, c[-1]

    def import_decl(self, meta: Any, c: list[Any]) -> n.Import:
        return n.Import(path=unquote(c[0]), span=self._s(meta))

    # ---- schema
    def schema(self, meta: Any, c: list[Any]) -> n.Schema:
        return n.Schema(
            name=str(c[0]), label=pick(c, "label"), imports=(), types=tuple(plain(c, n.TypeDecl)), span=self._s(meta)
        )

    def type_decl(self, meta: Any, c: list[Any]) -> n.TypeDecl:
        return n.TypeDecl(
            name=str(c[0]), label=pick(c, "label"), fields=tuple(plain(c, n.FieldDecl)), span=self._s(meta)
        )

    def field_decl(self, meta: Any, c: list[Any]) -> n.FieldDecl:
        return n.FieldDecl(
            name=str(c[0]),
            type=c[1],
            range=next((x for x in c if isinstance(x, n.FieldRange)), None),
            default=pick(c, "default"),
            label=pick(c, "label"),
            span=self._s(meta),
        )

    def field_range(self, meta: Any, c: list[Any]) -> n.FieldRange:
        return n.FieldRange(low=c[0], high=c[1], span=self._s(meta))

    def default(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("default", c[0])

    def named_type(self, meta: Any, c: list[Any]) -> n.NamedType:
        return n.NamedType(name=str(c[0]), span=self._s(meta))

    def enum_type(self, meta: Any, c: list[Any]) -> n.EnumType:
        return n.EnumType(members=tuple(unquote(t) for t in c), span=self._s(meta))

    def list_type(self, meta: Any, c: list[Any]) -> n.ListType:
        return n.ListType(item=c[0], span=self._s(meta))

    def optional_type(self, meta: Any, c: list[Any]) -> n.OptionalType:
        return n.OptionalType(inner=c[0], span=self._s(meta))

    # ---- ruleset header
    def ruleset(self, meta: Any, c: list[Any]) -> n.Ruleset:
        items = tuple(x for x in c[1:] if not isinstance(x, Tagged))
        return n.Ruleset(
            name=str(c[0]),
            label=pick(c, "label"),
            version=pick(c, "version"),
            extends=pick(c, "extends"),
            imports=(),
            items=items,
            span=self._s(meta),
        )

    def version(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("version", unquote(c[0]))

    def extends(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("extends", str(c[0]))

    def record_decl(self, meta: Any, c: list[Any]) -> n.RecordDecl:
        return n.RecordDecl(type_name=str(c[0]), span=self._s(meta))

    def period_decl(self, meta: Any, c: list[Any]) -> n.PeriodDecl:
        return n.PeriodDecl(start=self._date(c[0]), end=self._date(c[1]), span=self._s(meta))

    def total_decl(self, meta: Any, c: list[Any]) -> n.TotalDecl:
        return n.TotalDecl(value=c[0], span=self._s(meta))

    def precision_decl(self, meta: Any, c: list[Any]) -> n.PrecisionDecl:
        return n.PrecisionDecl(places=int(c[0]), span=self._s(meta))

    def rescale_decl(self, meta: Any, c: list[Any]) -> n.RescaleDecl:
        return n.RescaleDecl(to=c[0], span=self._s(meta))

    def let_decl(self, meta: Any, c: list[Any]) -> n.Let:
        return n.Let(name=str(c[0]), expr=c[1], span=self._s(meta))

    # ---- table
    def dimension(self, meta: Any, c: list[Any]) -> n.Dimension:
        return n.Dimension(
            name=str(c[0]),
            label=pick(c, "label"),
            max=plain(c, n.Number)[0],
            weight=pick(c, "weight"),
            items=tuple(x for x in c if isinstance(x, (n.Indicator, n.Let))),
            span=self._s(meta),
        )

    def weight(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("weight", c[0])

    def indicator(self, meta: Any, c: list[Any]) -> n.Indicator:
        standard, lets, clauses = c[-1]
        modifiers = [x.tag for x in c if isinstance(x, Tagged) and x.tag in ("applies", "uncapped")]
        for tag in ("applies", "uncapped"):
            if modifiers.count(tag) > 1:
                word = "applies when" if tag == "applies" else tag
                raise BuildProblem(
                    Diagnostic(
                        "E104",
                        f"indicator `{c[0]}` says `{word}` twice",
                        self._s(meta),
                        hint="combine the conditions with `and`" if tag == "applies" else None,
                    )
                )
        return n.Indicator(
            name=str(c[0]),
            label=pick(c, "label"),
            max=plain(c, n.Number)[0],
            uncapped=any(isinstance(x, Tagged) and x.tag == "uncapped" for x in c),
            applies=pick(c, "applies"),
            standard=standard,
            lets=lets,
            clauses=clauses,
            span=self._s(meta),
        )

    def uncapped(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("uncapped", True)

    def applies(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("applies", c[0])

    def indicator_body(self, meta: Any, c: list[Any]) -> tuple[str | None, tuple[n.Let, ...], tuple[n.Clause, ...]]:
        standard = pick(c, "standard")
        rest = [x for x in c if not isinstance(x, Tagged)]
        return standard, tuple(plain(rest, n.Let)), tuple(x for x in rest if not isinstance(x, n.Let))

    def standard(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("standard", unquote(c[0]))

    def points_kind(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def points_clause(self, meta: Any, c: list[Any]) -> n.Points:
        per = pick(c, "per")
        return n.Points(
            kind=c[0],
            amount=c[1],
            per=per[0] if per else None,
            up_to=per[1] if per else None,
            when=pick(c, "when"),
            span=self._s(meta),
        )

    def per(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("per", (c[0], pick(c, "up_to")))

    def up_to(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("up_to", c[0])

    def when(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("when", c[0])

    def score_formula(self, meta: Any, c: list[Any]) -> n.ScoreFormula:
        return n.ScoreFormula(expr=c[0], span=self._s(meta))

    def judged(self, meta: Any, c: list[Any]) -> n.Judged:
        return n.Judged(by=pick(c, "by"), reason_required=pick(c, "reason") is not None, span=self._s(meta))

    def adjust(self, meta: Any, c: list[Any]) -> n.Adjust:
        return n.Adjust(
            bound=plain(c, n.Number)[0],
            by=pick(c, "by"),
            reason_required=pick(c, "reason") is not None,
            span=self._s(meta),
        )

    def judged_by(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("by", str(c[0]))

    def reason_required(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("reason", True)

    def bands(self, meta: Any, c: list[Any]) -> n.Bands:
        entries = tuple(plain(c, n.BandEntry))
        subject = c[0] if c and not isinstance(c[0], n.BandEntry) else None
        return n.Bands(subject=subject, entries=entries, span=self._s(meta))

    def band_compare(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="compare", op=str(c[0]), test=c[1], score=c[2], span=self._s(meta))

    def band_when(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="when", test=c[0], score=c[1], span=self._s(meta))

    def band_equal(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="equal", test=c[0], score=c[1], span=self._s(meta))

    def band_else(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="else", score=c[0], span=self._s(meta))

    # ---- grading
    def bonus(self, meta: Any, c: list[Any]) -> n.Bonus:
        name = str(c[0]) if isinstance(c[0], Token) else None
        return n.Bonus(
            name=name,
            label=pick(c, "label"),
            max=plain(c, n.Number)[0],
            items=tuple(plain(c, n.BonusItem)),
            span=self._s(meta),
        )

    def penalty(self, meta: Any, c: list[Any]) -> n.Bonus:
        bonus = self.bonus(meta, c)
        return n.Bonus(
            name=bonus.name, label=bonus.label, max=bonus.max, items=bonus.items, kind="penalty", span=bonus.span
        )

    def bonus_item(self, meta: Any, c: list[Any]) -> n.BonusItem:
        return n.BonusItem(name=str(c[0]), label=pick(c, "label"), clause=c[-1], span=self._s(meta))

    def veto_action(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def veto(self, meta: Any, c: list[Any]) -> n.Veto:
        rest = [x for x in c if not isinstance(x, Tagged)]
        return n.Veto(
            name=str(rest[0]),
            label=pick(c, "label"),
            when=rest[1],
            action=rest[2],
            grade=str(rest[3]),
            span=self._s(meta),
        )

    def exempt(self, meta: Any, c: list[Any]) -> n.Exempt:
        name = str(c[0]) if isinstance(c[0], Token) else None
        return n.Exempt(name=name, label=pick(c, "label"), when=c[-1], span=self._s(meta))

    def assign(self, meta: Any, c: list[Any]) -> n.Assign:
        rest = [x for x in c if not isinstance(x, Tagged)]
        return n.Assign(name=str(rest[0]), label=pick(c, "label"), when=rest[1], grade=str(rest[2]), span=self._s(meta))

    def relative(self, meta: Any, c: list[Any]) -> n.Relative:
        rest = [x for x in c if not isinstance(x, Tagged)]
        test, bound = pick(c, "relative_test")
        return n.Relative(
            name=str(rest[0]),
            label=pick(c, "label"),
            kind=rest[1],
            points=rest[2],
            test=test,
            bound=bound,
            measure=str(rest[3]),
            within=pick(c, "within"),
            span=self._s(meta),
        )

    def relative_top(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("relative_test", ("top", c[0]))

    def relative_below(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("relative_test", ("below", c[0]))

    def relative_within(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("within", str(c[0]))

    def assess(self, meta: Any, c: list[Any]) -> n.Assess:
        return n.Assess(sources=tuple(c), span=self._s(meta))

    def source(self, meta: Any, c: list[Any]) -> n.Source:
        return n.Source(
            name=str(c[0]),
            label=pick(c, "label"),
            weight=plain(c, n.Number)[0],
            value=pick(c, "value"),
            missing=pick(c, "missing"),
            corrects=pick(c, "corrects") is not None,
            span=self._s(meta),
        )

    def source_value(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("value", c[0])

    def source_missing(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("missing", str(c[-1]))

    def source_corrects(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("corrects", True)

    def grades(self, meta: Any, c: list[Any]) -> n.Grades:
        return n.Grades(rules=tuple(c), span=self._s(meta))

    def grade_rule(self, meta: Any, c: list[Any]) -> n.GradeRule:
        return n.GradeRule(name=str(c[0]), label=pick(c, "label"), when=c[-1].value, span=self._s(meta))

    def grade_when(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("when", c[0])

    def grade_otherwise(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("otherwise", None)

    def quota_direction(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("direction", f"{c[0]} {c[1]}")

    def ties_rule(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def rounding_rule(self, meta: Any, c: list[Any]) -> str:
        return " ".join(str(t) for t in c)

    def quota_rounding(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("rounding", c[0])

    def quota_minimum(self, meta: Any, c: list[Any]) -> Tagged:
        places, members = (int(t) for t in c if getattr(t, "type", "") == "INT")
        return Tagged("minimum", n.QuotaMinimum(places, members))

    def quota_replaces(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("replaces", True)

    def quota_grades(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("grades", tuple(str(t) for t in c))

    def quota_hard(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("hard", True)

    def quota_within(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("within", str(c[0]))

    def quota_where(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("where", c[0])

    def quota_ties(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("ties", c[0])

    def nomination_exclude(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("exclude", c[0])

    def nomination(self, meta: Any, c: list[Any]) -> n.Nomination:
        names = [str(t) for t in c if getattr(t, "type", "") == "NAME"]
        return n.Nomination(
            name=names[0],
            label=pick(c, "label"),
            grades=pick(c, "grades"),
            places=next(int(t) for t in c if getattr(t, "type", "") == "INT"),
            per=names[-1],
            exclude=pick(c, "exclude"),
            span=self._s(meta),
        )

    def quota(self, meta: Any, c: list[Any]) -> n.Quota:
        return n.Quota(
            grades=pick(c, "grades"),
            direction=pick(c, "direction"),
            share=plain(c, n.Number)[0],
            rounding=pick(c, "rounding"),
            minimum=pick(c, "minimum"),
            within=pick(c, "within"),
            replaces=pick(c, "replaces") or False,
            where=pick(c, "where"),
            ties=pick(c, "ties"),
            hard=pick(c, "hard") or False,
            span=self._s(meta),
        )

    def outcome(self, meta: Any, c: list[Any]) -> n.Outcome:
        return n.Outcome(name=str(c[0]), label=pick(c, "label"), expr=c[-1], span=self._s(meta))

    # ---- extensions
    def extend_dimension(self, meta: Any, c: list[Any]) -> n.ExtendDimension:
        numbers = plain(c, n.Number)
        return n.ExtendDimension(
            name=str(c[0]),
            max=numbers[0] if numbers else None,
            indicators=tuple(plain(c, n.Indicator)),
            span=self._s(meta),
        )

    def override_indicator(self, meta: Any, c: list[Any]) -> n.OverrideIndicator:
        return n.OverrideIndicator(indicator=c[0], span=self._s(meta))

    def remove_indicator(self, meta: Any, c: list[Any]) -> n.RemoveIndicator:
        return n.RemoveIndicator(name=str(c[0]), reason=pick(c, "because"), span=self._s(meta))

    def because(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("because", unquote(c[0]))

    # ---- catalog
    def catalog(self, meta: Any, c: list[Any]) -> n.Catalog:
        return n.Catalog(
            name=str(c[0]),
            label=pick(c, "label"),
            imports=(),
            items=tuple(x for x in c[1:] if not isinstance(x, Tagged)),
            span=self._s(meta),
        )

    def route_table(self, meta: Any, c: list[Any]) -> n.RouteTable:
        return n.RouteTable(field=str(c[0]), entries=tuple(c[1:]), span=self._s(meta))

    def route_entry(self, meta: Any, c: list[Any]) -> n.RouteEntry:
        return n.RouteEntry(value=unquote(c[0]), target=str(c[1]), span=self._s(meta))

    def route_when(self, meta: Any, c: list[Any]) -> n.RouteWhen:
        return n.RouteWhen(cond=c[0], target=str(c[1]), span=self._s(meta))
