"""`ind lsp`: the language server an editor talks to over stdio.

Layered above `check` (it checks the open buffers as `ind check` checks files) and beside
`cli`: `analysis` checks a document with the editor's unsaved buffers over the files on disk,
`lookup` finds what a position names (hover, go to definition), `complete` offers what may
be typed there, `outline` lists a file's dimensions and indicators, and `server` wires these
to the protocol (pygls; install with `pip install 'indicator-dsl[lsp]'`). All but `server`
work on plain text and positions, so they are tested without a client.
"""
