"""L001, L002: segments say who owns them and what they are for."""

from __future__ import annotations

from collections.abc import Iterator

from ...codes import Code
from ...diagnostics import Diagnostic
from ...syntax import nodes as n
from .context import Context
from .rules import finding


def segment_without_owner(context: Context) -> Iterator[Diagnostic]:
    for segment in context.model.segments.values():
        # (the holdout's segment is made by segl: it has no block to add an owner to)
        if segment.owner is None and context.declaration(n.Segment, segment.name):
            yield finding(Code.L001, f"segment `{segment.name}` has no owner",
                          context.name_span(n.Segment, segment.name, segment.span),
                          'use the block form and add `owner "team-or-person"`')


def segment_without_description(context: Context) -> Iterator[Diagnostic]:
    for segment in context.model.segments.values():
        if segment.description is None:
            yield finding(Code.L002, f"segment `{segment.name}` has no description",
                          context.name_span(n.Segment, segment.name, segment.span),
                          'use the block form and add `description "who is in it, and why"`')


CHECKS = {Code.L001: segment_without_owner, Code.L002: segment_without_description}
