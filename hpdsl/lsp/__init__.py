"""The .hpm language server (`hpdsl lsp`): the checker's diagnostics, completion, hover,
go-to-definition and semantic highlighting, for any editor that speaks LSP.

`document` holds an open document and position conversion, `diagnostics` maps the
checker's diagnostics, `features` answers completion, hover and definition, `semantic`
colours tokens, `server` wires them into pygls.
"""
