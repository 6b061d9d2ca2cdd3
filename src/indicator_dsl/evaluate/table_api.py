"""Which backend scores a table, for `Ruleset.read_table` / `evaluate_table` and `ind eval`.

`backend="columnar"` compiles the columnar plan when the ruleset is loaded and refuses a
ruleset it cannot compile (`ColumnarUnsupported` names the construct); `backend="auto"`
compiles it when it can and otherwise scores tables with the Python backend, saying why
(`note`). The Python backends (`compiled`, `interpreted`) score a table row by row with the
same result columns. polars is imported only when a table is used: it is the optional
`columnar` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..check.resolved import ResolvedRuleset
from .engine import Engine

if TYPE_CHECKING:
    from .columnar import ColumnarScorer

TABLE_BACKENDS = ("columnar", "auto")
INSTALL = "pip install -e '.[columnar]'"


class ColumnarUnsupported(ValueError):
    """`backend="columnar"` for a ruleset the columnar compiler cannot write exactly."""


class BatchScorer(Protocol):
    def evaluate_many(self, records: Any) -> Any: ...


def python_backend(backend: str) -> str:
    """The Python backend behind a table backend: single records, traces and `--explain`."""
    return "compiled" if backend in TABLE_BACKENDS else backend


def columnar_scorer(engine: Engine, resolved: ResolvedRuleset) -> ColumnarScorer:
    try:
        from .columnar import ColumnarScorer
    except ImportError as error:  # pragma: no cover - the extra is installed in CI
        raise ImportError(f"the columnar backend needs polars and pyarrow: {INSTALL}") from error
    return ColumnarScorer(engine, resolved)


class TableScoring:
    def __init__(
        self, engine: Engine | None, resolved: ResolvedRuleset | None, backend: str, *, history: bool = False
    ) -> None:
        """`engine` and `resolved` of a ruleset; None for a catalog (scored by the Python backend).
        `history`: the model was given earlier years' results, which only the Python backend reads."""
        self.engine = engine
        self.scorer: ColumnarScorer | None = None
        self.note: str | None = None
        self.types = resolved.types if resolved is not None else {}  # the record schema, for Arrow
        if backend not in TABLE_BACKENDS:
            return
        if engine is None or resolved is None:
            self.note = "a catalog is scored by the Python backend: the columnar backend routes no records yet"
            return
        from ..codegen.columnar_exprs import Unsupported

        try:
            if history:
                raise Unsupported("earlier years' results (`history=`, `--history`)")
            self.scorer = columnar_scorer(engine, resolved)
        except Unsupported as error:
            if backend == "columnar":
                raise ColumnarUnsupported(f"the columnar backend cannot score `{engine.plan.name}`: {error}") from None
            self.note = (
                f"`{engine.plan.name}` is scored by the Python backend: the columnar backend does not support {error}"
            )

    def read(self, source: Any) -> Any:
        from .tables import read_table

        return read_table(source)

    def evaluate(self, model: BatchScorer, table: Any) -> Any:
        """The results frame: by the columnar plan, or row by row by the Python backend."""
        if self.scorer is not None:
            return self.scorer.evaluate(table)
        if self.engine is None:
            raise ValueError("a catalog scores no table yet: read its records and call evaluate_many")
        from .columnar_results import python_table

        return python_table(self.engine, model, self.read(table))
