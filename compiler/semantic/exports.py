"""Exports and the suppression list, resolved and checked (docs/activation.md).

An export writes the members of a segment with the traits it names (entity columns or
features) to a file inside the declaring file's folder or to a warehouse table. Consent is
a compile-time obligation: an export that carries personal data (a trait derived from a
`pii`/`sensitive` column) or goes to a `channel` must `require consent COLUMN` (a bool
column or feature), and one carrying personal data must give its `purpose`; without them
E505 at the export's name. The runtime (runtime/exports.py) leaves out members without
consent, in the holdout or in the suppression list, and counts them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import Diagnostic, did_you_mean, error
from ..syntax import nodes as n
from ..syntax.names import parse_table_name
from .privacy import Facts, Output, Permit, purpose_problem

FILE_FORMATS = ("csv", "parquet", "jsonl")
CHANGE = "change"  # the column of a `mode changes` export: joined | left


def resolve_export(decl: n.Export, resolver: Any) -> m.Export | None:
    """`resolver`: the resolver (its tables, features, segments, error())."""
    report = resolver.error
    entity: m.Table = resolver.tables[resolver.entity_decl.name.text]
    ok = True
    if decl.segment.text not in resolver.segments:
        report(Code.E101, f"unknown segment `{decl.segment.text}`", decl.segment.span,
               did_you_mean(decl.segment.text, resolver.segments))
        ok = False
    clauses: dict[n.ClauseKind, n.ExportClause] = {}
    for clause in decl.clauses:
        if clause.kind in clauses:
            report(Code.E113, f"`{clause.kind}` is given twice in export "
                   f"`{decl.name.text}`", clause.span, "keep one")
            ok = False
        clauses[clause.kind] = clause
    traits: list[m.Trait] = []
    for ident in clauses[n.ClauseKind.TRAITS].names if n.ClauseKind.TRAITS in clauses else ():
        trait = _value(ident, entity, resolver)
        if trait is None:
            ok = False
        elif any(t.name == trait.name for t in traits):
            report(Code.E113, f"trait `{ident.text}` is named twice", ident.span)
            ok = False
        else:
            traits.append(trait)
    consent = None
    if n.ClauseKind.CONSENT in clauses:
        clause = clauses[n.ClauseKind.CONSENT]
        if clause.tag != "consent":
            report(Code.E113, f"`require {clause.tag}` is not a requirement", clause.span,
                   "write `require consent COLUMN`")
            ok = False
        else:
            consent = _value(clause.names[0], entity, resolver)
            if consent is not None and consent.expr.type not in (ir.Type.BOOL, ir.Type.ANY):
                report(Code.E201, f"consent `{consent.name}` is "
                       f"{consent.expr.type.with_article}; consent is true or false",
                       clause.names[0].span, "name a bool column tagged `consent`")
                ok = False
            ok = ok and consent is not None
    purpose = clauses[n.ClauseKind.PURPOSE].text if n.ClauseKind.PURPOSE in clauses else None
    if purpose is not None and purpose_problem(purpose):
        report(Code.E501, purpose_problem(purpose) or "", clauses[n.ClauseKind.PURPOSE].span,
               "say why these members are contacted, e.g. \"Monthly newsletter\"")
        ok = False
    target = None
    if n.ClauseKind.TARGET not in clauses:
        report(Code.E113, f"export `{decl.name.text}` has no target", decl.name.span,
               'add `to csv "out/file.csv"` (or parquet, jsonl, table "schema.name")')
        ok = False
    else:
        target = _target(clauses[n.ClauseKind.TARGET], report)
        ok = ok and target is not None
    mode = m.ExportMode.FULL
    if n.ClauseKind.MODE in clauses:
        clause = clauses[n.ClauseKind.MODE]
        known = {mode.value: mode for mode in m.ExportMode}
        if clause.text not in known:
            report(Code.E113, f"`mode {clause.text}` is not a mode of export", clause.span,
                   "write `mode full` (every member, the default), `mode changes` (who "
                   "joined and who left since the last export) or `mode merge` (a table "
                   "updated in place)")
            ok = False
        else:
            mode = known[clause.text]
    if mode is m.ExportMode.CHANGES and any(t.name == CHANGE for t in traits):
        report(Code.E113, f"a `mode changes` export writes the column `{CHANGE}`: no trait "
               "may be called so", clauses[n.ClauseKind.TRAITS].span, "rename the feature")
        ok = False
    if mode is m.ExportMode.MERGE and target is not None and target.format != "table":
        report(Code.E113, "`mode merge` updates a table in place; a file is written whole",
               clauses[n.ClauseKind.MODE].span, 'export to a table (`to table '
               '"schema.name"`), or drop `mode merge`')
        ok = False
    if not ok or target is None:
        return None
    channel = clauses[n.ClauseKind.CHANNEL].text if n.ClauseKind.CHANNEL in clauses else None
    return m.Export(decl.name.text, decl.segment.text, tuple(traits), target, consent,
                    purpose, channel, decl.span, decl.name.span, mode)


def _value(ident: n.Ident, entity: m.Table, resolver: Any) -> m.Trait | None:
    name = ident.text
    column = entity.column(name)
    if column is not None:
        return m.Trait(name, ir.Column(entity.name, name, type=column.type, span=ident.span))
    if name in resolver.feature_decls:
        feature = resolver.resolve_feature(name)
        if feature is None:
            return None
        return m.Trait(name, ir.FeatureRef(name, type=feature.type, span=ident.span))
    resolver.error(Code.E101, f"`{name}` is neither a column of `{entity.name}` nor a feature",
                   ident.span, did_you_mean(name, [*resolver.feature_decls,
                                                   *(c.name for c in entity.columns)]))
    return None


def _target(clause: n.ExportClause, report) -> m.ExportTarget | None:
    if clause.format == "table":
        parts = parse_table_name(clause.text)
        if parts is None:
            report(Code.E107, f"`{clause.text}` is not a table name", clause.span,
                   "write a table as [catalog.]schema.table")
            return None
        return m.ExportTarget("table", clause.text, None, parts)
    assert clause.span is not None
    folder = clause.span.source.directory.resolve()
    written = Path(clause.text)
    path = (folder / written).resolve()
    if written.is_absolute() or not path.is_relative_to(folder) or not written.name:
        report(Code.E113, f"an export writes inside its file's folder, not to `{clause.text}`",
               clause.span, "write a relative path such as \"out/newsletter.csv\": a .seg "
               "file from a pull request must not write elsewhere")
        return None
    return m.ExportTarget(clause.format, clause.text, str(path))


def resolve_suppression(decl: n.Suppression, resolver: Any) -> m.Suppression:
    locations = tuple(resolver.location(loc) for loc in decl.locations)
    return m.Suppression(locations, decl.key.text, decl.span)


def check_consent(model: m.Model) -> list[Diagnostic]:
    """E505 for each export carrying personal data or going to a channel without
    `require consent`, or carrying personal data without a purpose."""
    facts = Facts(model)
    found = []
    for export in model.exports.values():
        uses = facts.uses([t.expr for t in export.traits])
        personal = ", ".join(dict.fromkeys(f"`{u.column.name}`" for u in uses))
        if export.consent is None and (uses or export.channel):
            why = f"carries personal data ({personal})" if uses else \
                f"goes to channel \"{export.channel}\""
            found.append(error(Code.E505, f"export `{export.name}` {why} but requires no "
                               "consent", _name_span(export),
                               "add `require consent COLUMN`: a bool column (tagged `consent`) "
                               "true for the members who agreed; the others are left out"))
        if uses and export.purpose is None:
            found.append(error(Code.E505, f"export `{export.name}` carries personal data "
                               f"({personal}) without a purpose", _name_span(export),
                               'add `purpose "…"`: why these members are contacted'))
    return found


def _name_span(export: m.Export):
    return export.name_span or export.span


def export_output(model: m.Model, export: m.Export, command: str = "") -> Output:
    """What an export writes, for `require_allowed`: the key, the membership of its segment
    (whose personal data the segment must allow itself) and the traits, which the export
    names one by one: with consent and a purpose (E505 otherwise), naming a trait is its
    allow."""
    facts = Facts(model)
    uses = facts.uses([t.expr for t in export.traits], follow_segments=False)
    allow = frozenset((u.column.table, u.column.column) for u in uses) \
        if export.consent is not None and export.purpose is not None else frozenset()
    permit = Permit("export", export.name, export.purpose, allow, export.span)
    key = model.entity.key or ""
    info = model.entity.column(key)
    values = (ir.Column(model.entity.name, key, type=info.type if info else ir.Type.ANY),
              ir.SegmentRef(export.segment, type=ir.Type.BOOL),
              *(t.expr for t in export.traits),
              *((export.consent.expr,) if export.consent else ()))
    return Output(permit, "rows", values, command)
