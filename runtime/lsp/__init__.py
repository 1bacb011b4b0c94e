"""`segl lsp`: the language server editors start (diagnostics as you type, hover, go to
definition, references, rename, completion, outline, formatting, semantic tokens).

pygls is an optional extra (`pip install 'segl[lsp]'`): the command says so when it is
missing, and nothing else in segl imports it.
"""

from __future__ import annotations

from ..errors import UsageError


def serve() -> None:
    """Run the server on standard input and output until the editor shuts it down."""
    try:
        from .server import build_server
    except ImportError as exc:
        if exc.name not in ("pygls", "lsprotocol") and not str(exc.name).startswith(
                ("pygls.", "lsprotocol.")):
            raise
        raise UsageError("the language server needs pygls: pip install 'segl[lsp]'") from None
    build_server().start_io()
