"""From a resolved, checked ruleset to its `TablePlan` and the names generated code uses."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from ..check.names import GRADING_WORDS, Names
from ..check.resolved import ResolvedRuleset
from ..semantics.plan import (
    DimensionInfo,
    GradeInfo,
    IndicatorInfo,
    OutcomeInfo,
    QuotaInfo,
    RelativeInfo,
    RuleInfo,
    SourceInfo,
    TablePlan,
)
from ..semantics.records import FieldMap
from ..syntax import nodes as n
from ..syntax.source import Span
from .expressions import NameSpace


def content_hash(ruleset: ResolvedRuleset) -> str:
    """sha256 over the text of every file that defines the ruleset (its own, bases, schemas),
    in order: the ruleset's identity, the same wherever the files lie and however the path
    was typed (results name it)."""
    digest = hashlib.sha256()
    for source in ruleset.sources:
        digest.update(source.text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def location_key(ruleset: ResolvedRuleset) -> str:
    """A short digest of where those files were read from. Spans in generated code and traces
    name the paths, so a compiled plan is kept per content *and* location."""
    return hashlib.sha256("\0".join(s.path for s in ruleset.sources).encode("utf-8")).hexdigest()[:12]


def namespace_for(ruleset: ResolvedRuleset, fields: FieldMap) -> NameSpace:
    return NameSpace.of(ruleset, fields)


def relative_key(measure: str, names: Names) -> str:
    """The grading value a relative rule ranks by: a score or source by name, a part of the one table."""
    if measure in names.parts and measure not in names.table_sources and len(names.table_sources) == 1:
        return f"{names.table_sources[0]}.{measure}"
    return measure


def relative_infos(ruleset: ResolvedRuleset, names: Names) -> tuple[RelativeInfo, ...]:
    return tuple(
        RelativeInfo(
            r.name,
            r.label,
            r.kind,
            r.points.value,
            r.test,
            r.bound.value,
            relative_key(r.measure, names),
            r.within,
            _at(r.span),
        )
        for r in ruleset.relatives
    )


def grading_keys(ruleset: ResolvedRuleset, names: Names) -> frozenset[str]:
    """The scores grading expressions read (`total`, `superior.activities`, ...), so only
    those are rounded and handed over per record."""
    exprs: list[n.Expr | None] = [e.when for e in ruleset.exempts]
    exprs += [a.when for a in ruleset.assigns]
    exprs += [v.when for v in ruleset.vetoes] + [q.where for q in ruleset.quotas if q.where is not None]
    exprs += [o.expr for o in ruleset.outcomes] + [r.when for r in (ruleset.grades.rules if ruleset.grades else ())]
    exprs += [let.expr for let in ruleset.lets.values()]
    keys: set[str] = set()
    sources = set(names.table_sources) | set(names.value_sources)
    for expr in exprs:
        for node in n.walk(expr):
            if isinstance(node, n.Attribute) and isinstance(node.obj, n.Name) and node.obj.name in names.table_sources:
                keys.add(f"{node.obj.name}.{node.name}")
            elif isinstance(node, n.Name):
                if node.name in GRADING_WORDS or node.name in sources:
                    keys.add(node.name)
                elif node.name in names.parts and len(names.table_sources) == 1:
                    keys.add(f"{names.table_sources[0]}.{node.name}")
    return frozenset(keys)


def coverage_units(ind: n.Indicator) -> tuple[str, ...]:
    """What `ind test --coverage` expects some case to exercise: each clause, each band."""
    units: list[str] = []
    for number, clause in enumerate(ind.clauses, start=1):
        if isinstance(clause, n.Points):
            units.append(f"{clause.kind}#{number}")
        elif isinstance(clause, n.Bands):
            units.extend(f"bands#{number}/band {k}" for k in range(1, len(clause.entries) + 1))
        elif isinstance(clause, n.ScoreFormula):
            units.append(f"score#{number}")
    return tuple(units)


def _at(span: Span) -> str:
    return f"{span.path}:{span.line}"


def build_plan(ruleset: ResolvedRuleset, names: Names, sha256: str) -> TablePlan:
    assert ruleset.record is not None and ruleset.total is not None
    indicators: list[IndicatorInfo] = []
    dimensions: list[DimensionInfo] = []
    for d_index, dim in enumerate(ruleset.dimensions):
        members: list[int] = []
        for table_ind in dim.indicators:
            ind = table_ind.node
            judged = next((c for c in ind.clauses if isinstance(c, n.Judged)), None)
            adjust = next(((k, c) for k, c in enumerate(ind.clauses) if isinstance(c, n.Adjust)), None)
            sheet = judged or (adjust[1] if adjust else None)
            members.append(len(indicators))
            indicators.append(
                IndicatorInfo(
                    name=ind.name,
                    label=ind.label,
                    dimension=d_index,
                    max=ind.max.value,
                    uncapped=ind.uncapped,
                    judged=judged is not None,
                    judged_by=sheet.by if sheet else None,
                    reason_required=bool(sheet and sheet.reason_required),
                    origin=table_ind.origin,
                    how=table_ind.how,
                    units=coverage_units(ind),
                    adjust=adjust[1].bound.value if adjust else None,
                    adjust_clause=adjust[0] if adjust else -1,
                    standard=ind.standard,
                )
            )
        dimensions.append(
            DimensionInfo(dim.name, dim.label, dim.max, dim.weight.value if dim.weight else None, tuple(members))
        )
    sources: tuple[SourceInfo, ...]
    if ruleset.assess is None:
        sources = (SourceInfo("table", None, Decimal(1), True),)
    else:
        sources = tuple(
            SourceInfo(s.name, s.label, s.weight.value, s.value is None, _at(s.span), s.corrects)
            for s in ruleset.assess.sources
        )
    total = ruleset.total.value.value
    relatives = relative_infos(ruleset, names)
    return TablePlan(
        name=ruleset.name,
        label=ruleset.label,
        version=ruleset.version,
        sha256=sha256,
        record_type=ruleset.record.type_name,
        period=(ruleset.period.start, ruleset.period.end) if ruleset.period else None,
        total=total,
        scale=ruleset.rescale.to.value if ruleset.rescale else total,
        scale_at=_at(ruleset.rescale.span if ruleset.rescale else ruleset.total.span),
        precision=ruleset.precision_places,
        weighted=any(d.weight is not None for d in ruleset.dimensions),
        indicators=tuple(indicators),
        dimensions=tuple(dimensions),
        sources=sources,
        has_assess=ruleset.assess is not None,
        bonus_max=ruleset.bonus.max.value if ruleset.bonus else None,
        bonus_items=tuple((i.name, i.label) for i in ruleset.bonus.items) if ruleset.bonus else (),
        bonus_at=tuple(_at(i.span) for i in ruleset.bonus.items) if ruleset.bonus else (),
        penalty_max=ruleset.penalty.max.value if ruleset.penalty else None,
        penalty_items=tuple((i.name, i.label) for i in ruleset.penalty.items) if ruleset.penalty else (),
        penalty_at=_at(ruleset.penalty.span) if ruleset.penalty else "",
        grades=tuple(GradeInfo(g.name, g.label, g.when is None) for g in ruleset.grades.rules)
        if ruleset.grades
        else (),
        exempts=tuple(RuleInfo(e.name, e.label, "exempt", None, e.span) for e in ruleset.exempts),
        assigns=tuple(RuleInfo(a.name, a.label, "assign", a.grade, a.span) for a in ruleset.assigns),
        vetoes=tuple(RuleInfo(v.name, v.label, v.action, v.grade, v.span) for v in ruleset.vetoes),
        quotas=tuple(QuotaInfo.of(q) for q in ruleset.quotas),
        outcomes=tuple(OutcomeInfo(o.name, o.label) for o in ruleset.outcomes),
        grading_keys=grading_keys(ruleset, names) | {r.key for r in relatives},
        relatives=relatives,
        as_of=ruleset.as_of,
        period_given=ruleset.period_given,
    )
