"""The Lark tree -> AST nodes for declarations: one method per declaration rule."""

from __future__ import annotations

from ..codes import Code
from ..diagnostics import error
from . import nodes as n
from .limits import as_of_problem, currency_problem
from .rule_values import (
    _MISSING,
    _Children,
    _Label,
    _LiteralError,
    _Position,
    _Row,
    _unquote,
)

TIERS_ELSE = "no_value"  # the `else` bucket of tiers: entities whose value is missing
CLUSTER_SCALINGS = ("zscore", "minmax", "none")  # `clusters … scaled S`
CLUSTER_MISSING = ("drop", "mean")  # `clusters … missing M`


class DeclarationBuilder:
    """Mixed into AstBuilder (ast_builder.py): the rules of declarations and their clauses."""

    # ---- declarations
    def start(self, meta, children):
        return _Children(children)

    def import_decl(self, meta, children):
        return n.Import(_unquote(children[0]), span=self._span(meta))

    def import_library(self, meta, children):
        package, module = children
        return n.Import(f"{package.text}.{module.text}", library=True, span=self._span(meta))

    def param_decl(self, meta, children):
        return n.Param(children[0], children[1], span=self._span(meta))

    def location(self, meta, children):
        kind, target = children
        return n.Location(str(kind), _unquote(target), span=self._span(meta))

    def locations(self, meta, children):
        return tuple(children)

    def columns(self, meta, children):
        return tuple(children)

    def column(self, meta, children):
        name, type_name, *tags = children
        return n.Column(name, str(type_name), tuple(str(t) for t in tags), span=self._span(meta))

    def entity_decl(self, meta, children):
        name, locations, key, columns = children
        return n.Entity(name, locations, key, columns or (), span=self._span(meta))

    def link_key(self, meta, children):
        return n.KeyLink(children[0], span=self._span(meta))

    def link_through(self, meta, children):
        return n.ThroughLink(children[0], children[1], children[2], span=self._span(meta))

    def time_column(self, meta, children):
        return children[0]

    def events_decl(self, meta, children):
        name, locations, link, time_column, columns = children
        return n.Events(name, locations, link, time_column, columns or (), span=self._span(meta))

    def lookup_decl(self, meta, children):
        name, locations, key, owner, owner_column, columns = children
        return n.Lookup(name, locations, key, owner, owner_column, columns or (),
                        span=self._span(meta))

    def label(self, meta, children):
        return _Label(_unquote(children[0]))

    def feature_decl(self, meta, children):
        name, label, expr, purpose, allow = children
        return n.Feature(name, label.text if label else None, expr,
                         purpose[1] if purpose else None, allow, span=self._span(meta))

    def segment_inline(self, meta, children):
        name, label, expr = children
        return n.Segment(name, label.text if label else None, None, None, (), None, expr, True,
                         span=self._span(meta))

    def segment_block(self, meta, children):
        name, label, extends, *properties = children
        props: dict[str, object] = {}
        expectations = tuple(value for key, value, _ in properties if key == "expect")
        for key, value, span in properties:
            if key == "expect":
                continue
            if key in props:
                self.diagnostics.append(
                    error(Code.E102, f"`{key}` is given twice in segment `{name.text}`", span,
                          "keep one; combine conditions in one `where` with `and`")
                )
                continue
            props[key] = value
        return n.Segment(
            name, label.text if label else None, props.get("description"), props.get("owner"),
            props.get("tags", ()), extends, props.get("where"), False, expectations,
            props.get("purpose"), props.get("allow"), span=self._span(meta),
        )

    def expect(self, meta, children):
        return ("expect", children[0], self._span(meta))

    def expect_size(self, meta, children):
        op, number = children
        return n.Expectation("size", str(op), self.number(_Position(number.start_pos,
                                                                    number.end_pos), [number]),
                             span=self._span(meta))

    def expect_share(self, meta, children):
        op, number, _percent = children
        return n.Expectation("share", str(op), self.number(_Position(number.start_pos,
                                                                     number.end_pos), [number]),
                             span=self._span(meta))

    def expect_overlap(self, meta, children):
        other, op, number, _percent = children
        return n.Expectation("overlap", str(op), self.number(_Position(number.start_pos,
                                                                       number.end_pos), [number]),
                             other, span=self._span(meta))

    def segmentation_decl(self, meta, children):
        name, label, purpose, allow, *rest = children
        scores = tuple(c for c in rest if isinstance(c, n.Score))
        *whens, otherwise = [c for c in rest if isinstance(c, n.Bucket)]
        return n.Segmentation(name, label.text if label else None, tuple(whens), otherwise,
                              scores, purpose=purpose[1] if purpose else None, allow=allow,
                              span=self._span(meta))

    def tiers_decl(self, meta, children):
        name, label, by, better, bins, (method, thresholds), purpose, allow = children
        span = self._span(meta)
        score = n.Score(n.Ident("tier", span=span), by, str(better) == "higher",
                        int(str(bins)), method, thresholds, span=span)
        otherwise = n.Bucket(n.Ident(TIERS_ELSE, span=span), None, None, span=span)
        return n.Segmentation(name, label.text if label else None, (), otherwise, (score,),
                              tiers=True, purpose=purpose[1] if purpose else None,
                              allow=allow, span=span)

    def clusters_decl(self, meta, children):
        name, label, k, *rest = children
        *features, scaling, seed, missing, purpose, allow = rest
        span = self._span(meta)
        if scaling.text not in CLUSTER_SCALINGS:
            raise _LiteralError(error(Code.E002, f"unknown scaling `{scaling.text}`",
                                      scaling.span, "scale by zscore, minmax or none"))
        if missing is not None and missing.text not in CLUSTER_MISSING:
            raise _LiteralError(error(Code.E002, f"unknown missing rule `{missing.text}`",
                                      missing.span, "`missing drop` leaves entities without "
                                      "a value out (bucket no_value); `missing mean` imputes "
                                      "the mean"))
        clusters = n.Clusters(self._int_literal(k), tuple(features), scaling,
                              self._int_literal(seed), missing, span=span)
        otherwise = n.Bucket(n.Ident(TIERS_ELSE, span=span), None, None, span=span)
        return n.Segmentation(name, label.text if label else None, (), otherwise, (),
                              purpose=purpose[1] if purpose else None, allow=allow,
                              clusters=clusters, span=span)

    def _int_literal(self, token) -> n.Literal:
        return self.number(_Position(token.start_pos, token.end_pos), [token])

    def cluster_missing(self, meta, children):
        return children[0]

    def score(self, meta, children):
        name, by, better, bins, (method, thresholds) = children
        return n.Score(name, by, str(better) == "higher", int(str(bins)), method, thresholds,
                       span=self._span(meta))

    def ntile(self, meta, children):
        return ("ntile", ())

    def quantile(self, meta, children):
        return ("quantile", ())

    def thresholds(self, meta, children):
        values = tuple(self.number(_Position(t.start_pos, t.end_pos), [t]) for t in children)
        return ("thresholds", values)

    def bucket(self, meta, children):
        name, label, condition = children
        return n.Bucket(name, label.text if label else None, condition, span=self._span(meta))

    def else_bucket(self, meta, children):
        name, label = children
        return n.Bucket(name, label.text if label else None, None, span=self._span(meta))

    def persona_decl(self, meta, children):
        name, label, segment, bucket, *items = children
        fields = tuple(item for item in items if isinstance(item, n.PersonaField))
        clauses: dict[str, n.Purpose | n.Allow] = {}
        for item in items:
            if isinstance(item, n.PersonaField):
                continue
            key = "purpose" if isinstance(item, tuple) else "allow"
            clause = item[1] if isinstance(item, tuple) else item
            if key in clauses:
                self.diagnostics.append(
                    error(Code.E102, f"`{key}` is given twice in persona `{name.text}`",
                          clause.span, f"keep one `{key}`"))
                continue
            clauses[key] = clause
        return n.Persona(name, label.text if label else None, segment, fields,
                         clauses.get("purpose"), clauses.get("allow"), bucket,
                         span=self._span(meta))

    def of_bucket(self, meta, children):
        return children[0]

    def persona_value(self, meta, children):
        return n.PersonaField(children[0], children[1], span=self._span(meta))

    def persona_signed(self, meta, children):
        # `income -5`: the sign is ADD_OP, so that a name followed by `-` stays an
        # expression's subtraction wherever the parser cannot yet tell the two apart
        name, sign, number = children
        literal = self.number(_Position(number.start_pos, number.end_pos), [number])
        value = literal.value if str(sign) == "+" else -literal.value
        return n.PersonaField(name, n.Literal(value, "number", span=literal.span),
                              span=self._span(meta))

    def persona_list(self, meta, children):
        name, *items = children
        return n.PersonaField(name, tuple(_unquote(t) for t in items), span=self._span(meta))

    def experiment_decl(self, meta, children):
        name, label, segment, salt, stratify, *arms, kpis = children
        return n.Experiment(name, label.text if label else None, segment,
                            self.string(_Position(salt.start_pos, salt.end_pos), [salt]),
                            tuple(arms), stratify, kpis or (), span=self._span(meta))

    def experiment_kpis(self, meta, children):
        return tuple(children)

    def stratify(self, meta, children):
        return children[0]

    def arm(self, meta, children):
        name, number, _percent = children
        share = self.number(_Position(number.start_pos, number.end_pos), [number])
        return n.Arm(name, share, span=self._span(meta))

    def holdout_decl(self, meta, children):
        number, _percent, salt = children
        return n.Holdout(self.number(_Position(number.start_pos, number.end_pos), [number]),
                         self.string(_Position(salt.start_pos, salt.end_pos), [salt]),
                         span=self._span(meta))

    def export_decl(self, meta, children):
        name, segment, *clauses = children
        return n.Export(name, segment, tuple(clauses), span=self._span(meta))

    def export_traits(self, meta, children):
        return n.ExportClause(n.ClauseKind.TRAITS, tuple(children), span=self._span(meta))

    def export_consent(self, meta, children):
        tag, column = children
        return n.ExportClause(n.ClauseKind.CONSENT, (column,), tag=str(tag), span=self._span(meta))

    def export_purpose(self, meta, children):
        return n.ExportClause(n.ClauseKind.PURPOSE, text=_unquote(children[0]),
                              span=self._span(meta))

    def export_channel(self, meta, children):
        return n.ExportClause(n.ClauseKind.CHANNEL, text=_unquote(children[0]),
                              span=self._span(meta))

    def export_target(self, meta, children):
        kind, target = children
        return n.ExportClause(n.ClauseKind.TARGET, text=_unquote(target), format=str(kind),
                              span=self._span(meta))

    def export_jsonl(self, meta, children):
        return n.ExportClause(n.ClauseKind.TARGET, text=_unquote(children[0]), format="jsonl",
                              span=self._span(meta))

    def export_mode(self, meta, children):
        return n.ExportClause(n.ClauseKind.MODE, text=children[0].text, span=self._span(meta))

    def suppression_decl(self, meta, children):
        locations, key = children
        return n.Suppression(tuple(locations), key, span=self._span(meta))

    def kpi_decl(self, meta, children):
        name, label, expr, display, purpose, allow = children
        kind, symbol = display or (None, None)
        return n.Kpi(name, label.text if label else None, expr,
                     purpose[1] if purpose else None, allow, kind, symbol,
                     span=self._span(meta))

    def format_percent(self, meta, children):
        return "percent", None

    def format_currency(self, meta, children):
        (token,) = children
        if token is None:
            return "currency", None
        symbol = _unquote(token)
        problem = currency_problem(symbol)
        if problem:
            raise _LiteralError(error(Code.E002, problem, self._tok_span(token),
                                      "write a symbol (\"€\") or an ISO code (\"EUR\"), or "
                                      "leave it out for none"))
        return "currency", symbol

    def format_number(self, meta, children):
        return "number", None

    def test_decl(self, meta, children):
        name, *items = children
        as_of = next((value for kind, value in items if kind == "as_of"), None)
        rows = tuple(value for kind, value in items if kind == "rows")
        expects = tuple(value for kind, value in items if kind == "expect")
        return n.Test(name, as_of, rows, expects, span=self._span(meta))

    def test_as_of(self, meta, children):
        literal = self.date_literal(meta, children)
        problem = as_of_problem(literal.value)
        if problem:
            raise _LiteralError(error(Code.E002, problem, literal.span,
                                      "an evaluation date lies in the years 1001 to 8998"))
        return ("as_of", literal)

    def test_rows(self, meta, children):
        table, *rest = children
        columns = tuple(c for c in rest if isinstance(c, n.Ident))
        rows = tuple(c for c in rest if isinstance(c, _Row))
        return ("rows", n.TestRows(table, columns, tuple(r.values for r in rows),
                                   span=self._span(meta)))

    def test_row(self, meta, children):
        return _Row(children[0])

    def test_values(self, meta, children):
        return tuple(children)

    def missing_value(self, meta, children):
        return _MISSING

    def negative_number(self, meta, children):
        literal = self.number(meta, children)
        return n.Literal(-literal.value, "number", span=literal.span)

    def test_expect(self, meta, children):
        segment, *middle, keys = children  # `[ "." name ]` leaves placeholders when absent
        bucket = next((c for c in middle if isinstance(c, n.Ident)), None)
        if any(key is _MISSING for key in keys or ()):
            raise _LiteralError(error(Code.E002, "an expected member is a key, not `missing`",
                                      self._span(meta), "list the keys of the members"))
        return ("expect", n.TestExpect(segment, bucket, tuple(keys or ()), span=self._span(meta)))

    def extends(self, meta, children):
        return children[0]

    def description(self, meta, children):
        return ("description", _unquote(children[0]), self._span(meta))

    def owner(self, meta, children):
        return ("owner", _unquote(children[0]), self._span(meta))

    def purpose(self, meta, children):
        span = self._span(meta)
        return ("purpose", n.Purpose(_unquote(children[0]), span=span), span)

    purpose_clause = purpose

    def allow_clause(self, meta, children):
        return n.Allow(tuple(children), span=self._span(meta))

    def allow_property(self, meta, children):
        return ("allow", children[0], self._span(meta))

    def tags(self, meta, children):
        return ("tags", tuple(_unquote(t) for t in children), self._span(meta))

    def where(self, meta, children):
        return ("where", children[0], self._span(meta))
