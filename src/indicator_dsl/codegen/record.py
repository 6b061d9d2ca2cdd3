"""Generating the whole per-record scoring function of a compiled plan.

After the indicators, the generated `score(r, S, T)` reads the judged scores, sums
dimensions and tables per source (with proration, rescale and dimension weights known
statically), combines sources and bonus, rounds, and grades (exempt, rules, assign,
vetoes) in straight-line code. The reference path (`scoring.py` with the interpreter)
computes the same figures generically; the property tests hold the two equal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from ..check.resolver import ResolvedRuleset
from ..semantics.plan import TablePlan
from ..semantics.sheets import SheetReader
from ..semantics.trace import GradeStep
from ..syntax import nodes as n
from .emitter import Emitter
from .expressions import ExprCompiler, NameSpace


class IndicatorWriter(Protocol):
    """What the record function needs from the module compiler (`module.RulesetCompiler`):
    the code computing every indicator, written where `score` needs it, and what it shares."""

    r: ResolvedRuleset
    names: NameSpace
    plan: TablePlan
    out: Emitter
    traced: bool
    fused: dict[int, str]

    def indicator_body(self) -> list[str]: ...


class RecordFunction:
    def __init__(self, compiler: IndicatorWriter) -> None:
        self.c = compiler
        self.r = compiler.r
        self.names = compiler.names
        self.out = compiler.out
        self.traced = compiler.traced
        self.dims: list[list[str]] = []
        self.shared: dict[int, tuple[str, str, Decimal, bool]] = {}
        self.c_slots: list[str] = []
        self.values: list[tuple[str, str]] = []

    def const(self, value: object) -> str:
        return self.names.const(value)

    def emit(self) -> None:
        out, r = self.out, self.r
        out.line("def score(r, S, T):")
        out.depth += 1
        slots = self.c.indicator_body()
        self.c_slots = slots
        indicators = r.indicators()
        judged = [i for i, t in enumerate(indicators) if any(isinstance(c, n.Judged) for c in t.node.clauses)]
        sources = r.table_sources
        may_be_none = {i for i, t in enumerate(indicators) if t.node.applies is not None}
        self.read_sheets(judged, slots, may_be_none)
        tables: list[str] = []
        for k, source in enumerate(sources):
            names = list(slots)
            for i in judged:
                var = f"j{i}_{k}"
                if self.traced:
                    entry = f"_CT({i}, 0, 'judged', True, [('sheets', {var})], {var}, {source!r})"
                    out.line(f"if {var} is not None: T.append({entry})")
                names[i] = var
            tables.append(self.table(k, source, names, may_be_none))
        combined = self.combine(sources, tables)
        out.line(f"TOT = {combined} + B")
        out.line("TR = TOT.quantize(Q)")
        self.grading(sources, tables)
        out.line(
            "return _Scored("
            + ", ".join(
                [
                    "{"
                    + ", ".join(
                        f"{s!r}: _SS([{', '.join(self.source_slots(k, slots, judged))}], "
                        f"[{', '.join(self.dims[k])}], {tables[k]})"
                        for k, s in enumerate(sources)
                    )
                    + "}",
                    "{" + ", ".join(f"{name!r}: {var}" for name, var in self.values) + "}",
                    "B",
                    "TOT",
                    "g",
                    "JR",
                    "EX",
                    "G0",
                    "GR",
                    "GR",
                    "PIN",
                    "VN",
                    "STEPS",
                    "T",
                ]
            )
            + ")"
        )
        out.depth -= 1

    def read_sheets(self, judged: list[int], slots: list[str], may_be_none: set[int]) -> None:
        """Judged scores into `j{indicator}_{source}`: inline for the common case (every sheet
        present with exactly its judged names and plain numbers in range), else `_sheets`,
        which reads anything and reports every problem."""
        out = self.out
        flags = "(" + "".join(f"{slots[i]} is not None, " for i in judged) + ")"
        targets = [f"j{i}_{k}" for k in range(len(self.r.table_sources)) for i in judged]
        out.line("JR = {}")
        if not judged:
            out.line("if S: _sheets(S, ())")
            return
        reader = SheetReader(self.c.plan)
        if not reader.fast:  # reasons are required: only the full reader checks them
            out.line(f"J, JR = _sheets(S, {flags})")
            out.line(f"{', '.join(targets)}, = J")
            return
        out.line("try:")
        out.depth += 1
        if any(i in may_be_none for i in judged):
            out.line(f"if False in {flags}: raise LookupError")
        out.line(f"if len(S) != {len(reader.expected)}: raise LookupError")
        read: dict[tuple[str, str], str] = {}
        for source, names in reader.expected.items():
            out.line(f"h = S[{source!r}]")
            out.line(f"if len(h) != {len(names)}: raise LookupError")
            for name, top in names:
                read[source, name] = f"x{len(read)}"
                out.line(f"{read[source, name]} = _jv(h[{name!r}], {self.const(top)})")
        for target, key in zip(targets, reader.order, strict=True):
            out.line(f"{target} = {read[key]}")
        out.depth -= 1
        out.line("except (LookupError, TypeError, ArithmeticError, AttributeError):")
        out.line(f"    J, JR = _sheets(S, {flags})")
        out.line(f"    {', '.join(targets)}, = J")

    def source_slots(self, k: int, slots: list[str], judged: list[int]) -> list[str]:
        return [f"j{i}_{k}" if i in judged else slot for i, slot in enumerate(slots)]

    # ---------------------------------------------------------------- tables

    def table(self, k: int, source: str, names: list[str], may_be_none: set[int]) -> str:
        out = self.out
        dims: list[str] = []
        maxima: list[str] = []
        weighted = any(d.weight is not None for d in self.r.dimensions)
        position = 0
        static_total = Decimal(0)
        all_static = True
        for d, dim in enumerate(self.r.dimensions):
            first, count = position, len(dim.indicators)
            if d in self.shared:  # no judged indicator: every source has the same dimension score
                dvar, mexpr, static_max, dynamic = self.shared[d]
                dims.append(dvar)
                maxima.append(mexpr)
                static_total += static_max
                all_static = all_static and not dynamic
                position += count
                continue
            terms: list[str] = []
            dynamic_max: list[str] = []
            static_max = Decimal(0)
            for table_ind in dim.indicators:
                i, var = position, names[position]
                position += 1
                if i in may_be_none:
                    terms.append(f"({var} if {var} is not None else _Z)")
                    dynamic_max.append(f"({self.const(table_ind.node.max.value)} if {var} is not None else _Z)")
                else:
                    terms.append(var)
                    static_max += table_ind.node.max.value
            dvar = f"D{d}_{k}"
            out.line(f"{dvar} = " + (" + ".join(terms) if terms else "_Z"))
            dims.append(dvar)
            if dynamic_max:
                all_static = False
                mvar = f"M{d}_{k}"
                out.line(f"{mvar} = " + " + ".join([self.const(static_max), *dynamic_max]))
                maxima.append(mvar)
            else:
                maxima.append(self.const(static_max))
            static_total += static_max
            if all(names[i] == self.c_slots[i] for i in range(first, first + count)):
                self.shared[d] = (dvar, maxima[-1], static_max, bool(dynamic_max))
        self.dims.append(dims)
        tvar = f"TB{k}"
        total = self.const(self.r.total.value.value) if self.r.total else "_Z"
        if weighted:
            shares = [
                f"_share({self.const(dim.weight.value if dim.weight else 0)}, {dvar}, {mvar}, {dim.name!r})"
                for dim, dvar, mvar in zip(self.r.dimensions, dims, maxima, strict=True)
            ]
            out.line(f"{tvar} = (" + " + ".join(shares) + f") * {total}")
        else:
            scale_value = (
                self.r.rescale.to.value if self.r.rescale else self.r.total.value.value if self.r.total else Decimal(0)
            )
            scale = self.const(scale_value)
            out.line(f"{tvar} = " + (" + ".join(dims) if dims else "_Z"))
            note = (
                f"T.append(_CT(-1, -1, 'prorate', True, [('raw', R{k}), ('applicable max', A{k}), ('scale', {scale})], "
                f"{tvar}, {source!r}))"
            )
            if not all_static:
                out.line(f"A{k} = " + " + ".join(maxima))
                out.line(f"if A{k} != {scale}:")
                out.line(f"    R{k} = {tvar}; {tvar} = _prorate({tvar}, {scale}, A{k})")
                if self.traced:
                    out.line(f"    {note}")
            elif static_total != scale_value:
                out.line(f"R{k} = {tvar}; A{k} = {self.const(static_total)}; {tvar} = _prorate({tvar}, {scale}, A{k})")
                if self.traced:
                    out.line(note)
        return tvar

    def combine(self, sources: list[str], tables: list[str]) -> str:
        out, r = self.out, self.r
        ec = ExprCompiler(self.names, dict(r.lets), traced=False, fused=self.c.fused)
        if r.assess is None:
            combined = tables[0]
        else:
            terms: list[str] = []
            for source in r.assess.sources:
                weight = self.const(source.weight.value)
                if source.value is None:
                    terms.append(f"{weight} * {tables[sources.index(source.name)]}")
                else:
                    var = f"V_{len(self.values)}"
                    out.line(f"{var} = _D({ec.compile(source.value)})")
                    self.values.append((source.name, var))
                    terms.append(f"{weight} * {var}")
            combined = " + ".join(terms)
        if r.bonus is not None and r.bonus.items:
            terms = []
            for item in r.bonus.items:
                clause = item.clause
                amount = ec.compile(clause.amount)
                if clause.per is not None:
                    amount = f"{amount} * _max0({ec.compile(clause.per)})"
                    if clause.up_to is not None:
                        amount = f"min({amount}, {ec.compile(clause.up_to)})"
                terms.append(
                    f"({amount} if {ec.compile(clause.when)} else 0)" if clause.when is not None else f"({amount})"
                )
            out.line("B = _D(" + " + ".join(terms) + ")")
            out.line(f"if B > {self.const(r.bonus.max.value)}: B = {self.const(r.bonus.max.value)}")
        else:
            out.line("B = _Z")
        return combined

    # ---------------------------------------------------------------- grading

    def grading(self, sources: list[str], tables: list[str]) -> None:
        out, r = self.out, self.r
        keys = sorted(self.c.plan.grading_keys)
        entries: list[str] = []
        for key in keys:
            entries.append(f"{key!r}: {self.grading_value(key, sources, tables)}")
        out.line("g = {" + ", ".join(entries) + "}")
        ec = ExprCompiler(self.names, dict(r.lets), traced=False, grading=True)
        out.line("EX = None; G0 = GR = None; PIN = False; VN = []")
        for k, exempt in enumerate(r.exempts):
            out.line(f"{'if' if k == 0 else 'elif'} {ec.compile(exempt.when)}:")
            label = exempt.label or exempt.name or "exempt"
            out.line(f"    EX = {label!r}")
        if not r.grades:
            out.line("STEPS = [] if EX is None else [_Step('exempt', None, None, EX)]")
            return
        out.line("if EX is not None:")
        out.line("    STEPS = [_Step('exempt', None, None, EX)]")
        out.line("else:")
        out.depth += 1
        first = True
        for rule in r.grades.rules:
            label = rule.label or rule.name
            if rule.when is None:
                out.line("else:" if not first else "if True:")
            else:
                out.line(f"{'if' if first else 'elif'} {ec.compile(rule.when)}:")
            step = self.const(GradeStep("rules", None, rule.name, label))  # immutable: one per ruleset
            out.line(f"    GR = {rule.name!r}; STEPS = [{step}]")
            first = False
        out.line("G0 = GR")
        for k, assign in enumerate(r.assigns):
            out.line(f"{'if' if k == 0 else 'elif'} {ec.compile(assign.when)}:")
            label = assign.label or assign.name
            out.line(
                f"    STEPS.append(_Step('assign', GR, {assign.grade!r}, {label!r})); GR = {assign.grade!r}; PIN = True"
            )
        for k, veto in enumerate(r.vetoes):
            out.line(f"if {ec.compile(veto.when)}: VN.append({k})")
        if r.vetoes:
            out.line("if VN: GR, PIN, VN = _vetoes(VN, GR, PIN, STEPS)")
        out.depth -= 1

    def grading_value(self, key: str, sources: list[str], tables: list[str]) -> str:
        if key == "total":
            return "TR"
        if key == "bonus":
            return "B.quantize(Q)"
        if key == "grade":
            return "None"
        value_vars = dict(self.values)
        if key in value_vars:
            return f"{value_vars[key]}.quantize(Q)"
        if key in sources:
            return f"{tables[sources.index(key)]}.quantize(Q)"
        source, part = key.split(".", 1)
        k = sources.index(source)
        for d, dim in enumerate(self.r.dimensions):
            if dim.name == part:
                return f"{self.dims[k][d]}.quantize(Q)"
        position = next(i for i, t in enumerate(self.r.indicators()) if t.node.name == part)
        var = (
            f"j{position}_{k}"
            if any(isinstance(c, n.Judged) for c in self.r.indicators()[position].node.clauses)
            else f"s{position}"
        )
        return f"(None if {var} is None else {var}.quantize(Q))"
