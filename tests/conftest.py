"""Shared pytest options.

`--update-goldens` rewrites the golden files of `tests/golden/check/` (diagnostics) and
`tests/golden/eval/` (eval results) from the current output instead of comparing with them;
review the diff before committing it.
"""

from __future__ import annotations

import contextlib
import warnings

import pytest

# When a Hypothesis test fails, its pytest plugin imports `hypothesis.extra._patching` (and through
# it libcst and mypy_extensions) inside a reporting hook; with `filterwarnings = error` the
# DeprecationWarning that mypy_extensions raises on import turns the failure into an INTERNALERROR
# that hides the falsifying example. Importing it once here, quietly, keeps failures readable.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
