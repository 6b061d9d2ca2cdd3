"""Small input never expands hugely, and nothing raw reaches a terminal or a schema (issue 9,
sections 4 and 7).

YAML aliases are bounded (billion laughs is refused at once); ids are text or whole numbers;
values quoted in messages are cut (`quoted`); the table and `--explain` escape control
characters; model attribute names never collide; numbers written as text follow one ASCII
rule for int and decimal fields; a JSON line that is not UTF-8 is that line's error.
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal, Inexact, Rounded, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaValidator
from pydantic_core import core_schema as cs
from support import run_ind as ind

import indicator_dsl
from indicator_dsl.evaluate.inputs import YAML_ALIAS_VALUES, InputError, read_records
from indicator_dsl.evaluate.results import RecordError, Result, RulesetRef
from indicator_dsl.outputs.formats import as_table
from indicator_dsl.semantics import records
from indicator_dsl.semantics.records import DECIMAL_TEXT, QUOTE_LIMIT, DecimalField, IntField, python_names, quoted

HOSTILE = Path(__file__).resolve().parent / "eval_fixtures" / "hostile"
RULESET = HOSTILE / "hostile.ind"
ESC_ID = "\x1b]0;pwned\x07\x1b[31mred\nfake line"


def laughs(levels: int, width: int = 9) -> str:
    """A YAML record file whose first record's id is an alias nested `levels` deep, `width` wide."""
    lines = ["- anchors:", f"    a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    lines += [f"  id: *a{levels}", "  points: 5", "- {id: ok, points: 7, n: 1, scores: [1]}"]
    return "\n".join(lines) + "\n"


LIST_OF_LISTS = "[[[...], [...], [...], [...], ...], [[...], [...], [...], [...."  # cut at 60 characters


def control_characters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]


# ---------------------------------------------------------------- YAML aliases


def test_billion_laughs_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(9), encoding="utf-8")
    assert len(path.read_bytes()) < 700
    with pytest.raises(ValueError, match=r"aliases expand to more than 100,000 values\n  in .*line 7"):
        list(read_records(path))
    done = ind("eval", RULESET, path)
    assert done.returncode == 2 and not done.stdout
    assert "laughs.yaml: not valid YAML: aliases expand to more than 100,000 values" in done.stderr
    assert len(done.stderr) < 1000


def test_aliases_within_the_bound_read_and_an_aliased_list_id_is_that_records_error(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(3), encoding="utf-8")  # about 2 * 9**4 values through aliases, under the bound
    assert YAML_ALIAS_VALUES > 2 * 9**4
    batch = indicator_dsl.load(RULESET).evaluate_many(read_records(path))
    first, second = batch.results
    assert first.id is None and [(e.path, e.message) for e in first.errors] == [
        (
            "id",
            f"an id is text or a whole number (60 digits at most), not {LIST_OF_LISTS}",
        )
    ]
    assert second.id == "ok" and second.ok
    assert len(first.warnings[0]) < 100  # "unknown field(s) ignored: anchors"


def test_an_alias_to_the_node_that_holds_it_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("- &r {id: a, points: 5, self: *r}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="an alias refers to the node that contains it"):
        list(read_records(path))


def test_ind_test_files_get_the_same_bounds(tmp_path: Path) -> None:
    suite = tmp_path / "laughs.yaml"
    suite.write_text(f"ruleset: {RULESET.as_posix()}\ncases:\n" + laughs(9).replace("- ", "  - ", 1), encoding="utf-8")
    done = ind("test", suite)
    assert done.returncode == 1 and "internal error" not in done.stderr
    assert "aliases expand to more than 100,000 values" in done.stdout


# ---------------------------------------------------------------- ids and quoted values


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (["a"], "['a']"),
        ({"k": 1}, "{'k': 1}"),
        (True, "True"),
        (Decimal("1.5"), "'1.5'"),
        (10**80, "1" + "0" * 27 + "..." + "0" * 29),
    ],
)
def test_an_id_is_text_or_a_whole_number(raw: Any, shown: str) -> None:
    rs = indicator_dsl.load(RULESET)
    result = rs.evaluate({"id": raw, "points": 5, "n": 1, "scores": [1]})
    assert result.id is None
    assert [(e.path, e.message) for e in result.errors] == [
        ("id", f"an id is text or a whole number (60 digits at most), not {shown}")
    ]
    assert rs.evaluate({"id": 42, "points": 5, "n": 1, "scores": [1]}).id == "42"


def nested_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.text(),
        st.integers(),
        st.integers(min_value=10**4000, max_value=10**5000),
        st.decimals(allow_nan=False),
        st.booleans(),
        st.none(),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=40)


@settings(max_examples=200, deadline=None)
@given(nested_values())
def test_quoted_values_are_bounded_and_printable(value: Any) -> None:
    text = quoted(value)
    assert len(text) <= QUOTE_LIMIT + 5
    assert text.isprintable()


def test_quoted_cuts_deep_wide_and_long_values() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    assert quoted(deep) == "[[[...]]]"
    assert quoted(list(range(100))) == "[0, 1, 2, 3, ...]"
    assert quoted("x" * 10_000) == "'" + "x" * 27 + "..." + "x" * 28 + "'"
    assert quoted(10**5000) == "<an integer of about 5000 digits>"


# ---------------------------------------------------------------- what reaches a terminal


def result(rid: str, message: str = "") -> Result:
    ref = RulesetRef(name="r", sha256="0" * 64)
    errors = [RecordError(path=f"sheets.{rid}", message=message)] if message else []
    return Result(id=rid, ruleset=ref, errors=errors)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=5))
def test_the_table_never_prints_a_control_character(ids: list[str]) -> None:
    table = as_table([result(rid, f"bad {rid}") for rid in ids])
    assert control_characters(table) == []
    assert table.count("\n") == len(ids) + 1


def test_ind_eval_table_and_explain_escape_ids_and_values(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    rows = [
        {"id": ESC_ID, "points": 5, "n": 1, "scores": [1], "department": "\x1b[2J"},
        {"id": "b\x1b[31m", "points": "x\x1b[31m", "n": 1, "scores": [1]},
    ]
    records.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    table = ind("eval", RULESET, records)
    assert table.returncode == 1
    assert control_characters(table.stdout) == [] and len(table.stdout.splitlines()) == 3
    assert "\ufffd]0;pwned\ufffd\ufffd[31mred\ufffdfake line" in table.stdout
    assert "points: 'x\\x1b[31m' is not a number" in table.stdout
    explained = ind("eval", RULESET, records, "--explain", ESC_ID)
    assert explained.returncode == 0, explained.stderr
    assert control_characters(explained.stdout) == []
    assert explained.stdout.startswith("\ufffd]0;pwned\ufffd\ufffd[31mred\ufffdfake line — hostile 1\n")
    failed = ind("eval", RULESET, records, "--explain", "b\x1b[31m")
    assert failed.returncode == 1 and control_characters(failed.stdout) == []


# ---------------------------------------------------------------- schema names


@given(st.lists(st.sampled_from(["copy", "json", "class", "_x", "model_y", "field_0", "field_1", "field_1_", "a"])))
def test_model_attribute_names_never_collide(names: list[str]) -> None:
    fields = list(dict.fromkeys(names))
    attributes = python_names(fields)
    assert list(attributes) == fields
    assert len(set(attributes.values())) == len(fields)
    for name, attribute in attributes.items():
        assert attribute.isidentifier() and not attribute.startswith(("_", "model_"))
        assert attribute == name or attribute.startswith("field_")


def test_a_field_renamed_for_pydantic_is_not_dropped_from_the_schema(tmp_path: Path) -> None:
    (tmp_path / "s.ind").write_text(
        'schema awkward "别扭的字段名"\n\ntype R "记录" {\n  id: text "编号"\n  copy: int = 0 "复制"\n'
        '  field_1: int = 0 "一"\n  model_x: int = 0 "模型"\n  class: int = 0 "类"\n}\n',
        encoding="utf-8",
    )
    ruleset = tmp_path / "r.ind"
    ruleset.write_text(
        'import "s.ind"\n\nruleset names "字段名" version "1"\nrecord R\nperiod 2023-01-01 to 2023-12-31\n'
        'total 10\n\ndimension d "分值" max 10 {\n'
        '  indicator p "分值" max 10 { score clamp(copy + field_1 + model_x, 0, 10) }\n}\n',
        encoding="utf-8",
    )
    rs = indicator_dsl.load(ruleset)
    assert isinstance(rs, indicator_dsl.Ruleset)
    assert list(rs.json_schema()["properties"]) == ["id", "copy", "field_1", "model_x", "class"]
    model = rs.record_model.model_validate({"id": "r", "copy": 1, "field_1": 2, "model_x": 3, "class": 4})
    assert model.model_dump(by_alias=True) == {"id": "r", "copy": 1, "field_1": 2, "model_x": 3, "class": 4}
    assert rs.evaluate({"id": "r", "copy": 1, "field_1": 2, "model_x": 3}).total == Decimal("6")
    done = ind("schema", ruleset)
    assert done.returncode == 0 and list(json.loads(done.stdout)["properties"])[1:3] == ["copy", "field_1"]


# ---------------------------------------------------------------- numbers written as text

INT_ADAPTER: TypeAdapter[Any] = TypeAdapter(IntField)
DECIMAL_ADAPTER: TypeAdapter[Any] = TypeAdapter(DecimalField)


def accepts(adapter: TypeAdapter[Any], text: str) -> bool:
    try:
        adapter.validate_python(text)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("text", ["1_0", "\u0661\u0660", "\uff11\uff10", "\u0969", "1\u00a00", "١٫٥", "0x10", "1 0"])
def test_non_ascii_or_separated_digits_are_not_numbers(text: str) -> None:
    assert not accepts(INT_ADAPTER, text)
    assert not accepts(DECIMAL_ADAPTER, text)


@pytest.mark.parametrize(("text", "value"), [("10", 10), (" +7 ", 7), ("-3", -3), ("007", 7)])
def test_ascii_whole_numbers_read_the_same_in_int_and_decimal_fields(text: str, value: int) -> None:
    assert INT_ADAPTER.validate_python(text) == value
    assert DECIMAL_ADAPTER.validate_python(text) == Decimal(value)


@given(st.text(alphabet="0123456789_+-\u0660\u0661\uff10\uff11\u09e6 ", min_size=1, max_size=8))
def test_int_and_decimal_fields_agree_on_whole_numbers(text: str) -> None:
    assert accepts(INT_ADAPTER, text) == accepts(DECIMAL_ADAPTER, text)
    if accepts(INT_ADAPTER, text):
        assert text.strip().lstrip("+-").isascii() and "_" not in text


def test_decimal_texts_still_read_exactly() -> None:
    for text, value in [("0.96", "0.96"), (".5", "0.5"), ("1e3", "1E+3"), ("2.", "2")]:
        assert DECIMAL_ADAPTER.validate_python(text) == Decimal(value)
    rs = indicator_dsl.load(RULESET)
    bad = rs.evaluate({"id": "r", "points": "1_0", "n": 1, "scores": [1]})
    assert [(e.path, e.message) for e in bad.errors] == [("points", "'1_0' is not a number")]
    nan = rs.evaluate({"id": "r", "points": "NaN", "n": 1, "scores": [1]})
    assert [e.message for e in nan.errors] == ["NaN is not a finite number"]


# ---------------------------------------------------------------- bytes that are not UTF-8


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_json_line_that_is_not_utf8_is_that_lines_error(tmp_path: Path, workers: str) -> None:
    path = tmp_path / "records.jsonl"
    good = b'{"id": "a", "points": 8, "n": 1, "scores": [1]}\n'
    path.write_bytes(b"\xef\xbb\xbf" + good + b'{"id": "b\xff", "points": 8}\n' + good.replace(b'"a"', b'"c"'))
    items = list(read_records(path))
    assert items[0]["id"] == "a" and items[2]["id"] == "c"
    assert items[1] == InputError("line 2", "not UTF-8 (byte 10 of the line)")
    out = tmp_path / "out.jsonl"
    done = ind("eval", RULESET, path, "--format", "jsonl", "--out", out, "--workers", workers)
    assert done.returncode == 1, done.stderr
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["a", None, "c"]
    assert results[1]["errors"] == [{"path": "", "message": "line 2: not UTF-8 (byte 10 of the line)"}]
    assert "\ufffd" not in out.read_text(encoding="utf-8")


def test_a_record_with_a_million_bad_items_gets_a_bounded_result() -> None:
    rs = indicator_dsl.load(RULESET)
    bad = rs.evaluate({"id": "r", "points": 5, "n": 1, "scores": ["x"] * 1_000_000})
    assert len(bad.errors) == 21
    assert (bad.errors[0].path, bad.errors[0].message) == ("scores[0]", "'x' is not a number")
    assert (bad.errors[-1].path, bad.errors[-1].message) == ("", "and 999,980 more problem(s)")


# ---------------------------------------------------------------- the decimal rule, texts first and remembered

# the decimal rule as it was before numeric texts were tried first and their Decimals remembered:
# the reference every input must still meet (same value, same exponent, or refused alike)
_FINITE = cs.decimal_schema(allow_inf_nan=False)
_DECIMAL_AS_IT_WAS = SchemaValidator(
    cs.union_schema(
        [
            cs.decimal_schema(strict=True, allow_inf_nan=False),
            cs.chain_schema([cs.int_schema(strict=True), _FINITE]),
            cs.chain_schema([cs.str_schema(strict=True, strip_whitespace=True, pattern=DECIMAL_TEXT), _FINITE]),
            cs.chain_schema([cs.float_schema(strict=True, allow_inf_nan=False), _FINITE]),
        ],
        mode="left_to_right",
        custom_error_type="not_a_number",
        custom_error_message="not a number",
    )
)


def _outcome(validate: Any, value: Any) -> tuple[str, str]:
    try:
        read = validate(value)
    except ValidationError as error:
        return "refused", str([(e["type"], e["msg"]) for e in error.errors()])
    return type(read).__name__, repr(read)


_ANY_INPUT = st.one_of(
    st.text(alphabet="0123456789.eE+- _\t\u0661\uff11", max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=400)
@given(st.lists(_ANY_INPUT, min_size=1, max_size=6), st.integers(min_value=1, max_value=40), st.booleans())
def test_the_decimal_rule_reads_every_input_as_it_did(values: list[Any], precision: int, trap_rounding: bool) -> None:
    """Numeric texts are tried first and their Decimals remembered: every input, met once or
    again, under any caller's decimal context, gives what the rule gave before."""
    with localcontext() as context:
        context.prec = precision
        context.traps[Rounded] = context.traps[Inexact] = trap_rounding
        for value in values + values:  # the second time, a text's Decimal is the remembered one
            now, before = DECIMAL_ADAPTER.validate_python, _DECIMAL_AS_IT_WAS.validate_python
            assert _outcome(now, value) == _outcome(before, value)


def test_remembered_decimals_are_bounded_and_stay_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "REMEMBERED_TEXTS", 3)
    records.DECIMAL_TEXTS_SEEN.clear()
    texts = [f"{n}.5" for n in range(10)]
    for _ in range(2):
        assert [DECIMAL_ADAPTER.validate_python(text) for text in texts] == [Decimal(text) for text in texts]
        assert len(records.DECIMAL_TEXTS_SEEN) <= 3


def test_long_numeric_texts_are_read_but_not_remembered() -> None:
    """A record may hold a numeric text of any length; the memory keeps only short ones."""
    records.DECIMAL_TEXTS_SEEN.clear()
    long_text = "1" * 100_000 + ".5"
    assert DECIMAL_ADAPTER.validate_python(long_text) == Decimal(long_text)
    assert DECIMAL_ADAPTER.validate_python("0.97") == Decimal("0.97")
    assert list(records.DECIMAL_TEXTS_SEEN) == ["0.97"]
