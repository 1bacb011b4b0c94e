"""The language's vocabulary, in one place: every word and symbol of `grammar/seg.lark`, what
kind of word it is and what it means, and one scanner that cuts `.seg` text into lexemes.

Editors (the language server's completion, semantic tokens and hover, the VS Code grammar's
test) read it. `tests/grammar/test_lexicon.py` checks it against the grammar's terminals both
ways, so a keyword added to the grammar without an entry here fails a test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class WordKind(StrEnum):
    DECLARATION = "declaration"  # starts a top-level declaration
    CLAUSE = "clause"  # a structural word inside a declaration
    PROPERTY = "property"  # a property of a segment block
    OPERATOR = "operator"  # logic, predicates and ranking written as words
    CONSTANT = "constant"  # a value written as a word
    TYPE = "type"  # a column type
    TAG = "tag"  # a column tag (personal data, consent)
    UNIT = "unit"  # a unit of time
    LOCATION = "location"  # how a source is read
    BINNING = "binning"  # how a score cuts entities into bins
    DISPLAY = "display"  # how a KPI's values are shown


@dataclass(frozen=True)
class Word:
    text: str
    kind: WordKind
    summary: str


def _words(kind: WordKind, entries: tuple[tuple[str, str], ...]) -> tuple[Word, ...]:
    return tuple(Word(text, kind, summary) for text, summary in entries)


# In the order a user meets them; the parser cuts a file into pieces at these words.
DECLARATIONS = _words(WordKind.DECLARATION, (
    ("import", 'import "other.seg" (relative to this file) or a library file: import std.rfm'),
    ("param", "param NAME = literal: a value that --param or segl.toml can override"),
    ("entity", "entity NAME from LOCATION key COLUMN: the table segments select from"),
    ("events", "events NAME from LOCATION key COLUMN [at TIME]: many rows per entity"),
    ("lookup", "lookup NAME from LOCATION key COLUMN for TABLE.COLUMN: one row per key"),
    ("feature", "feature NAME [\"label\"] = expression: a value per entity"),
    ("segment", "segment NAME [\"label\"] = condition, or a block with where/owner/…"),
    ("segmentation", "segmentation NAME { … }: every entity in exactly one bucket"),
    ("kpi", "kpi NAME = measure: measured per segment, per bucket and over everyone"),
    ("persona", "persona NAME [\"label\"] for SEGMENT { … }: the archetype of a segment"),
    ("test", "test NAME { as_of … rows … expect … }: fixture rows in, members out"),
    ("experiment", 'experiment NAME on SEGMENT salt "…" { ARM N% … }: arms by a hash of the key'),
    ("holdout", 'holdout N% salt "…": entities kept out of every experiment and export'),
    ("export", 'export NAME from SEGMENT { traits (…) require consent COL … to csv "…" }'),
    ("suppression", 'suppression from LOCATION key COLUMN: keys no export ever contains'),
))
CLAUSES = _words(WordKind.CLAUSE, (
    ("from", "the locations a source is read from; or the start of a `from D to D` window"),
    ("key", "the column holding the entity key"),
    ("at", "the time column of an events table: rows after as_of are dropped"),
    ("through", "events reached through another events table: through OTHER on COL = COL"),
    ("on", "the join columns of a `through` table; the segment an experiment splits; "
            "the features clusters are found on"),
    ("for", "what a lookup hangs off (TABLE.COLUMN), or the segment a persona stands for"),
    ("extends", "a segment narrowing another: every member of it is a member of the other"),
    ("where", "a condition: of a segment, or filtering the rows of an aggregate"),
    ("expect", "a check on a segment's size, share or overlap; in a test, its members"),
    ("size", "expect size >= N: the number of members"),
    ("share", "expect share <= N%: the members' share of all entities"),
    ("overlap", "expect overlap with SEGMENT < N%: the share of members in both"),
    ("with", "part of `overlap with`, `starts with` and `ends with`"),
    ("when", "a bucket's condition, or a branch of `case`"),
    ("else", "the last bucket (everyone left), or the fallback of `case`"),
    ("score", "score NAME by VALUE higher|lower is better into N BINNING"),
    ("tiers", "segmentation NAME = tiers by VALUE … into N BINNING: buckets tier_1..tier_N"),
    ("clusters", "segmentation NAME = clusters K on (VALUES) scaled S seed N: k-means buckets"),
    ("scaled", "how clusters scale their features: zscore, minmax or none"),
    ("seed", "the seed of `segl discover`'s k-means++ start: the same seed, the same clusters"),
    ("by", "the value a ranking, score or tier orders by"),
    ("is", "`is missing`, `is present`, `higher is better`"),
    ("better", "`higher is better` / `lower is better`: which end of a score is best"),
    ("higher", "higher values score better"),
    ("lower", "lower values score better"),
    ("into", "the number of bins of a score or tier"),
    ("rows", "rows TABLE (COLUMNS) { (values) … }: fixture rows of a test"),
    ("case", "case when C then V … [else V] end"),
    ("then", "the value of a `case` branch; the second step of a sequence: "
             "count(A then [no|first] B within N days)"),
    ("no", "`A then no B within N days`: a sequence whose second step does not happen"),
    ("first", "`A then first B`: the first B after an A (first(…) is the aggregate)"),
    ("within", "`A then B within N days`: how soon the second step of a sequence follows"),
    ("end", "the end of a `case`"),
    ("last", "`in last N days`: a window ending at as_of; `in last month`: the calendar "
             "month before as_of's"),
    ("this", "`in this month|quarter|year`: the calendar period of as_of, up to as_of"),
    ("previous", "`in previous N days`: the N days before the last N days"),
    ("each", "`in each of the last N months`: the smallest of the N monthly values"),
    ("of", "`in each of the last N months`"),
    ("the", "`in each of the last N months`"),
    ("since", "a window from a date to as_of"),
    ("before", "a window of the days before a date"),
    ("to", "the end date of a `from D to D` window; where an export writes; "
           "`similarity to SEGMENT`"),
    ("distinct", "count(distinct TABLE.COLUMN): distinct values"),
    ("format", "kpi NAME = measure format percent|currency [\"€\"]|number: how its values are "
               "shown"),
    ("salt", 'salt "…": the text hashed with each key to assign arms (docs/experiments.md)'),
    ("traits", "traits (a, b): the columns and features an export writes per member"),
    ("require", "require consent COLUMN: members without consent are left out of an export"),
    ("via", 'via "email": the channel an export goes to; a channel needs consent'),
    ("jsonl", 'to jsonl "path": JSON lines, one object per member'),
    ("mode", "mode full|changes: every member, or who joined and who left since the last "
             "export"),
    ("kpis", "kpis (K, …) in an experiment: the features or segments read out per arm"),
    ("stratify", "stratify by COLUMN: each value of the column split in the arms' shares"),
))
PROPERTIES = _words(WordKind.PROPERTY, (
    ("description", "what the segment is, for people"),
    ("owner", "who answers for the segment"),
    ("tags", 'tags ("a", "b"): labels for finding segments'),
    ("purpose", "why personal data is used (required for any `allow`)"),
    ("allow", "allow (email, area.region): the personal columns an object may output"),
))
OPERATORS = _words(WordKind.OPERATOR, (
    ("and", "both conditions hold"),
    ("or", "either condition holds"),
    ("not", "the condition does not hold (`not in` for a list)"),
    ("between", "x between LOW and HIGH: both ends included"),
    ("in", "x in (a, b): one of the values; `in last N days`: a window"),
    ("contains", "the text contains the other text"),
    ("starts", "`starts with`: the text begins with the other text"),
    ("ends", "`ends with`: the text ends with the other text"),
    ("like", "SQL LIKE pattern: % any text, _ one character"),
    ("top", "top N [%] by VALUE [among CONDITION]: the highest-ranked entities"),
    ("bottom", "bottom N [%] by VALUE [among CONDITION]: the lowest-ranked entities"),
    ("among", "rank only the entities meeting the condition"),
    ("similarity", "top N% by similarity to SEGMENT on (VALUES): its lookalikes"),
))
CONSTANTS = _words(WordKind.CONSTANT, (
    ("true", "the boolean true"),
    ("false", "the boolean false"),
    ("missing", "`is missing`: no value; in a test row, a missing value; clusters' missing rule"),
    ("present", "`is present`: has a value"),
    ("as_of", "the evaluation date (segl run --as-of, segl.toml, or a test's as_of)"),
))
TYPES = _words(WordKind.TYPE, (
    ("int", "a whole number"),
    ("decimal", "an exact decimal number"),
    ("float", "a floating-point number"),
    ("text", "text"),
    ("bool", "true or false"),
    ("date", "a calendar date"),
    ("timestamp", "a date and a time of day"),
))
TAGS = _words(WordKind.TAG, (
    ("pii", "personal data: never output without an explicit allow"),
    ("sensitive", "special-category personal data (health, religion, …)"),
    ("consent", "a bool column: true when the customer consented"),
))
UNIT_BASES = ("day", "week", "month", "year")  # each also written with an s: `days`
UNITS = _words(WordKind.UNIT, tuple(
    (word, f"a unit of time ({base})") for base in UNIT_BASES for word in (base, base + "s")
))
LOCATIONS = _words(WordKind.LOCATION, (
    ("table", 'table "schema.name": a table of the warehouse (or --db)'),
    ("parquet", 'parquet "path/*.parquet": Parquet files, relative to this file'),
    ("csv", 'csv "path.csv": a CSV file with a header row, relative to this file'),
))
BINNINGS = _words(WordKind.BINNING, (
    ("ntile", "equal-sized bins by rank"),
    ("quantile", "bins by value quantiles: ties stay together"),
    ("thresholds", "thresholds (a, b, …): bins cut at these values, ascending"),
))

DISPLAYS = _words(WordKind.DISPLAY, (
    ("percent", "a KPI shown as a percentage: 0.156 as 15.6%"),
    ("currency", "a KPI shown as an amount: two decimals, thousands separated, after its "
                 "symbol (`format currency \"€\"`, else segl.toml's `currency`)"),
    ("number", "a KPI shown as a number with two decimals (the default)"),
))

WORDS: tuple[Word, ...] = (*DECLARATIONS, *CLAUSES, *PROPERTIES, *OPERATORS, *CONSTANTS,
                           *TYPES, *TAGS, *UNITS, *LOCATIONS, *BINNINGS, *DISPLAYS)
KEYWORDS: frozenset[str] = frozenset(w.text for w in WORDS)
DECLARATION_KEYWORDS: tuple[str, ...] = tuple(w.text for w in DECLARATIONS)
# Declarations whose name other declarations use (an `import` has none, nothing refers to a
# `test`): the parser remembers the name of one that fails to parse, so its uses are not
# reported as unknown names as well.
_NOT_REFERRED_TO = frozenset(("import", "test", "holdout", "suppression", "export"))
NAMED_DECLARATION_KEYWORDS: tuple[str, ...] = tuple(
    w for w in DECLARATION_KEYWORDS if w not in _NOT_REFERRED_TO)


@dataclass(frozen=True)
class Symbol:
    text: str
    summary: str


# Operators and punctuation: every symbol the grammar uses, longest first (for scanning).
SYMBOLS: tuple[Symbol, ...] = (
    Symbol("!=", "not equal"), Symbol("<=", "at most"), Symbol(">=", "at least"),
    Symbol("<", "less than"), Symbol(">", "greater than"), Symbol("=", "equal; defines a name"),
    Symbol("+", "add; a date plus a duration"), Symbol("-", "subtract; negate"),
    Symbol("*", "multiply"), Symbol("/", "divide"), Symbol("%", "a percentage"),
    Symbol(".", "TABLE.COLUMN, SEGMENTATION.BUCKET, std.NAME"), Symbol(",", "separates items"),
    Symbol("(", "opens a group, a list or a call"), Symbol(")", "closes it"),
    Symbol("{", "opens a block"), Symbol("}", "closes a block"),
)


def time_unit(text: str) -> str | None:
    """The unit a word of time means (`days` -> `day`), or None for any other text."""
    found = word(text)
    return text.removesuffix("s") if found is not None and found.kind is WordKind.UNIT else None


def word(text: str) -> Word | None:
    return _by_text().get(text)


def words_of(kind: WordKind) -> tuple[Word, ...]:
    return tuple(w for w in WORDS if w.kind is kind)


@cache
def _by_text() -> dict[str, Word]:
    return {w.text: w for w in WORDS}


# ---------------------------------------------------------------- names

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_identifier(text: str) -> bool:
    """Spelt like a name (letters, digits, `_`; no digit first), keyword or not."""
    return bool(_PLAIN_NAME.fullmatch(text))


def is_plain_name(text: str) -> bool:
    """A name that needs no backquotes: an identifier that is not a word of the language."""
    return is_identifier(text) and text not in KEYWORDS


def is_valid_name(text: str) -> bool:
    """Any name the language can spell: plain, or backquoted (no backquote, no line break)."""
    return bool(text) and text.strip() == text and not any(c in text for c in "`\r\n")


def spell_name(text: str) -> str:
    """How a name is written in a file: as it is, or in backquotes."""
    return text if is_plain_name(text) else f"`{text}`"


# ---------------------------------------------------------------- lexemes


class LexemeKind(StrEnum):
    COMMENT = "comment"
    STRING = "string"
    QUOTED_NAME = "quoted_name"
    TIMESTAMP = "timestamp"
    DATE = "date"
    NUMBER = "number"
    WORD = "word"  # a keyword or a name: `keyword_at` tells which a word may be
    SYMBOL = "symbol"
    OTHER = "other"  # a character the language does not use


@dataclass(frozen=True)
class Lexeme:
    kind: LexemeKind
    start: int
    end: int
    text: str


# The grammar's own terminal patterns, in the priority the grammar gives them.
_LEXEME = re.compile("|".join((
    r"(?P<comment>#[^\n]*)",
    r'(?P<string>"(?:\\.|[^"\\\n])*")',
    r"(?P<quoted_name>`[^`\n]+`)",
    r"(?P<timestamp>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)",
    r"(?P<date>\d{4}-\d{2}-\d{2})",
    r"(?P<number>\d+(?:\.\d+)?)",
    r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
    "(?P<symbol>" + "|".join(re.escape(s.text) for s in SYMBOLS) + ")",
    r"(?P<other>\S)",
)))


def scan(text: str, start: int = 0, end: int | None = None) -> Iterator[Lexeme]:
    """Every lexeme of `text`, whitespace skipped. Never fails: a character the language does
    not use, or the quote of an unclosed string, is an OTHER lexeme. `start` and `end` scan
    only that part of the text, as if it ended at `end` (offsets stay the whole text's)."""
    for match in _LEXEME.finditer(text, start, len(text) if end is None else end):
        kind = match.lastgroup
        assert kind is not None
        yield Lexeme(LexemeKind(kind), match.start(), match.end(), match.group())


def comments(text: str) -> list[tuple[int, str]]:
    """(offset, text) of every comment, trailing whitespace removed: a `#` inside a string
    or a backquoted name starts none."""
    return [(lx.start, lx.text.rstrip()) for lx in scan(text) if lx.kind is LexemeKind.COMMENT]
