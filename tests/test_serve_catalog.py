"""`ind serve` of the Jiangsu catalog: routing, catalog quotas and nominations over a batch, as `ind eval`."""

from __future__ import annotations

import json
from pathlib import Path

from examples.province.generate import generate_province
from serving import jsonl, running
from support import run_ind

from indicator_dsl.serve import ServeConfig, create_app

CATALOG = Path(__file__).resolve().parent.parent / "rulesets" / "jiangsu" / "catalog.ind"


def test_the_catalog_served_answers_as_ind_eval(tmp_path: Path) -> None:
    province = generate_province(120, seed=2023)
    (tmp_path / "province.jsonl").write_text(jsonl(province), encoding="utf-8")
    expected = run_ind("eval", CATALOG, tmp_path / "province.jsonl", "--format", "jsonl")
    assert expected.returncode == 0, expected.stderr
    chosen = next(r for r in province if r["category"] != "party_gov")
    (tmp_path / "one.json").write_text(json.dumps(chosen, ensure_ascii=False), encoding="utf-8")
    explained = run_ind("eval", CATALOG, tmp_path / "one.json", "--explain", chosen["id"])
    with running(create_app(ServeConfig(source=str(CATALOG)))) as client:
        served = client.get("/v1/rulesets").json()
        batch = client.post("/v1/batch", json=province)
        explain = client.post("/v1/explain", json=chosen).json()
        schemas = {r["name"]: client.get(f"/v1/rulesets/{r['name']}/schema").status_code for r in served["rulesets"]}
    assert served["kind"] == "catalog" and served["name"] == "jiangsu_organs" and len(served["rulesets"]) == 13
    assert batch.text == expected.stdout
    routed = {json.loads(line)["ruleset"]["name"] for line in batch.text.splitlines()}
    assert len(routed) >= 5
    assert explain["text"] == explained.stdout
    assert set(schemas.values()) == {200}
