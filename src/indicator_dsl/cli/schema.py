"""`ind schema RULESET`: the JSON Schema of the records a ruleset scores."""

from __future__ import annotations

import json
import sys

from .common import ArgumentParser, load_or_report


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind schema", description="Print the JSON Schema of a ruleset's record type.")
    parser.add_argument("ruleset", help="a ruleset .ind file (or a catalog: its first ruleset's record)")
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    model = load_or_report(args.ruleset, "ind schema")
    if model is None:
        return 2
    engine = model.engine if hasattr(model, "engine") else next(iter(model.engines.values()))
    schema = engine.models.root.model_json_schema()
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return 0
