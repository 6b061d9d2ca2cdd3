"""Benchmarks for indicator_dsl: a hand-written baseline scorer and record generators."""
