"""L501: a segmentation with more than 7 buckets (the compiler's W202, as a lint rule)."""

from __future__ import annotations

from collections.abc import Iterator

from ...codes import Code
from ...diagnostics import Diagnostic
from ...semantic.buckets import too_many_buckets
from .context import Context
from .rules import finding


def too_many(context: Context) -> Iterator[Diagnostic]:
    for segmentation in context.model.segmentations.values():
        for warning in too_many_buckets(segmentation):
            yield finding(Code.L501, warning.message, warning.span, *warning.hints)


CHECKS = {Code.L501: too_many}
