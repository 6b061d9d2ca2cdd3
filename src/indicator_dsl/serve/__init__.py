"""`ind serve`: scoring over HTTP for hosts that are not Python (docs/serve.md).

    from indicator_dsl.serve import ServeConfig, create_app
    app = create_app(ServeConfig(source="rulesets/jiangsu/catalog.ind"))

Needs the `serve` extra (Starlette; uvicorn for `ind serve`): `pip install 'indicator-dsl[serve]'`.
The package stands at the level of the CLI: it reads `ind schema`'s record schema.
"""

from __future__ import annotations

from .app import app_from_environment, create_app
from .config import DecisionLogConfig, Limits, ServeConfig

__all__ = ["DecisionLogConfig", "Limits", "ServeConfig", "app_from_environment", "create_app"]
