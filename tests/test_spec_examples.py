"""Every complete example of LANGUAGE.md checks clean, and so does every fragment of sections 6.1,
7 and 9 placed in a complete ruleset (tests/corpus/good/, reused by the evaluator's tests).

The examples and fragments are read from their copies in examples/spec/ (kept equal to the spec by
hand, see its README), never from the spec itself. The good corpus is compared with those copies,
so its fixtures cannot drift from them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from support import SPEC_EXAMPLES

from indicator_dsl.check.paths import check_paths
from indicator_dsl.check.renderers import render_text
from indicator_dsl.check.resolved import ResolvedCatalog, ResolvedRuleset
from indicator_dsl.check.resolver import Resolver

ROOT = Path(__file__).resolve().parents[1]
FRAGMENTS = SPEC_EXAMPLES / "fragments.md"
GOOD = ROOT / "tests" / "corpus" / "good"
GOOD_FILES = sorted(GOOD.rglob("*.ind"))

# The complete examples of LANGUAGE.md (sections 4, 6 and 7), as files of examples/spec.
COMPLETE = ["schema/branch.ind", "rulesets/party_gov.ind", "rulesets/finance.ind"]


def code_blocks() -> list[str]:
    """The code blocks of examples/spec/fragments.md: fragments of LANGUAGE.md, verbatim."""
    return [
        body
        for lang, body in re.findall(r"```(\w*)\n(.*?)```", FRAGMENTS.read_text(encoding="utf-8"), re.S)
        if lang == ""
    ]


def block_starting(prefix: str) -> str:
    [block] = [b for b in code_blocks() if b.startswith(prefix)]
    return block


def normalized(text: str) -> str:
    """Lines without their indentation: a fragment nested one level deeper still matches."""
    return "\n".join(line.strip() for line in text.splitlines())


def indicator_fragments(block: str) -> dict[str, str]:
    """Each `indicator NAME ... { ... }` of a code block, by name, braces matched."""
    out: dict[str, str] = {}
    for match in re.finditer(r"^indicator (\w+)", block, re.M):
        depth, end = 0, match.start()
        for end in range(match.start(), len(block)):
            depth += {"{": 1, "}": -1}.get(block[end], 0)
            if block[end] == "}" and depth == 0:
                break
        out[match[1]] = block[match.start() : end + 1]
    return out


def assert_clean(*paths: Path) -> None:
    report = check_paths(paths)
    assert report.diagnostics == [], render_text(report.diagnostics, report.sources)


# ---------------------------------------------------------------- the complete examples


@pytest.mark.parametrize("name", COMPLETE)
def test_example_file_checks_clean(name: str) -> None:
    assert_clean(SPEC_EXAMPLES / name)


def test_examples_check_clean_together() -> None:
    report = check_paths([SPEC_EXAMPLES])
    assert report.diagnostics == []
    assert sorted(m.name for m in report.modules) == ["branch", "finance", "party_gov"]


@pytest.mark.parametrize("name", COMPLETE)
def test_good_corpus_copies_the_examples(name: str) -> None:
    assert (GOOD / name).read_bytes() == (SPEC_EXAMPLES / name).read_bytes()


# ---------------------------------------------------------------- the good corpus


def test_good_corpus_is_there() -> None:
    names = {p.relative_to(GOOD).as_posix() for p in GOOD_FILES}
    assert {
        "schema/branch.ind",
        "schema/branch61.ind",
        "rulesets/party_gov.ind",
        "rulesets/finance.ind",
        "rulesets/shapes_61.ind",
        "rulesets/dimension_weights.ind",
        "rulesets/star_grading.ind",
        "rulesets/expressions.ind",
        "catalog/jiangsu_organs.ind",
    } <= names


@pytest.mark.parametrize("path", GOOD_FILES, ids=lambda p: p.relative_to(GOOD).as_posix())
def test_good_file_checks_clean(path: Path) -> None:
    assert_clean(path)


def test_good_corpus_checks_clean_as_one_project() -> None:
    assert_clean(GOOD)


# ---------------------------------------------------------------- the fragments are the spec's


def test_every_61_indicator_fragment_is_in_the_shapes_ruleset() -> None:
    fragments = indicator_fragments(block_starting("# ordinal rating"))
    assert sorted(fragments) == sorted(
        ["secretary_role", "frequency", "practice", "attendance", "systems", "activists", "cadre", "innovation"]
    )
    shapes = normalized((GOOD / "rulesets" / "shapes_61.ind").read_text(encoding="utf-8"))
    for name, fragment in fragments.items():
        assert normalized(fragment) in shapes, f"6.1 fragment `{name}` is not verbatim in shapes_61.ind"


def test_the_dimension_weight_line_is_in_the_weights_ruleset() -> None:
    [line] = re.findall(r"`(dimension team [^`]*weight 20%)`", FRAGMENTS.read_text(encoding="utf-8"))
    assert line + " {" in (GOOD / "rulesets" / "dimension_weights.ind").read_text(encoding="utf-8")


def test_every_grading_shape_is_in_the_star_ruleset() -> None:
    block = block_starting("exempt ")
    star = (GOOD / "rulesets" / "star_grading.ind").read_text(encoding="utf-8").splitlines()
    lines = block.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["exempt", "assign", "veto", "veto", "quota"]
    for line in lines:
        assert line in star


def test_section_9_catalog_is_completed_in_the_good_catalog() -> None:
    block = block_starting("catalog jiangsu_organs")
    catalog = normalized((GOOD / "catalog" / "jiangsu_organs.ind").read_text(encoding="utf-8")).splitlines()
    for line in normalized(block).splitlines():
        if not line.startswith("..."):  # `...  # all 8` is completed with the eight categories
            assert line in catalog


# ---------------------------------------------------------------- what the clean files mean


def resolve(path: Path) -> ResolvedRuleset | ResolvedCatalog:
    resolver = Resolver()
    module = resolver.resolve_path(path)
    assert resolver.diagnostics == []
    assert isinstance(module, (ResolvedRuleset, ResolvedCatalog))
    return module


def test_finance_extension_resolves_as_section_7_says() -> None:
    finance = resolve(GOOD / "rulesets" / "finance.ind")
    assert isinstance(finance, ResolvedRuleset)
    assert finance.base is not None and finance.base.name == "party_gov"
    maxima = {d.name: d.max for d in finance.dimensions}
    assert maxima == {"organisation": 10, "activities": 45, "team": 10, "institutions": 15, "support": 15}
    assert sum(maxima.values()) == Decimal(95)
    assert finance.rescale is not None and finance.rescale.to.value == 100
    how = {i.node.name: (i.how, Path(i.origin.path).name, i.origin.line) for i in finance.indicators()}
    assert how["budget_party"] == ("added", "finance.ind", 7)
    assert how["lesson"] == ("override", "finance.ind", 11)
    assert how["election"] == ("base", "party_gov.ind", 10)
    assert "committee" not in how
    assert [r.reason for r in finance.removed] == ["本部门支部均为3人以下支部,不设支委会"]


def test_the_catalog_routes_to_both_rulesets() -> None:
    catalog = resolve(GOOD / "catalog" / "jiangsu_organs.ind")
    assert isinstance(catalog, ResolvedCatalog)
    assert sorted(catalog.rulesets) == ["finance", "party_gov"]


def test_shapes_ruleset_keeps_the_61_modifiers() -> None:
    shapes = resolve(GOOD / "rulesets" / "shapes_61.ind")
    assert isinstance(shapes, ResolvedRuleset)
    indicators = {i.node.name: i.node for i in shapes.indicators()}
    assert indicators["activists"].uncapped
    assert indicators["cadre"].applies is not None
    assert [c.by for c in indicators["innovation"].clauses] == ["superior"]  # type: ignore[union-attr]
    assert sum(d.max for d in shapes.dimensions) == shapes.total.value.value  # type: ignore[union-attr]
