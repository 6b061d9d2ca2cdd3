"""The `ind` command line: one module per sub-command, each with `main(argv) -> int`."""
