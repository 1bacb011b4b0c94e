"""`segl diff` output: markdown for one pull-request comment, text for the terminal, and JSON
(schema `segl-diff/1`, documented in docs/diff.md)."""

from __future__ import annotations

import json
from collections import Counter

from rich.markup import escape
from segl.compiler.api import KINDS, Change, ObjectDiff

from .diff import DiffReport, EntryDiff, MemberDelta

MARKER = "<!-- segl-diff -->"
JSON_SCHEMA = "segl-diff/1"
# GitHub refuses comments over 65,536 characters; the SQL diff is cut first.
MAX_COMMENT = 60_000
MAX_SQL_DIFF = 30_000
TEXT_BREAKDOWN_ROWS = 5  # the terminal shows the largest; markdown and JSON up to ten


# ---------------------------------------------------------------- shared wording


def summary(report: DiffReport) -> str:
    """"2 segments changed (1 narrows, 1 widens), 1 feature added" or "no semantic change"."""
    parts = []
    for entry in report.entries:
        if entry.base_exists != entry.head_exists:
            parts.append(f"file {'added' if entry.head_exists else 'removed'}: {entry.name}")
    counts: Counter = Counter()
    directions: dict[str, Counter] = {}
    for entry in report.entries:
        for obj in entry.diff.objects if entry.diff else ():
            counts[(obj.kind, obj.status)] += 1
            if obj.status == "changed" and obj.direction:
                directions.setdefault(obj.kind, Counter())[obj.direction] += 1
    for kind in KINDS:
        for status in ("changed", "added", "removed"):
            number = counts[(kind, status)]
            if not number:
                continue
            text = f"{number} {_plural(kind, number)} {status}"
            if status == "changed" and kind in directions:
                text += " (" + ", ".join(f"{n} {d}" for d, n in sorted(directions[kind].items())) \
                    + ")"
            parts.append(text)
    if report.errors:
        parts.insert(0, f"{len(report.errors)} compile error"
                        f"{'s' if len(report.errors) != 1 else ''}")
    return ", ".join(parts) if parts else "no semantic change"


def _plural(kind: str, number: int) -> str:
    return kind if number == 1 else kind + "s"


def change_text(change: Change, code: str = "`") -> str:
    def quoted(text: str | None) -> str:
        return _code(str(text)) if code else str(text)

    direction = f" ({change.direction})" if change.direction else ""
    note = f"; {change.note}" if change.note else ""
    if change.before is None and change.after is not None:
        return f"{change.what}: {quoted(change.after)}{direction}{note}"
    if change.after is None and change.before is not None:
        return f"{change.what}: {quoted(change.before)}{direction}{note}"
    if change.before == change.after:
        return f"{change.what} {quoted(change.after)}{direction}: reads the same{note}"
    return f"{change.what}: {quoted(change.before)} → {quoted(change.after)}{direction}{note}"


def _code(text: str) -> str:
    """Inline code in markdown; a backquoted `.seg` name needs a longer fence."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def object_title(obj: ObjectDiff, code: str = "`") -> str:
    label = f" · {obj.label}" if obj.label else ""
    return f"{obj.kind} {_code(obj.name) if code else obj.name}{label}"


def _cell(text: str) -> str:
    """A markdown table cell: a `|` in a label would end the cell."""
    return text.replace("|", "\\|")


def object_verdict(obj: ObjectDiff) -> str:
    if obj.status != "changed":
        return obj.status
    if not obj.members_may_change:
        return "changed (members unaffected)"
    return obj.direction or "changed"


def _count(number: int | None) -> str:
    return "–" if number is None else f"{number:,}"


def members_cell(delta: MemberDelta) -> str:
    if delta.before is None:
        return f"new: {_count(delta.after)}"
    if delta.after is None:
        return f"{_count(delta.before)} → gone"
    change = delta.after - delta.before
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return f"{_count(delta.before)} → {_count(delta.after)} ({sign}{abs(change):,})"


def _rows_for(entry: EntryDiff) -> list[tuple[ObjectDiff | None, MemberDelta | None]]:
    """Segments and buckets whose definition or members changed, with their member delta;
    then other changed objects."""
    deltas = {(d.kind, d.name): d for d in entry.members or []}
    rows: list[tuple[ObjectDiff | None, MemberDelta | None]] = []
    seen = set()
    for obj in entry.diff.objects if entry.diff else ():
        delta = deltas.get((obj.kind, obj.name))
        rows.append((obj, delta))
        seen.add((obj.kind, obj.name))
    for key, delta in deltas.items():
        if key not in seen and delta.changed:
            rows.append((None, delta))
    return rows


def _sql_stats(diff: str) -> str:
    added = sum(1 for line in diff.splitlines() if line.startswith("+")
                and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-")
                  and not line.startswith("---"))
    return f"+{added} −{removed} lines"


# ---------------------------------------------------------------- markdown


def to_markdown(report: DiffReport) -> str:
    lines = [MARKER, f"## segl diff: `{report.base}` → `{report.head}`", ""]
    facts = [f"**{summary(report)}**"]
    if report.data:
        facts.append(f"members at as_of {report.as_of}")
    facts.append(f"SQL for {report.dialect}")
    lines += [" · ".join(facts), ""]
    for entry in report.entries:
        lines += _markdown_entry(report, entry)
    text = "\n".join(lines).rstrip() + "\n"
    if len(text) > MAX_COMMENT:
        text = text[:MAX_COMMENT] + "\n\n… cut to fit one comment; run `segl diff` locally for " \
                                    "the rest.\n"
    return text


def _markdown_entry(report: DiffReport, entry: EntryDiff) -> list[str]:
    lines = [f"### `{entry.name}`", ""]
    if not entry.base_exists:
        lines += [f"New file (not in `{report.base}`).", ""]
    if not entry.head_exists:
        lines += [f"Removed (not in `{report.head}`).", ""]
    for version, errors in ((report.base, entry.base_errors), (report.head, entry.head_errors)):
        if errors:
            lines += [f"**Does not compile in `{version}`:**", "", "```"]
            lines += [d.render() for d in errors]
            lines += ["```", ""]
    if entry.errors:
        return lines
    rows = _rows_for(entry)
    if not rows:
        what = ", ".join(f"`{f}`" for f in entry.files_changed)
        lines += ["No semantic change" + (f" (text changed in {what}: formatting or comments)"
                                          if what else "") + ".", ""]
        return lines
    if entry.members is not None:
        lines += ["| object | change | members before → after | joined | left |",
                  "| --- | --- | ---: | ---: | ---: |"]
    else:
        lines += ["| object | change |", "| --- | --- |"]
    for obj, delta in rows:
        title = _cell(object_title(obj) if obj else f"{delta.kind} {_code(delta.name)}")
        verdict = object_verdict(obj) if obj else "members changed (data or an earlier bucket)"
        if entry.members is not None:
            if delta is None:
                lines.append(f"| {title} | {verdict} | | | |")
            else:
                lines.append(f"| {title} | {verdict} | {members_cell(delta)} | "
                             f"{delta.joined:,} | {delta.left:,} |")
        else:
            lines.append(f"| {title} | {verdict} |")
    lines.append("")
    details = [obj for obj, _ in rows if obj and (obj.changes or obj.through)]
    if details:
        lines += ["**What changed**", ""]
        for obj in details:
            lines.append(f"- **{object_title(obj)}**: {object_verdict(obj)}")
            for change in obj.changes:
                lines.append(f"  - {change_text(change)}")
            if obj.through:
                lines.append(f"  - through {', '.join(obj.through)}")
        lines.append("")
    changed_members = [d for d in entry.members or [] if d.changed]
    if changed_members:
        title = "Members who joined and left"
        if report.by:
            title += f", by `{report.by}`"
        lines += [f"<details><summary>{title}</summary>", ""]
        lines += ["| object | stayed | joined (first keys) | left (first keys) |",
                  "| --- | ---: | --- | --- |"]
        for delta in changed_members:
            lines.append(f"| {delta.kind} {_cell(_code(delta.name))} | {delta.stayed:,} | "
                         f"{_keys(delta.joined, delta.joined_examples)} | "
                         f"{_keys(delta.left, delta.left_examples)} |")
        lines.append("")
        for delta in changed_members:
            if delta.breakdown:
                lines += [f"`{delta.name}` by `{report.by}`:", "",
                          f"| {report.by} | joined | left |", "| --- | ---: | ---: |"]
                lines += [f"| {_cell(_value(v))} | {j:,} | {g:,} |"
                          for v, j, g in delta.breakdown]
                lines.append("")
        lines += ["</details>", ""]
    if entry.moves:
        lines += ["<details><summary>Moves between buckets</summary>", "",
                  "| segmentation | from | to | entities |", "| --- | --- | --- | ---: |"]
        lines += [f"| {_code(m.segmentation)} | {_code(m.source)} | {_code(m.target)} | "
                  f"{m.entities:,} |" for m in entry.moves]
        lines += ["", "</details>", ""]
    if entry.sql_diff:
        sql = entry.sql_diff
        if len(sql) > MAX_SQL_DIFF:
            sql = sql[:MAX_SQL_DIFF] + "\n… (cut)\n"
        lines += [f"<details><summary>Compiled SQL ({report.dialect}): "
                  f"{_sql_stats(entry.sql_diff)}</summary>", "", "```diff", sql.rstrip(), "```",
                  "", "</details>", ""]
    elif entry.sql_note:
        lines += [f"SQL for {report.dialect}: {entry.sql_note}", ""]
    return lines


def _keys(total: int, examples: list) -> str:
    if not total:
        return "0"
    shown = ", ".join(str(k) for k in examples)
    more = f", … ({total:,})" if total > len(examples) else ""
    return f"{shown}{more}"


def _value(value: object) -> str:
    return "(missing)" if value is None else str(value)


# ---------------------------------------------------------------- text


def to_text(report: DiffReport) -> str:
    """Text with rich markup (bold, colour) for the terminal; `.seg` text is escaped."""
    lines = [f"[bold]segl diff[/bold] {escape(report.base)} → {escape(report.head)}: "
             f"{escape(summary(report))}"]
    if report.data:
        lines[0] += f" (members at as_of {report.as_of})"
    indent = " " * 12
    for entry in report.entries:
        lines += ["", f"[bold]{escape(entry.name)}[/bold]"]
        if not entry.base_exists:
            lines.append(f"  new file (not in {escape(report.base)})")
        if not entry.head_exists:
            lines.append(f"  removed (not in {escape(report.head)})")
        if entry.errors:
            lines.append("  does not compile (the errors are on stderr)")
            continue
        rows = _rows_for(entry)
        if not rows:
            what = ", ".join(entry.files_changed)
            lines.append("  no semantic change" +
                         (f" (text changed in {escape(what)})" if what else ""))
            continue
        for obj, delta in rows:
            title = object_title(obj, "") if obj else f"{delta.kind} {delta.name}"
            verdict = object_verdict(obj) if obj else "members changed"
            colour = {"narrows": "yellow", "widens": "cyan", "added": "green",
                      "removed": "red"}.get(verdict, "magenta")
            line = f"  [{colour}]{verdict:>8}[/{colour}]  {escape(title)}"
            if delta is not None:
                line += f"  {members_cell(delta)}, {delta.joined:,} joined, {delta.left:,} left"
            lines.append(line)
            for change in obj.changes if obj else ():
                lines.append(indent + escape(change_text(change, "")))
            if obj and obj.through:
                lines.append(indent + escape(f"through {', '.join(obj.through)}"))
            if delta is not None and delta.changed:
                if delta.joined_examples:
                    lines.append(f"{indent}joined e.g. "
                                 f"{escape(_keys(delta.joined, delta.joined_examples))}")
                if delta.left_examples:
                    lines.append(f"{indent}left e.g. "
                                 f"{escape(_keys(delta.left, delta.left_examples))}")
                for value, joined, gone in delta.breakdown[:TEXT_BREAKDOWN_ROWS]:
                    lines.append(indent + escape(f"{report.by} = {_value(value)}: "
                                                 f"+{joined:,} −{gone:,}"))
        for move in entry.moves:
            lines.append(escape(f"  moved {move.segmentation}: {move.source} → {move.target}: "
                                f"{move.entities:,}"))
        if entry.sql_diff:
            lines.append(f"  compiled SQL ({report.dialect}): {_sql_stats(entry.sql_diff)} "
                         "(the diff is in --format markdown and json)")
        elif entry.sql_note:
            lines.append(f"  SQL for {report.dialect}: {escape(entry.sql_note)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- JSON


def to_json(report: DiffReport) -> str:
    return json.dumps(report_dict(report), indent=2, default=str, ensure_ascii=False) + "\n"


def report_dict(report: DiffReport) -> dict:
    return {
        "schema": JSON_SCHEMA,
        "base": report.base,
        "head": report.head,
        "dialect": report.dialect,
        "as_of": report.as_of if report.data else None,
        "by": report.by,
        "changed": report.changed,
        "summary": summary(report),
        "entries": [_entry_dict(report, entry) for entry in report.entries],
    }


def _entry_dict(report: DiffReport, entry: EntryDiff) -> dict:
    errors = []
    for version, diagnostics in (("base", entry.base_errors), ("head", entry.head_errors)):
        for d in diagnostics:
            errors.append({
                "version": version, "code": d.code, "severity": d.severity.value,
                "message": d.message, "file": d.span.path if d.span else None,
                "line": d.span.line if d.span else None,
                "column": d.span.column if d.span else None, "rendered": d.render(),
            })
    members = None
    if entry.members is not None:
        members = {
            "entities": {"before": entry.entities[0], "after": entry.entities[1]}
            if entry.entities else None,
            "groups": [{
                "kind": d.kind, "name": d.name, "before": d.before, "after": d.after,
                "joined": d.joined, "left": d.left, "stayed": d.stayed,
                "joined_examples": d.joined_examples, "left_examples": d.left_examples,
                "breakdown": [{"value": v, "joined": j, "left": g} for v, j, g in d.breakdown],
            } for d in entry.members],
        }
    return {
        "file": entry.name,
        "in_base": entry.base_exists,
        "in_head": entry.head_exists,
        "changed": entry.changed,
        "errors": errors,
        "files_changed": entry.files_changed,
        "objects": [{
            "kind": o.kind, "name": o.name, "label": o.label, "status": o.status,
            "direction": o.direction, "members_may_change": o.members_may_change,
            "through": list(o.through),
            "changes": [{"what": c.what, "before": c.before, "after": c.after,
                         "direction": c.direction, "note": c.note or None}
                        for c in o.changes],
        } for o in (entry.diff.objects if entry.diff else ())],
        "sql": {"dialect": report.dialect, "diff": entry.sql_diff, "note": entry.sql_note},
        "members": members,
        "moves": [{"segmentation": m.segmentation, "from": m.source, "to": m.target,
                   "entities": m.entities} for m in entry.moves] if members else None,
    }
