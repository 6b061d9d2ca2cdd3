"""Generating the per-record scoring function of a compiled plan.

After the indicators, the generated `score(r, S, T, C)` reads the judged scores, sums
dimensions and tables per source (which maxima, weights and proration apply is known
statically, so only what varies is computed), and combines sources and bonus, all in
straight-line code that calls the helpers of `semantics/arithmetic.py` for proration,
weights and the bonus cap with the context `C` it is given. Grading is not generated:
the backend hands the figures to `semantics/grading.grade`, as the interpreter does.
The reference path (`evaluate/scoring.py`) computes the same figures generically; the
property tests hold the two equal, traces included.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from ..check.resolved import ResolvedRuleset
from ..semantics.plan import TablePlan
from ..semantics.sheets import SheetReader
from ..semantics.sources import combined_inline, may_exclude, missing_source
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

    def points_moved(self, clause: n.Points, ec: ExprCompiler, reads: str | None) -> str: ...


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
        out.line("def score(r, S, T, C):")
        out.depth += 1
        slots = self.c.indicator_body()
        self.c_slots = slots
        indicators = r.indicators()
        judged = [i for i, t in enumerate(indicators) if any(isinstance(c, n.Judged) for c in t.node.clauses)]
        adjusted = [i for i, info in enumerate(self.c.plan.indicators) if info.adjust is not None]
        sources = r.table_sources
        may_be_none = {i for i, t in enumerate(indicators) if t.node.applies is not None}
        self.read_sheets(sorted(judged + adjusted), slots, may_be_none)
        # a record whose sheets correct computed scores takes per-source sums (`tables(corrected=True)`)
        out.line("CA = {}")
        out.line("if CR:")
        out.depth += 1
        self.tables(judged, adjusted, may_be_none, corrected=True)
        out.depth -= 1
        out.line("else:")
        out.depth += 1
        self.tables(judged, adjusted, may_be_none, corrected=False)
        out.depth -= 1
        combined = self.combine(sources, [f"TB{k}" for k in range(len(sources))])
        self.penalty(f"{combined} + B")
        values = ", ".join(f"{name!r}: {var}" for name, var in self.values)
        out.line(
            f"return _Scored(tables=SS, values={{{values}}}, "
            "bonus=B, penalty=P, total=TOT, judged=JR, corrections=CA, excluded=EX, trace=T)"
        )
        out.depth -= 1

    def tables(self, judged: list[int], adjusted: list[int], may_be_none: set[int], *, corrected: bool) -> None:
        """Each table source's indicators (judged, adjusted and, with `corrected`, as its sheet
        corrects them), dimensions and table (`TB{k}`), and `SS`, the scores by source. Without
        corrections a dimension with no judged or adjusted indicator is summed once for all."""
        out, slots, sources = self.out, self.c_slots, self.r.table_sources
        self.dims, self.shared = [], {}
        tables: list[str] = []
        per_source_names: list[list[str]] = []
        for k, source in enumerate(sources):
            names = list(slots)
            for i in judged:
                var = f"j{i}_{k}"
                if self.traced:
                    by = self.c.plan.indicators[i].judged_by or source
                    entry = f"_CT({i}, 0, 'judged', True, [({f'sheets.{by}'!r}, {var})], {var}, {source!r})"
                    out.line(f"if {var} is not None: T.append({entry})")
                names[i] = var
            for i in adjusted:
                names[i] = self.adjusted(i, k, source, slots[i], i in may_be_none)
            if corrected:
                out.line(f"CL{k} = [{', '.join(names)}]")
                out.line(f"if {source!r} in CR: _corrected(CL{k}, {source!r}, CR, CA, T)")
                names = [f"CL{k}[{i}]" for i in range(len(names))]
            per_source_names.append(names)
            tables.append(self.table(k, source, names, may_be_none))
        per_source = ", ".join(
            f"{s!r}: _SS([{', '.join(per_source_names[k])}], [{', '.join(self.dims[k])}], {tables[k]})"
            for k, s in enumerate(sources)
        )
        out.line(f"SS = {{{per_source}}}")

    def read_sheets(self, judged: list[int], slots: list[str], may_be_none: set[int]) -> None:
        """Judged scores into `j{indicator}_{source}`: inline for the common case (every sheet
        present with exactly its judged names and plain numbers in range), else `_sheets`,
        which reads anything and reports every problem."""
        out = self.out
        flags = "(" + "".join(f"{slots[i]} is not None, " for i in judged) + ")"
        every = "(" + "".join(f"{slot} is not None, " for slot in slots) + ")"
        targets = [f"j{i}_{k}" for k in range(len(self.r.table_sources)) for i in judged]
        out.line("JR = {}")
        out.line("CR = None")
        if not judged:
            out.line(f"if S: JR, CR = _sheets(S, {every})[1:]")
            return
        reader = SheetReader(self.c.plan)
        if not reader.fast:  # reasons are required: only the full reader checks them
            out.line(f"J, JR, CR = _sheets(S, {every})")
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
        out.line(f"    J, JR, CR = _sheets(S, {every})")
        out.line(f"    {', '.join(targets)}, = J")

    def adjusted(self, i: int, k: int, source: str, slot: str, may_be_none: bool) -> str:
        """`q{i}_{k}`: indicator i's computed score moved by source k's adjustment (`j{i}_{k}`),
        held in its bounds again, traced as the interpreter traces it; None where it does not apply."""
        out, info = self.out, self.c.plan.indicators[i]
        target, adjustment, by = f"q{i}_{k}", f"j{i}_{k}", info.judged_by or source
        if may_be_none:
            out.line(f"if {slot} is None: {target} = None")
            out.line("else:")
            out.depth += 1
        bounds = f"{self.const(info.max)}, {info.uncapped}"
        if self.traced:
            out.line(f"{target}, why = _bounded({slot} + {adjustment}, {bounds})")
            args = f"{i}, {info.adjust_clause}, {by!r}, {adjustment}, JR[{by!r}][{i}][1], {target}, {source!r}"
            out.line(f"T.append(_adjust_trace({args}))")
            out.line(
                f"if why is not None: T.append(_CT({i}, -1, 'clamp', True, [], {target}, _aclamp(why, {source!r})))"
            )
        else:
            out.line(f"{target} = _bounded({slot} + {adjustment}, {bounds})[0]")
        if may_be_none:
            out.depth -= 1
        return target

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
                f"_share({self.const(dim.weight.value if dim.weight else 0)}, {dvar}, {mvar}, {dim.name!r}, C)"
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
                out.line(f"    R{k} = {tvar}; {tvar} = _prorate({tvar}, {scale}, A{k}, C)")
                if self.traced:
                    out.line(f"    {note}")
            elif static_total != scale_value:
                out.line(
                    f"R{k} = {tvar}; A{k} = {self.const(static_total)}; {tvar} = _prorate({tvar}, {scale}, A{k}, C)"
                )
                if self.traced:
                    out.line(note)
        return tvar

    def penalty(self, before: str) -> None:
        """`TOT` (and `P`): the total after the penalty items, each traced, as `deducted` says."""
        out, r = self.out, self.r
        if r.penalty is None:
            out.line(f"TOT = {before}")
            out.line("P = _Z")
            return
        ec = ExprCompiler(self.names, dict(r.lets), traced=self.traced, fused=self.c.fused)
        moved: list[str] = []
        for number, item in enumerate(r.penalty.items):
            clause, var, reads = item.clause, f"M{number}", f"P{number}" if self.traced else None
            out.span = item.span
            if reads:
                out.line(f"{reads} = []")
            if clause.when is not None:
                out.line(f"if {ec.compile(clause.when, reads=reads)}:")
                out.depth += 1
            out.line(f"{var} = {self.c.points_moved(clause, ec, reads)}")
            if reads:
                out.line(
                    f"T.append(_CT(-1, {number}, 'penalty', True, {reads}, _signed('deduct', {var}), {item.name!r}))"
                )
            if clause.when is not None:
                out.depth -= 1
                out.line("else:")
                out.line(f"    {var} = 0")
                if reads:
                    out.line(f"    T.append(_CT(-1, {number}, 'penalty', False, {reads}, 0, {item.name!r}))")
            moved.append(var)
        out.span = None
        total = " + ".join(moved) if moved else "0"
        out.line(f"P, TOT, why = _deducted({before}, _Z + {total}, {self.const(r.penalty.max.value)})")
        if self.traced:
            out.line("if why is not None: T.append(_CT(-1, -1, 'penalty', True, [], TOT, why))")

    def combine(self, sources: list[str], tables: list[str]) -> str:
        out, r = self.out, self.r
        ec = ExprCompiler(self.names, dict(r.lets), traced=False, fused=self.c.fused)
        if r.assess is None:
            out.line("EX = None")
            combined = tables[0]
        else:
            parts: list[str] = []
            weighted: list[tuple[str, str]] = []
            notes: list[str] = []
            for source in r.assess.sources:
                weight = self.const(source.weight.value)
                if source.value is None:
                    parts.append(f"({source.name!r}, {weight}, {tables[sources.index(source.name)]})")
                    weighted.append((weight, tables[sources.index(source.name)]))
                    continue
                # `semantics.sources`: a missing input, or a none value, excludes the source or fails the record
                value, note = f"V_{len(self.values)}", f"X_{len(self.values)}"
                out.span = source.span
                inputs = self.names.source_inputs(source.value)
                reads = "".join(f"({name!r}, {self.names.read_code('r', self.names.root, name)}), " for name in inputs)
                missing = f"{source.name!r}, {source.missing!r}"
                if inputs:
                    out.line(f"{note} = _missing_source({missing}, ({reads}))")
                else:  # known now: nothing can be missing
                    out.line(f"{note} = {missing_source(source.name, source.missing, ())!r}")
                out.line(f"{value} = None if {note} is not None else {ec.compile(source.value)}")
                out.line(f"if {value} is None and {note} is None: {note} = _none_source({missing})")
                out.line(f"{value} = None if {value} is None else _D({value})")
                out.span = None
                self.values.append((source.name, value))
                parts.append(f"({source.name!r}, {weight}, {value})")
                weighted.append((weight, value))
                notes.append(f"{source.name!r}: {note}")
            if may_exclude([s.missing for s in r.assess.sources]):
                out.line(f"CMB, EX = _assessed(({', '.join(parts)},), {{{', '.join(notes)}}}, C, T)")
            else:  # every value is present: `assessed` reduces to its sum
                out.line(f"CMB = {combined_inline(weighted)}")
                out.line("EX = None")
            combined = "CMB"
        if r.bonus is not None and r.bonus.items:
            for number, item in enumerate(r.bonus.items):
                clause = item.clause
                amount = self.c.points_moved(clause, ec, None)
                out.span = item.span
                out.line(
                    f"B{number} = {amount} if {ec.compile(clause.when)} else 0"
                    if clause.when
                    else f"B{number} = {amount}"
                )
                if self.traced:
                    out.line(f"T.append(_CT(-1, {number}, 'bonus', B{number} != 0, [], B{number}, {item.name!r}))")
            out.span = None
            items = " + ".join(f"B{number}" for number in range(len(r.bonus.items)))
            out.line(f"B = _capped(_D({items}), {self.const(r.bonus.max.value)})")
        else:
            out.line("B = _Z")
        return combined
