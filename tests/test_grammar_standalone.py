"""The generated parser: in step with the grammar, and nothing read from a shared temp directory.

`src/indicator_dsl/syntax/_standalone.py` is generated from `grammars/indicator.lark` and
committed, so that starting `ind` or `import indicator_dsl` needs neither Lark nor a cache (Lark's
`cache=True` kept a pickle at a predictable path in the shared temp directory and unpickled it at
start: anyone able to write there could run code in every later process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark

from indicator_dsl.syntax import build_parser
from indicator_dsl.syntax import nodes as n
from indicator_dsl.syntax.builder import TreeBuilder
from indicator_dsl.syntax.grammar import grammar_text, lark_parser
from indicator_dsl.syntax.parser import parse_source
from indicator_dsl.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python -m indicator_dsl.syntax.build_parser"
SHIPPED = ROOT / "rulesets" / "jiangsu"


def generated_in_fresh_process(hash_seed: str) -> str:
    code = "import sys; from indicator_dsl.syntax.build_parser import generate; sys.stdout.write(generate())"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return done.stdout


def test_committed_parser_is_what_the_grammar_generates() -> None:
    """Two string-hash seeds, because Lark numbers states in set order: the generator renumbers them."""
    committed = build_parser.GENERATED.read_text(encoding="utf-8")
    for seed in ("1", "2"):
        fresh = generated_in_fresh_process(seed)
        assert fresh == committed, (
            f"_standalone.py is out of date with grammars/indicator.lark (or was written by another Lark "
            f"version than the one installed, pinned in pyproject.toml): run `{REGENERATE}`"
        )


def test_grammar_is_lalr1_without_terminal_collisions() -> None:
    """Lark's strict mode refuses shift/reduce conflicts and two regex terminals that match the
    same text: with one lexer for the whole file (basic lexer), such a pair would be read by
    priority, not by what the parser expects."""
    Lark(grammar_text(), **build_parser.OPTIONS, strict=True)


def test_generated_parser_has_the_grammar_terminals_and_rules() -> None:
    reference = Lark(grammar_text(), **build_parser.OPTIONS)
    generated = lark_parser()
    assert {(t.name, t.pattern.value) for t in generated.terminals} == {
        (t.name, t.pattern.value) for t in reference.terminals
    }
    rules = {(str(r), str(r.alias)) for r in generated.rules}
    assert rules == {(str(r), str(r.alias)) for r in reference.rules}
    assert len(rules) == 395
    assert generated.options.lexer == "basic"


def test_every_tree_node_the_parser_makes_has_a_builder_method() -> None:
    """A node without a method would reach the checker as a raw parse tree. Lark makes a node
    for every rule or alias not starting with `_`, except `?rule`s that keep a single child."""
    for rule in lark_parser().rules:
        name = str(rule.alias or rule.origin.name)
        kept = [s for s in rule.expansion if not (s.is_term and s.filter_out)]
        if name.startswith("_") or (rule.options.expand1 and not rule.alias and len(kept) == 1):
            continue
        assert callable(getattr(TreeBuilder, name, None)), f"no TreeBuilder method for `{name}` ({rule})"


def diagnostics(text: str) -> list[tuple[str, int, int, str]]:
    result = parse_source(SourceFile("t.ind", text))
    return [(d.code, d.span.line, d.span.column, d.message) for d in result.diagnostics]


HEADER = 'ruleset r "规则" version "1"\nrecord Branch\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an unknown character: the lexer's own exception class, caught at the boundary
        (HEADER + "total ＄", [("E011", 3, 7, "unexpected character `＄`; expected a number, a whole number")]),
        # a token the parser refuses
        (HEADER + "total = 10", [("E010", 3, 7, "unexpected `=`; expected a number, a whole number")]),
        # the end of the text where more is needed
        (HEADER + "period 2023-01-01", [("E012", 3, 18, "the file ends too early; expected `to`")]),
        (HEADER + 'total "x', [("E011", 3, 7, "this text is never closed")]),
    ],
)
def test_each_parse_failure_becomes_a_diagnostic(text: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert diagnostics(text) == expected


def test_keywords_are_read_as_names_where_only_a_name_fits() -> None:
    """docs/decisions.md, "Keywords are not reserved": the parser re-reads a refused keyword as a name."""
    schema = 'schema s "模式"\ntype Branch {\n  total: int\n  record: int\n  max: int\n  when: bool\n}\n'
    result = parse_source(SourceFile("s.ind", schema))
    assert result.diagnostics == []
    assert isinstance(result.module, n.Schema)
    assert [f.name for f in result.module.types[0].fields] == ["total", "record", "max", "when"]
    ruleset = parse_source(SourceFile("r.ind", HEADER + "let weight = record + max\n"))
    assert isinstance(ruleset.module, n.Ruleset)
    let = ruleset.module.items[1]
    assert let == n.Let(name="weight", expr=n.Binary(op="+", left=n.Name(name="record"), right=n.Name(name="max")))


def test_a_keyword_glued_to_a_name_or_number_is_one_name() -> None:
    """`deduct10` and `dimensionteam` are single words, as in every language with names; the
    contextual lexer used to split them into `deduct 10` and `dimension team`."""
    assert diagnostics(HEADER + "total10") == [
        (
            "E010",
            3,
            1,
            "unexpected `total10`; expected `assess`, `assign`, `bonus`, `dimension`, `exempt`, `extend`, "
            "`grades`, `let`, `outcome`, `override`, …",
        )
    ]
    assert diagnostics(HEADER + "period 2023-01-01 to2023-12-31") == [
        ("E010", 3, 19, "unexpected `to2023`; expected `to`")
    ]


# ---------------------------------------------------------------- nothing from a shared temp dir

# Runs in a fresh interpreter with an audit hook: every `open` of a path inside the temp directory
# and every unpickling is recorded, whoever asks for it (Lark, the standard library, this package).
PROBE = """
import json, os, sys
temp = os.path.realpath(os.environ["TMPDIR"])
touched = []

def audit(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path == temp or path.startswith(temp + os.sep):
            touched.append(path)
    elif event.startswith("pickle."):
        touched.append(event)

sys.addaudithook(audit)
{action}
print(json.dumps({{"touched": touched, "modules": sorted(m for m in ("lark", "pydantic") if m in sys.modules)}}))
"""
LOAD = "import indicator_dsl\nindicator_dsl.load({path!r})"
CHECK = (
    "import contextlib, io\nfrom indicator_dsl.cli.main import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['check', {path!r}]) == 0"
)


def probe(action: str, temp: Path) -> dict[str, list[str]]:
    env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    code = PROBE.format(action=action)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    report: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return report


def test_load_reads_nothing_from_the_temp_dir_and_unpickles_nothing(tmp_path: Path) -> None:
    report = probe(LOAD.format(path=str(SHIPPED / "catalog.ind")), tmp_path)
    assert report["touched"] == []
    assert "lark" not in report["modules"]
    assert list(tmp_path.iterdir()) == []


def test_check_needs_neither_lark_nor_pydantic_nor_the_temp_dir(tmp_path: Path) -> None:
    report = probe(CHECK.format(path=str(ROOT / "rulesets")), tmp_path)
    assert report == {"touched": [], "modules": []}
    assert list(tmp_path.iterdir()) == []


def test_ind_check_leaves_the_temp_dir_empty(tmp_path: Path) -> None:
    """The console command as users run it (`run()` is the `ind` entry point)."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "TEMP": str(tmp_path), "TMP": str(tmp_path)}
    command = [sys.executable, "-c", "from indicator_dsl.cli.main import run; run()", "check", str(ROOT / "rulesets")]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, "16 file(s) checked: no problems")
    assert list(tmp_path.iterdir()) == []
