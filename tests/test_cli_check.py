"""`ind check` as users run it: exit codes, `--strict`, output formats, and inputs that must never
produce a traceback (huge, binary, deeply nested), through the real entry point in a subprocess.

Exit codes: 0 clean (warnings allowed), 1 errors (or warnings with `--strict`), 2 usage.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import SPEC_EXAMPLES, clean_ruleset, project_with

from indicator_dsl.cli.main import main
from indicator_dsl.syntax.diagnostics import CODES

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
BAD = CORPUS / "bad"
GOOD = CORPUS / "good"
BAD_SHOWN = BAD.relative_to(ROOT)  # relative paths are shown as given: stable in assertions
EXPECT = re.compile(r"^# expect: ([EW]\d{3}) line \d+", re.MULTILINE)
GITHUB_LINE = re.compile(r"^::(error|warning) file=[^,]+,line=\d+(,[A-Za-z]+=[^,:]*)*::.+$")


def bad_cases() -> list[Path]:
    return sorted(p for p in BAD.iterdir() if p.is_dir() or p.suffix == ".ind")


def expected_codes(case: Path) -> set[str]:
    files = [case] if case.is_file() else sorted(case.rglob("*.ind"))
    return {code for f in files for code in EXPECT.findall(f.read_text(encoding="utf-8"))}


def case_id(case: Path) -> str:
    return case.stem if case.is_file() else case.name


def ind_check(*args: str | Path) -> int:
    return main(["check", *map(str, args)])


def run_module(*args: str | Path, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "indicator_dsl", "check", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=ROOT,
    )
    return done, time.monotonic() - start


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def clean_text() -> str:
    """Imports the spec's schema from a project made with `project_with`."""
    return clean_ruleset(Path("branch.ind"))


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize("case", bad_cases(), ids=case_id)
def test_bad_case_exit_code(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    codes = expected_codes(case)
    has_errors = any(code.startswith("E") for code in codes)
    assert ind_check(case) == (1 if has_errors else 0)
    out = capsys.readouterr().out
    for code in codes:
        assert f"[{code}]" in out
    assert ind_check("--strict", case) == 1


def test_clean_corpus_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check(GOOD) == 0
    count = len(list(GOOD.rglob("*.ind")))
    assert capsys.readouterr().out == f"{count} file(s) checked: no problems\n"


def test_clean_corpus_is_clean_in_strict_mode_too() -> None:
    assert ind_check("--strict", GOOD) == 0


def test_warnings_alone_exit_0_and_strict_makes_them_1(capsys: pytest.CaptureFixture[str]) -> None:
    case = BAD / "unused_let.ind"
    assert ind_check(case) == 0
    out = capsys.readouterr().out
    assert "warning[W501]" in out
    assert out.rstrip().endswith("1 warning")
    assert ind_check("--strict", case) == 1
    assert ind_check(case, "--strict") == 1


def test_errors_and_warnings_together_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check(BAD / "several_errors_in_one_file.ind") == 1
    assert capsys.readouterr().out.rstrip().endswith("4 errors, 1 warning")


def test_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("no/such/file.ind") == 2
    captured = capsys.readouterr()
    assert "no/such/file.ind: no such file or folder" in captured.err
    assert captured.out == ""


def test_missing_path_beside_a_good_one_still_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check(GOOD, "missing.ind") == 2
    assert "missing.ind" in capsys.readouterr().err


def test_folder_without_ind_files_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "readme.txt").write_text("nothing to check", encoding="utf-8")
    assert ind_check(tmp_path) == 2
    assert "no .ind files found" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [[], ["--format", "xml", "x.ind"], ["--no-such-option", "x.ind"], ["--format"]], ids=repr
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check(*argv) == 2
    captured = capsys.readouterr()
    assert "usage: ind check" in captured.err
    assert "Traceback" not in captured.err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("--help") == 0
    assert "--strict" in capsys.readouterr().out


# ---------------------------------------------------------------- output formats


def test_json_format_is_a_parseable_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("--format", "json", BAD_SHOWN / "several_errors_in_one_file.ind") == 1
    items = json.loads(capsys.readouterr().out)
    assert [(i["code"], i["line"], i["severity"]) for i in items] == [
        ("W501", 11, "warning"),
        ("E200", 15, "error"),
        ("E203", 18, "error"),
        ("E204", 21, "error"),
        ("E306", 25, "error"),
    ]
    assert items[1]["file"] == "tests/corpus/bad/several_errors_in_one_file.ind"
    assert items[1]["hint"] == "did you mean `members`?"
    assert items[1]["title"] == CODES["E200"]
    assert '"支委" is not one of the values' in items[2]["message"]  # not escaped to \\u


def test_json_format_of_a_clean_check_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("--format", "json", GOOD) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_sarif_format_is_sarif_2_1_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("--format", "sarif", BAD_SHOWN / "catalog_ambiguous_routes") == 1
    log = json.loads(capsys.readouterr().out)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["E400"]
    [result] = run["results"]
    assert result["ruleId"] == "E400"
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "tests/corpus/bad/catalog_ambiguous_routes/organs.ind"
    assert location["region"]["startLine"] == 7
    assert result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 6


def test_github_format_is_one_annotation_per_diagnostic(capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("--format", "github", BAD_SHOWN / "several_errors_in_one_file.ind") == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    for line in lines:
        assert GITHUB_LINE.match(line), line
    assert lines[0].startswith("::warning file=tests/corpus/bad/several_errors_in_one_file.ind,line=11,")
    assert "title=E200 unknown name::unknown name `membrs`%0Ahint: did you mean `members`?" in lines[1]


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_machine_formats_never_print_the_clean_summary(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert ind_check("--format", fmt, GOOD / "rulesets" / "party_gov.ind") == 0
    assert "no problems" not in capsys.readouterr().out


# ---------------------------------------------------------------- the real entry point


def test_module_entry_point_checks_a_bad_case() -> None:
    done, _ = run_module(BAD_SHOWN / "unknown_field.ind")
    assert done.returncode == 1
    assert done.stdout.startswith("tests/corpus/bad/unknown_field.ind:11:45: error[E201]: Meeting has no field `kinds`")
    assert done.stderr == ""


def console_script() -> str | None:
    """The `ind` script of the interpreter running the tests (a venv's bin, even when the venv is
    not on PATH), else the one on PATH."""
    beside = Path(sys.executable).with_name("ind")
    return str(beside) if beside.is_file() else shutil.which("ind")


def test_console_script_is_installed() -> None:
    ind = console_script()
    if ind is None:
        pytest.skip("no `ind` console script beside the interpreter or on PATH: install the package (pip install -e .)")
    done = subprocess.run([ind, "check", str(GOOD)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("file(s) checked: no problems\n")


def test_spec_examples_check_clean_from_the_command_line() -> None:
    done, _ = run_module(SPEC_EXAMPLES / "rulesets" / "party_gov.ind", SPEC_EXAMPLES / "rulesets" / "finance.ind")
    assert (done.returncode, done.stderr) == (0, "")


def hostile_inputs() -> dict[str, tuple[bytes, str, list[str]]]:
    """name -> (bytes, the code expected, extra CLI options)."""
    spec_ruleset = (GOOD / "rulesets" / "party_gov.ind").read_bytes()
    return {
        "empty": (b"", "E012", []),
        "binary": (bytes(range(256)) * 64, "E002", []),
        "invalid_utf8": (clean_text().encode() + b"\n# \xc3\x28\n", "E002", []),
        "nested_5000": (clean_text().replace("not secretary_trained", "(" * 5000 + ")" * 5000).encode(), "E013", []),
        # the spec's ruleset repeated to 10 MB: the second `import` is out of place
        # past the loader's size limit (MAX_FILE_BYTES): refused before anything is parsed
        "ten_mb_lines": (spec_ruleset * (10_000_000 // len(spec_ruleset) + 1), "E003", []),
        # one 10 MB line: text output would print it whole, so JSON (see the report on render.py)
        "ten_mb_token": (b"x" * 10_000_000, "E003", ["--format", "json"]),
        "ten_mb_parens": (b"(" * 10_000_000, "E003", ["--format", "json"]),
        "one_mb_token": (b"x" * 1_000_000, "E010", ["--format", "json"]),
        "one_mb_parens": (b"(" * 1_000_000, "E003", ["--format", "json"]),  # a million tokens
    }


@pytest.mark.parametrize("name", list(hostile_inputs()))
def test_hostile_input_gives_a_diagnostic_quickly_and_no_traceback(name: str, tmp_path: Path) -> None:
    data, code, options = hostile_inputs()[name]
    path = tmp_path / f"{name}.ind"
    path.write_bytes(data)
    done, seconds = run_module(*options, path)
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert f"[{code}]" in done.stdout or f'"code": "{code}"' in done.stdout
    assert len(done.stdout) < 100_000  # a diagnostic, not an echo of the input
    assert seconds < 15, f"{name} took {seconds:.1f}s"


def test_a_good_file_with_crlf_and_bom_checks_clean_end_to_end(tmp_path: Path) -> None:
    path = project_with(tmp_path, CORPUS / "schema" / "branch.ind") / "windows.ind"
    path.write_bytes(b"\xef\xbb\xbf" + clean_text().replace("\n", "\r\n").encode())
    done, _ = run_module(path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "1 file(s) checked: no problems\n"
