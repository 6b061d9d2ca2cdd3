"""`ind test --format junit`: the suite as JUnit XML, the format CI systems read.

One `<testsuite>` per YAML file, one `<testcase>` per case (classname: the file, name: the
case's name). A failed case has one `<failure>` whose message is its first failure and whose
text lists them all, each comparison as `what`, `expected` and `actual` lines, then the trace
lines `ind test` prints. A file that could not be run at all (unreadable, no such ruleset,
a ruleset with errors) is a `<testsuite>` with one `<testcase>` holding an `<error>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..cases import CaseOutcome, SuiteReport


def _failure_text(case: CaseOutcome) -> str:
    lines: list[str] = []
    compared = {f"{m.what}: expected {m.expected}, got {m.actual}": m for m in case.mismatches}
    for failure in case.failures:
        mismatch = compared.get(failure)
        if mismatch is None:
            lines.append(failure)
        else:
            lines += [mismatch.what, f"  expected: {mismatch.expected}", f"  actual:   {mismatch.actual}"]
    lines += [f"trace: {line}" for line in case.trace_lines]
    return "\n".join(lines)


def junit_xml(report: SuiteReport) -> str:
    """The report as a JUnit XML document (UTF-8, with its declaration)."""
    root = ET.Element("testsuites", name="ind test")
    suites: dict[str, ET.Element] = {}
    for case in report.cases:
        suite = suites.get(case.file)
        if suite is None:
            suite = suites[case.file] = ET.SubElement(root, "testsuite", name=case.file)
        testcase = ET.SubElement(suite, "testcase", classname=case.file, name=case.name)
        if case.failures:
            failure = ET.SubElement(testcase, "failure", message=case.failures[0], type="expectation")
            failure.text = _failure_text(case)
    for problem in report.problems:
        file = problem.split(":", 1)[0]
        suite = ET.SubElement(root, "testsuite", name=file)
        testcase = ET.SubElement(suite, "testcase", classname=file, name="(cannot run this file)")
        error = ET.SubElement(testcase, "error", message=problem, type="problem")
        error.text = problem
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root:
        cases = list(suite)
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("skipped", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["junit_xml"]
