"""`python -m indicator_dsl` is the same as `ind`."""

from .cli.main import run

run()
