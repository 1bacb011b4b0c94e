"""`segl fmt`'s declarations: each printed from its AST as output lines with anchors,
and the input's comments put back between and inside them."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ..source import SourceFile
from . import nodes as n
from .format_expressions import (
    CONTINUATION,
    INDENT,
    NOT,
    SUM,
    _expectation,
    chain,
    expr,
    literal,
    name,
    string,
)
from .lexicon import LexemeKind, is_identifier, scan
from .lexicon import comments as comments

# ---------------------------------------------------------------- lines and comments


@dataclass
class _Line:
    text: str
    anchor: int  # offset in the input where this line's content starts
    indent: str = ""
    comment_indent: str | None = None  # for comments above it, when not `indent`
    above: list[tuple[int, str]] = field(default_factory=list)
    trailing: list[tuple[int, str]] = field(default_factory=list)

    def render(self) -> list[str]:
        comment_indent = self.indent if self.comment_indent is None else self.comment_indent
        lines = [comment_indent + text for _, text in sorted(self.above)]
        text = self.indent + self.text
        if self.trailing:
            text += "  " + "  ".join(comment for _, comment in sorted(self.trailing))
        return [*lines, text]


KNOWN = (n.Import, n.Param, n.Entity, n.Events, n.Lookup, n.Feature, n.Segment,
         n.Segmentation, n.Kpi, n.Persona, n.Test, n.Holdout, n.Suppression, n.Experiment,
         n.Export)


def _export_clause(clause: n.ExportClause) -> str:
    kind = clause.kind
    if kind is n.ClauseKind.TRAITS:
        return f"{kind} ({', '.join(name(i) for i in clause.names)})"
    if kind is n.ClauseKind.CONSENT:
        return f"require {clause.tag} {name(clause.names[0])}"
    if kind is n.ClauseKind.TARGET:
        return f"{kind} {clause.format} {string(clause.text)}"
    if kind is n.ClauseKind.MODE:
        return f"{kind} {clause.text}"
    return f"{kind} {string(clause.text)}"  # purpose, via


def _kind(declaration: n.Declaration) -> str:
    if isinstance(declaration, n.Entity | n.Events | n.Lookup):
        return "source"
    return type(declaration).__name__


class _Printer:
    def __init__(self, source: SourceFile, module: n.Module, line_length: int):
        self.source = source
        self.text = source.text
        self.declarations = sorted(module.declarations, key=lambda d: d.span.start)
        self.line_length = line_length
        self.starts = [d.span.start for d in self.declarations]
        self.ends = [d.span.end for d in self.declarations]

    def print(self) -> str:
        blocks = [self.declaration(d) for d in self.declarations]
        # comments: inside a declaration, trailing after one, or on their own between
        gaps: list[list[tuple[int, str]]] = [[] for _ in range(len(blocks) + 1)]
        verbatim = [not isinstance(d, KNOWN) for d in self.declarations]
        for offset, comment in comments(self.text):
            index = self._declaration_at(offset)
            own_line = self._own_line(offset)
            if index is not None and verbatim[index]:
                continue  # printed as written, comments included
            if index is not None:
                self._attach(blocks[index], offset, comment, own_line)
            else:
                before = self._declarations_before(offset)
                if not own_line and before:
                    self._attach(blocks[before - 1], offset, comment, own_line=False)
                else:
                    gaps[before].append((offset, comment))
        out: list[str] = []
        for index, block in enumerate(blocks):
            out.extend(self.gap(index, gaps[index]))
            for line in block:
                out.extend(line.render())
        out.extend(self.gap(len(blocks), gaps[len(blocks)]))
        return "\n".join(out) + "\n" if out else ""

    # ---- comments
    def _declaration_at(self, offset: int) -> int | None:
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.declarations[index].span.end:
            return index
        return None

    def _declarations_before(self, offset: int) -> int:
        return bisect.bisect_right(self.ends, offset)

    def _own_line(self, offset: int) -> bool:
        line_start = self.text.rfind("\n", 0, offset) + 1
        return not self.text[line_start:offset].strip()

    @staticmethod
    def _attach(block: list[_Line], offset: int, comment: str, own_line: bool) -> None:
        if own_line:
            after = [line for line in block if line.anchor > offset]
            target = min(after, key=lambda line: line.anchor) if after else block[0]
            target.above.append((offset, comment))
        else:
            before = [line for line in block if line.anchor < offset]
            target = max(before, key=lambda line: line.anchor) if before else block[0]
            target.trailing.append((offset, comment))

    def gap(self, index: int, found: list[tuple[int, str]]) -> list[str]:
        """Comment and blank lines before declaration `index` (or the end of the file)."""
        start = self.declarations[index - 1].span.end if index > 0 else 0
        end = (self.declarations[index].span.start if index < len(self.declarations)
               else len(self.text))
        own = {offset: comment for offset, comment in found}
        items: list[str | None] = []  # None: a blank line
        position = start
        if index > 0:  # the rest of the previous declaration's last line is not a gap line
            newline = self.text.find("\n", start, end)
            position = end if newline < 0 else newline + 1
        while position < end:
            newline = self.text.find("\n", position, end)
            stop = end if newline < 0 else newline
            line = self.text[position:stop]
            if newline < 0 and index < len(self.declarations):
                break  # the indentation before the next declaration
            comment_at = [o for o in own if position <= o < stop]
            if comment_at:
                items.append(own[comment_at[0]])
            elif not line.strip():
                items.append(None)
            position = stop + 1
        lines: list[str | None] = []
        for item in items:
            if item is None and lines and lines[-1] is None:
                continue
            lines.append(item)
        if index == 0 and lines and lines[0] is None:
            lines.pop(0)
        if index == len(self.declarations) and lines and lines[-1] is None:
            lines.pop()
        if (0 < index < len(self.declarations) and None not in lines
                and _kind(self.declarations[index - 1]) != _kind(self.declarations[index])):
            lines.insert(0, None)
        return ["" if line is None else line for line in lines]

    # ---- declarations
    def declaration(self, node: n.Declaration) -> list[_Line]:
        start = node.span.start
        match node:
            case n.Import(path=path, library=True):
                package, module = path.split(".", 1)  # (reparsed, the path is the same)
                return [_Line(f"import {name(package)}.{name(module)}", start)]
            case n.Import(path=path):
                return [_Line(f"import {string(path)}", start)]
            case n.Param(name=ident, value=value):
                return [_Line(f"param {name(ident)} = {literal(value)}", start)]
            case n.Entity():
                head = f"entity {name(node.name)} from {self._locations(node.locations)} " \
                       f"key {name(node.key)}"
                return self._columns(node, head)
            case n.Events():
                link = node.link
                if isinstance(link, n.KeyLink):
                    head = f"key {name(link.column)}"
                else:
                    head = (f"through {name(link.via)} on {name(link.column)} = "
                            f"{name(link.via_column)}")
                if node.time_column is not None:
                    head += f" at {name(node.time_column)}"
                head = f"events {name(node.name)} from {self._locations(node.locations)} {head}"
                return self._columns(node, head)
            case n.Lookup():
                head = (f"lookup {name(node.name)} from {self._locations(node.locations)} "
                        f"key {name(node.key)} for {name(node.owner)}.{name(node.owner_column)}")
                return self._columns(node, head)
            case n.Feature():
                head = f"feature {name(node.name)}{self._label(node.label)} = "
                return self._inline(head, node.expr, start) + self._permit(node)
            case n.Segment(inline=True):
                head = f"segment {name(node.name)}{self._label(node.label)} = "
                assert node.where is not None
                return self._inline(head, node.where, start)
            case n.Segment():
                return self._segment_block(node)
            case n.Segmentation():
                return self._segmentation(node)
            case n.Persona():
                return self._persona(node)
            case n.Test():
                return self._test(node)
            case n.Kpi():
                head = f"kpi {name(node.name)}{self._label(node.label)} = "
                lines = self._inline(head, node.expr, start)
                if node.display is not None:
                    symbol = f" {string(node.currency)}" if node.currency is not None else ""
                    lines[-1].text += f" format {node.display}{symbol}"
                return lines + self._permit(node)
            case n.Holdout():
                return [_Line(f"holdout {literal(node.share)}% salt {literal(node.salt)}",
                              start)]
            case n.Suppression():
                return [_Line(f"suppression from {self._locations(node.locations)} "
                              f"key {name(node.key)}", start)]
            case n.Experiment():
                stratify = f" stratify by {name(node.stratify)}" if node.stratify else ""
                lines = [_Line(f"experiment {name(node.name)}{self._label(node.label)} on "
                               f"{name(node.segment)} salt {literal(node.salt)}{stratify} {{",
                               start)]
                lines += [_Line(f"{name(arm.name)} {literal(arm.share)}%", arm.span.start,
                                INDENT) for arm in node.arms]
                if node.kpis:
                    lines.append(_Line(f"kpis ({', '.join(name(k) for k in node.kpis)})",
                                       node.kpis[0].span.start, INDENT))
                return [*lines, _Line("}", node.span.end - 1, comment_indent=INDENT)]
            case n.Export():
                lines = [_Line(f"export {name(node.name)} from {name(node.segment)} {{", start)]
                lines += [_Line(_export_clause(c), c.span.start, INDENT) for c in node.clauses]
                return [*lines, _Line("}", node.span.end - 1, comment_indent=INDENT)]
        return self._verbatim(node)

    def _segmentation(self, node: n.Segmentation) -> list[_Line]:
        head = f"segmentation {name(node.name)}{self._label(node.label)}"
        if node.tiers:
            return [_Line(f"{head} = tiers {_score_body(node.scores[0])}", node.span.start),
                    *self._permit(node)]
        if node.clusters is not None:
            return [_Line(f"{head} = {_clusters_body(node.clusters)}", node.span.start),
                    *self._permit(node)]
        lines = [_Line(f"{head} {{", node.span.start), *self._permit(node)]
        for score in node.scores:
            lines.append(_Line(f"score {name(score.name)} {_score_body(score)}",
                               score.span.start, INDENT))
        for bucket in node.buckets:
            lines.append(_Line(f"{name(bucket.name)}{self._label(bucket.label)} when "
                               f"{expr(bucket.condition)}", bucket.span.start, INDENT))
        otherwise = node.otherwise
        lines.append(_Line(f"else {name(otherwise.name)}{self._label(otherwise.label)}",
                           otherwise.span.start, INDENT))
        lines.append(_Line("}", node.span.end - 1, comment_indent=INDENT))
        return lines

    def _persona(self, node: n.Persona) -> list[_Line]:
        bucket = f" is {name(node.bucket)}" if node.bucket is not None else ""
        lines = [_Line(f"persona {name(node.name)}{self._label(node.label)} for "
                       f"{name(node.segment)}{bucket} {{", node.span.start),
                 *self._permit(node)]
        for field_ in node.fields:
            if isinstance(field_.value, tuple):
                value = f"({', '.join(string(v) for v in field_.value)})"
            else:
                value = literal(field_.value)
            # a field name is read as a name where it stands: no backquotes for `description`
            shown = field_.name.text if is_identifier(field_.name.text) \
                else name(field_.name)
            lines.append(_Line(f"{shown} {value}", field_.span.start, INDENT))
        lines.append(_Line("}", node.span.end - 1, comment_indent=INDENT))
        return lines

    def _test(self, node: n.Test) -> list[_Line]:
        lines = [_Line(f"test {name(node.name)} {{", node.span.start)]
        if node.as_of is not None:
            lines.append(_Line(f"as_of {literal(node.as_of)}", node.as_of.span.start, INDENT))
        for block in node.rows:
            columns = ", ".join(name(c) for c in block.columns)
            lines.append(_Line(f"rows {name(block.table)} ({columns}) {{", block.span.start,
                               INDENT))
            for row in block.rows:
                values = ", ".join("missing" if v is None else literal(v) for v in row)
                anchor = next((v.span.start for v in row if v is not None), block.span.start)
                lines.append(_Line(f"({values})", anchor, INDENT * 2))
            lines.append(_Line("}", block.span.end - 1, INDENT, comment_indent=INDENT * 2))
        for expect in node.expects:
            target = name(expect.segment) + (f".{name(expect.bucket)}" if expect.bucket else "")
            keys = ", ".join(literal(k) for k in expect.keys)
            lines.append(_Line(f"expect {target} = ({keys})", expect.span.start, INDENT))
        lines.append(_Line("}", node.span.end - 1, comment_indent=INDENT))
        return lines

    @staticmethod
    def _permit(node: n.Feature | n.Segment | n.Segmentation | n.Kpi | n.Persona) -> list[_Line]:
        """`purpose "…"` and `allow (…)`, one line each, in that order (docs/privacy.md)."""
        lines = []
        if node.purpose is not None:
            lines.append(_Line(f"purpose {string(node.purpose.text)}", node.purpose.span.start,
                               INDENT))
        if node.allow is not None:
            columns = ", ".join(expr(column) for column in node.allow.columns)
            lines.append(_Line(f"allow ({columns})", node.allow.span.start, INDENT))
        return lines

    @staticmethod
    def _label(label: str | None) -> str:
        return f" {string(label)}" if label is not None else ""

    @staticmethod
    def _locations(locations: tuple[n.Location, ...]) -> str:
        return ", ".join(f"{loc.kind} {string(loc.target)}" for loc in locations)

    def _columns(self, node: n.Entity | n.Events | n.Lookup, head: str) -> list[_Line]:
        if not node.columns:
            return [_Line(head, node.span.start)]
        lines = [_Line(head + " {", node.span.start)]
        for column in node.columns:
            text = " ".join([name(column.name), column.type_name, *column.tags])
            lines.append(_Line(text, column.span.start, INDENT))
        lines.append(_Line("}", node.span.end - 1, comment_indent=INDENT))
        return lines

    def _inline(self, head: str, value: n.Expr, start: int) -> list[_Line]:
        one_line = head + expr(value)
        split = chain(value)
        if len(one_line) <= self.line_length or split is None:
            return [_Line(one_line, start)]
        return self._chain_lines(head, split, start, "")

    @staticmethod
    def _chain_lines(head: str, split: tuple[str, list[n.Expr]], anchor: int,
                     indent: str) -> list[_Line]:
        op, operands = split
        # operands in parentheses as inline: a nested chain, or an `and` in an `or`
        lines = [_Line(head + expr(operands[0], NOT), anchor, indent)]
        for operand in operands[1:]:
            lines.append(_Line(f"{op} {expr(operand, NOT)}", operand.span.start,
                               CONTINUATION))
        return lines

    def _segment_block(self, node: n.Segment) -> list[_Line]:
        head = f"segment {name(node.name)}{self._label(node.label)}"
        if node.extends is not None:
            head += f" extends {name(node.extends)}"
        offsets = self._property_offsets(node)
        lines = [_Line(head + " {", node.span.start)]
        if node.description is not None:
            lines.append(_Line(f"description {string(node.description)}",
                               offsets["description"], INDENT))
        if node.owner is not None:
            lines.append(_Line(f"owner {string(node.owner)}", offsets["owner"], INDENT))
        lines.extend(self._permit(node))
        if node.tags:
            tags = ", ".join(string(tag) for tag in node.tags)
            lines.append(_Line(f"tags ({tags})", offsets["tags"], INDENT))
        if node.where is not None:
            split = chain(node.where)
            if split is None:
                lines.append(_Line(f"where {expr(node.where)}", offsets["where"], INDENT))
            else:
                lines.extend(self._chain_lines("where ", split, offsets["where"], INDENT))
        for expectation in node.expectations:
            lines.append(_Line(f"expect {_expectation(expectation)}", expectation.span.start,
                               INDENT))
        lines.append(_Line("}", node.span.end - 1, comment_indent=INDENT))
        return lines

    def _property_offsets(self, node: n.Segment) -> dict[str, int]:
        """Where each property keyword of a segment block is in the input."""
        offsets: dict[str, int] = {}
        braces = parens = 0
        properties = ("description", "owner", "tags", "where")
        for lexeme in scan(self.text, node.span.start, node.span.end):
            token = lexeme.text
            if lexeme.kind is LexemeKind.SYMBOL and token in "{}()":
                braces += {"{": 1, "}": -1}.get(token, 0)
                parens += {"(": 1, ")": -1}.get(token, 0)
            elif braces == 1 and parens == 0 and token in properties:
                offsets.setdefault(token, lexeme.start)
        return {key: offsets.get(key, node.span.start) for key in properties}

    def _verbatim(self, node: n.Node) -> list[_Line]:
        """A declaration this formatter does not know: printed as written."""
        lines = []
        start = node.span.start
        for text in self.text[start : node.span.end].split("\n"):
            lines.append(_Line(text.rstrip(), start))
            start += len(text) + 1
        return lines


def _clusters_body(clusters: n.Clusters) -> str:
    """`clusters K on (…) scaled S seed N [missing M]`."""
    features = ", ".join(expr(f, SUM) for f in clusters.features)
    missing = f" missing {clusters.missing.text}" if clusters.missing is not None else ""
    return (f"clusters {literal(clusters.k)} on ({features}) scaled {clusters.scaling.text} "
            f"seed {literal(clusters.seed)}{missing}")


def _score_body(score: n.Score) -> str:
    """`by e higher is better into N method`: shared by scores and tiers."""
    if score.method == "thresholds":
        binning = f"thresholds ({', '.join(literal(t) for t in score.thresholds)})"
    else:
        binning = score.method
    better = "higher" if score.higher_is_better else "lower"
    return f"by {expr(score.by, SUM)} {better} is better into {score.bins} {binning}"
