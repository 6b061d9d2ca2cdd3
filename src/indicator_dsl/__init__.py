"""indicator_dsl: a declarative indicator language and rules engine.

The public API is small: `load()` a ruleset or catalog, then `evaluate()` records.
Heavy imports (pydantic, Lark) wait until they are needed, so `ind --version` is instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import Catalog, Ruleset, load
    from .check.paths import check_paths
    from .syntax.diagnostics import Diagnostic, RulesetError

_LAZY = {
    "load": "api",
    "Ruleset": "api",
    "Catalog": "api",
    "Diagnostic": "syntax.diagnostics",
    "RulesetError": "syntax.diagnostics",
    "check_paths": "check.paths",
}

__all__ = ["Catalog", "Diagnostic", "Ruleset", "RulesetError", "__version__", "check_paths", "load"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'indicator_dsl' has no attribute {name!r}")
