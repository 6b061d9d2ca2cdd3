"""How a platform such as 机关党建云 embeds indicator_dsl.

The catalog is loaded (parsed, checked, compiled) once at start-up; afterwards each
branch record arriving as a dict — from a web form, a message queue or a database row —
is routed to its category's ruleset and scored in microseconds. Errors in a record come
back inside the result (never as exceptions), so one bad record cannot stop the service.

    python examples/host_app.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import indicator_dsl

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"


class BranchScoringService:
    """The part of the platform that grades branches; one instance per process."""

    def __init__(self, catalog_path: Path) -> None:
        try:
            self.catalog = indicator_dsl.load(catalog_path)
        except indicator_dsl.RulesetError as error:
            # A ruleset that does not check is a deployment error: refuse to start, say why.
            raise SystemExit(f"cannot start: {error}") from None

    def grade(self, record: dict[str, Any]) -> dict[str, Any]:
        """Score one branch and answer with what the platform shows."""
        result = self.catalog.evaluate(record)
        if result.errors:
            return {"id": result.id, "ok": False, "errors": [f"{e.path}: {e.message}" for e in result.errors]}
        return {
            "id": result.id,
            "ok": True,
            "ruleset": result.ruleset.name,
            "total": str(result.total),
            "grade": result.grade_label,
            "programme": result.outcomes.get("programme"),
        }

    def grade_year(self, records: list[dict[str, Any]]) -> dict[str, int]:
        """The year-end run: quotas apply across the batch; returns the grade counts."""
        batch = self.catalog.evaluate_many(records)
        return dict(batch.grade_counts())


def main() -> int:
    service = BranchScoringService(CATALOG)
    records = [indicator_dsl_loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for record in records[:3]:
        print(json.dumps(service.grade(record), ensure_ascii=False))
    broken = dict(records[0], members="twelve")
    print(json.dumps(service.grade(broken), ensure_ascii=False))
    print("year-end grade counts:", service.grade_year(records))
    return 0


def indicator_dsl_loads(line: str) -> Any:
    """JSON with exact decimals, as the engine reads it (no binary floats)."""
    from indicator_dsl.evaluate.inputs import loads

    return loads(line)


if __name__ == "__main__":
    sys.exit(main())
