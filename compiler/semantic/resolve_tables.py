"""The resolver's tables: the entity, events and lookups, their locations and links."""

from __future__ import annotations

from pathlib import Path

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import did_you_mean
from ..source import Span
from ..syntax import nodes as n
from ..syntax.depth import too_deep_through_references
from ..syntax.names import character_problem, parse_table_name


class TableResolution:
    """Mixed into the resolver (resolve.py): builds `tables` from the declarations."""

    # ---- tables
    def build_tables(self) -> None:
        assert self.entity_decl is not None
        entity = self.entity_decl
        self.add_table(entity, "entity", key=entity.key.text)
        for decl in self.events_decls.values():
            if isinstance(decl.link, n.KeyLink):
                self.add_table(decl, "events", entity_key=decl.link.column.text,
                               time_column=decl.time_column.text if decl.time_column else None)
            else:
                self.add_table(
                    decl, "events", through=decl.link.via.text,
                    through_column=decl.link.column.text,
                    through_via_column=decl.link.via_column.text,
                    time_column=decl.time_column.text if decl.time_column else None,
                )
        for decl in self.lookup_decls.values():
            self.add_table(decl, "lookup", key=decl.key.text, owner=decl.owner.text,
                           owner_column=decl.owner_column.text)
        self.check_links()

    def add_table(self, decl, kind: str, **links) -> None:
        locations = tuple(self.location(loc) for loc in decl.locations)
        columns: dict[str, m.ColumnInfo] = {}
        for column in decl.columns:
            if column.name.text in columns:
                self.error(Code.E102, f"column `{column.name.text}` is declared twice in "
                           f"`{decl.name.text}`", column.name.span)
                continue
            if "consent" in column.tags and column.type_name != "bool":
                self.error(Code.E201, f"consent column `{column.name.text}` is {column.type_name}; "
                           "a consent column must be bool", column.span,
                           "declare it `bool consent`: true when the customer consented")
            columns[column.name.text] = m.ColumnInfo(
                column.name.text, ir.DECLARED_TYPES[column.type_name], column.tags
            )
        table = m.Table(decl.name.text, kind, locations, tuple(columns.values()), decl.span,
                        **links)
        # (a location that is no table name or path is never handed to the data)
        readable = all(loc.table or loc.path for loc in locations)
        schema = self.schema_provider(table) if self.schema_provider and readable else None
        # The column list is complete when read from the data, or when the file declares
        # columns; only a table with neither accepts any column name (typed `any`).
        self.schema_known[table.name] = schema is not None or bool(decl.columns)
        if schema:
            for name, type_ in schema.items():
                if name not in columns:
                    columns[name] = m.ColumnInfo(name, type_, (), declared=False)
        else:
            # Columns named by the declaration itself (key, time, join columns) exist
            # without being listed again in the column block.
            own = ("key", "entity_key", "through_column", "time_column")
            for name in (links.get(k) for k in own):
                if name and name not in columns:
                    columns[name] = m.ColumnInfo(name, ir.Type.ANY, (), declared=False)
        if schema or len(columns) != len(table.columns):
            table = m.Table(decl.name.text, kind, locations, tuple(columns.values()), decl.span,
                            **links)
        self.tables[table.name] = table

    def location(self, loc: n.Location) -> m.Location:
        """File paths are relative to the declaring file. Whether the file exists is the
        runtime's question (a data error), not the compiler's: compiling needs no data.
        A table location is a table name, never SQL: anything else is an error here, and
        the location keeps no name (nothing reads it)."""
        if loc.kind == "table":
            parts = parse_table_name(loc.target)
            if parts is None:
                shown = "the text" if character_problem(loc.target, "") else f"`{loc.target}`"
                self.error(Code.E107, f"{shown} is not a table name", loc.span,
                           "write a table as [catalog.]schema.table, each part a name; "
                           "put a part with other characters in backquotes: "
                           'table "crm.`web orders`"')
                return m.Location("table", loc.target, None, loc.span)
            return m.Location("table", loc.target, None, loc.span, parts)
        problem = character_problem(loc.target, f"the {loc.kind} path")
        if problem:
            self.error(Code.E107, problem, loc.span,
                       "write the path without control characters")
            return m.Location(loc.kind, loc.target, None, loc.span)
        target = Path(loc.target)
        path = target if target.is_absolute() else loc.span.source.directory / target
        return m.Location(loc.kind, loc.target, str(path.resolve()), loc.span)

    def check_links(self) -> None:
        entity = self.tables[self.entity_decl.name.text]
        self.require_column(entity, entity.key, self.entity_decl.key.span)
        for name, decl in self.events_decls.items():
            table = self.tables[name]
            if isinstance(decl.link, n.KeyLink):
                self.require_column(table, table.entity_key, decl.link.column.span)
            else:
                via = self.events_decls.get(decl.link.via.text)
                if via is None:
                    self.error(Code.E101, f"unknown events table `{decl.link.via.text}`",
                               decl.link.via.span,
                               did_you_mean(decl.link.via.text, self.events_decls)
                               or "`through` names another events table")
                    self.broken.add(name)
                elif not isinstance(via.link, n.KeyLink):
                    self.error(Code.E107, "`through` must name an events table that has the "
                               "entity key itself", decl.link.via.span)
                    self.broken.add(name)
                else:
                    self.require_column(table, decl.link.column.text, decl.link.column.span)
                    self.require_column(self.tables[via.name.text], decl.link.via_column.text,
                                        decl.link.via_column.span)
            if decl.time_column is not None:
                self.require_column(table, decl.time_column.text, decl.time_column.span)
                column = table.column(decl.time_column.text)
                if column is not None and column.type not in (
                    ir.Type.DATE, ir.Type.TIMESTAMP, ir.Type.ANY
                ):
                    self.error(Code.E201, f"the time column `{column.name}` of `{name}` is "
                               f"{column.type.with_article}; it must be a date or timestamp",
                               decl.time_column.span)
                    self.broken.add(name)
        for name, decl in self.lookup_decls.items():
            table = self.tables[name]
            self.require_column(table, table.key, decl.key.span)
            owner = self.tables.get(decl.owner.text)
            if owner is None:
                self.error(Code.E101, f"unknown table `{decl.owner.text}`", decl.owner.span,
                           did_you_mean(decl.owner.text, self.tables))
                self.broken.add(name)
            else:
                self.require_column(owner, decl.owner_column.text, decl.owner_column.span)
        # lookups must not form a loop
        for name in self.lookup_decls:
            seen = {name}
            owner = self.lookup_decls[name].owner.text
            while owner in self.lookup_decls:
                if owner in seen:
                    self.error(Code.E103, f"lookup `{name}` hangs off itself",
                               self.lookup_decls[name].owner.span)
                    self.broken.add(name)
                    break
                seen.add(owner)
                owner = self.lookup_decls[owner].owner.text

    def require_column(self, table: m.Table, column: str | None, span: Span) -> None:
        if column is None or table.column(column) is not None:
            return
        if not self.schema_known.get(table.name):
            return  # columns are checked against the data when it is read
        self.error(Code.E101, f"table `{table.name}` has no column `{column}`", span,
                   did_you_mean(column, [c.name for c in table.columns]))

    # ---- features and segments
    def refuse_deep_references(self) -> None:
        """Features and segments are resolved where they are used, inside the expression
        being resolved (and planned likewise): a chain of definitions nests as deep as all
        its expressions together. Past `depth.MAX_DEPTH`, E003; those names are then broken
        (no cascading errors), so nothing recurses through them."""
        definitions: dict[str, n.Node] = {**self.feature_decls, **self.segment_decls,
                                          **self.segmentation_decls}
        others = [*self.kpi_decls.values(), *self.persona_decls.values()]
        names, problems = too_deep_through_references(definitions, others)
        self.broken |= names
        self.diagnostics.extend(problems)
