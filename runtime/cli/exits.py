"""The exit policy of every `segl` command, decided here and nowhere else.

0 ok; 1 definition errors, or a check that failed (a lint finding, a failing test or
expectation, a persona whose profile does not satisfy its
segment, a diff that changes something, a file `fmt --check` would change); 2 usage or
data errors (a bad option or `-p` value, data that cannot be read, an output refused for
personal data, a file that cannot be written).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import TYPE_CHECKING

from ..errors import DataError, OutputError, UsageError
from .console import print_diagnostics

if TYPE_CHECKING:
    from segl.compiler.api import Diagnostic


class ExitCode(IntEnum):
    OK = 0
    DEFINITION_ERROR = 1  # also: a check that failed
    USAGE_OR_DATA_ERROR = 2


class Exit(Exception):
    """Raised by a command to end with `code` (SeglGroup turns it into the exit status)."""

    def __init__(self, code: ExitCode) -> None:
        self.code = code


def for_diagnostics(errors: Iterable[Diagnostic]) -> ExitCode:
    """A usage error when every error is a bad --param (E401) or an output refused for
    personal data (docs/privacy.md): the command asked for what the definitions do not
    give. Otherwise a definition error."""
    from segl.compiler.api import REFUSED, Code

    usage = all(d.code in (Code.E401, REFUSED) for d in errors if d.is_error)
    return ExitCode.USAGE_OR_DATA_ERROR if usage else ExitCode.DEFINITION_ERROR


def fail(usage_only: bool) -> Exit:
    """How a command with several files ends when one failed."""
    return Exit(ExitCode.USAGE_OR_DATA_ERROR if usage_only else ExitCode.DEFINITION_ERROR)


@contextmanager
def reporting() -> Iterator[None]:
    """Turn library exceptions into messages and exit codes."""
    from segl.compiler.api import CompileError

    try:
        yield
    except CompileError as exc:
        print_diagnostics(exc.diagnostics)
        raise Exit(for_diagnostics(exc.diagnostics)) from None
    except DataError as exc:
        print_diagnostics(exc.diagnostics)  # definition errors first, the data error after
        for problem in exc.problems:
            sys.stderr.write(f"data error: {problem}\n")
        raise Exit(ExitCode.USAGE_OR_DATA_ERROR) from None
    except (UsageError, OutputError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise Exit(ExitCode.USAGE_OR_DATA_ERROR) from None
