"""The compiler's codes: errors (E…) stop a file from compiling, warnings (W…) do not.

E0xx syntax and literals, E1xx names and structure, E2xx types, E3xx what a dialect or
engine cannot express, E4xx parameters, E5xx personal data; W2xx segmentations."""

from __future__ import annotations

from .declared import Declared, Severity

E, W = Severity.ERROR, Severity.WARNING

_RFM_FEATURES = ("feature rfm_recency = days_since(max(orders.ordered_at))\n"
                 "feature rfm_frequency = count(orders)\n"
                 "feature rfm_monetary = sum(orders.amount)\n")

COMPILER_CODES = (
    Declared(
        "E001", E, "syntax error",
        "The text does not follow the grammar: a misspelt keyword, a missing operator, or a "
        "symbol segl does not use (comparison is a single `=`, text is in double quotes).",
        'segment amsterdam = city == "Amsterdam"',
        'segment amsterdam = city = "Amsterdam"'),
    Declared(
        "E002", E, "invalid literal",
        "A value is written well but means nothing: a date that does not exist, a percentage "
        "outside 0 to 100 (`top 0% by …`), a fraction where a whole number is needed "
        "(`top 2.5 by …`, `1.5 days`), a text holding a NUL byte, score bins out of order.",
        "segment early = signup_date < 2020-02-30",
        "segment early = signup_date < 2020-02-29"),
    Declared(
        "E003", E, "expression nested too deeply",
        "An expression nests more than 100 levels deep (`case` inside `case`, `not not …`, "
        "parentheses around sums, calls inside calls), counting the features, segments and "
        "segmentations it uses. A chain of `and`/`or` is one level however long. Deeper "
        "nesting would exhaust the recursion of the stages after the parser; split it into "
        "features.",
        "segment odd = " + "not " * 101 + "city = \"Utrecht\"",
        "segment odd = not city = \"Utrecht\""),
    Declared(
        "E004", E, "the file is not UTF-8 text",
        "A `.seg` file is UTF-8 (a byte-order mark is allowed). The error points at the line "
        "and column of the first byte that is not UTF-8, often a Latin-1 `é` or `ü`; save the "
        "file as UTF-8.",
        '# saved as Latin-1\nsegment zurich = city = "Zürich"',
        '# saved as UTF-8\nsegment zurich = city = "Zürich"'),
    Declared(
        "E005", E, "a NUL byte in the file",
        "A `.seg` file holds a NUL byte: a binary or UTF-16 file, or a NUL in an import or "
        "location path (which the operating system would cut short there). The message names "
        "which.",
        '# saved as UTF-16\nsegment zurich = city = "Zurich"',
        '# saved as UTF-8\nsegment zurich = city = "Zurich"'),
    Declared(
        "E101", E, "unknown name",
        "A name refers to no column, feature, segment, parameter or table visible here: a "
        "misspelt name, a `--segment` that does not exist, an unknown `through` table. The "
        "hint names the closest known names.",
        'segment amsterdam = cty = "Amsterdam"',
        'segment amsterdam = city = "Amsterdam"'),
    Declared(
        "E102", E, "duplicate definition",
        "Two declarations have the same name (in one file or across imported files), a "
        "column is declared twice, or a clause (`where`, `owner`) is given twice in one "
        "block; a later one would silently replace the first.",
        'segment local = city = "Utrecht"\nsegment local = city = "Amsterdam"',
        'segment utrecht = city = "Utrecht"\nsegment amsterdam = city = "Amsterdam"'),
    Declared(
        "E103", E, "circular definition",
        "A feature, segment, lookup or import depends on itself, directly or through others, "
        "so it has no value.",
        "segment a = b and count(orders) > 1\nsegment b = a",
        "segment a = count(orders) > 1\nsegment b = a"),
    Declared(
        "E104", E, "import not found or unreadable",
        "A file (the one given, or one it imports) cannot be read (E004: not UTF-8), or names a "
        "standard library file that does not exist.",
        _RFM_FEATURES + "import std.rfn",
        _RFM_FEATURES + "import std.rfm"),
    Declared(
        "E105", E, "name shadows a column",
        "A feature or segment would have the name of a column of the entity (or of a column "
        "segl adds), so a reader could not tell which one a condition means.",
        "feature signup_date = min(orders.ordered_at)",
        "feature first_order = min(orders.ordered_at)"),
    Declared(
        "E106", E, "missing or duplicate entity",
        "A project declares exactly one `entity` (none, or two, is this error): the table "
        "whose rows the segments select. Every other table is `events` (many rows per "
        "entity) or a `lookup`.",
        'entity shop from csv "shops.csv" key shop_id',
        'lookup shop from csv "shops.csv" key shop_id for customer.shop_id'),
    Declared(
        "E107", E, "invalid source declaration",
        "A declaration is incomplete or cannot work: a table name that is not "
        "`[catalog.]schema.table`, a path with control characters, `through` a table that is "
        "itself `through`, a segment block with neither `where` nor `extends`.",
        'lookup shop from table "crm shops" key shop_id for customer.shop_id',
        'lookup shop from table "crm.shops" key shop_id for customer.shop_id'),
    Declared(
        "E108", E, "aggregate misuse",
        "An events table has many rows per entity, so its columns are used inside an "
        "aggregate: `orders.amount` outside one, nested aggregates, an entity column inside "
        "one, `sum(orders)`, `distinct` on `avg`, `first` on a table without `at`, `top` "
        "inside an aggregate, a KPI that does not add up over a group of entities.",
        "segment big_spender = orders.amount > 100",
        "segment big_spender = max(orders.amount) > 100"),
    Declared(
        "E109", E, "unknown function",
        "The function does not exist; the hint names the closest function.",
        "segment big_spender = summ(orders.amount) > 1000",
        "segment big_spender = sum(orders.amount) > 1000"),
    Declared(
        "E110", E, "wrong number of arguments",
        "The function takes a different number of arguments (`round(x, 1, 2)`, "
        "`count(a, b)`).",
        "segment new = days_since(signup_date, 1) < 30",
        "segment new = days_since(signup_date) < 30"),
    Declared(
        "E111", E, "window misuse",
        "A window (`in last N days`, `from DATE to DATE`) applies to an aggregate over an "
        "events table with a time column (`at`), holds at least one day, does not end before "
        "it starts, and takes only int or date parameters.",
        "segment active = count(orders) in last 0 days > 0",
        "segment active = count(orders) in last 30 days > 0"),
    Declared(
        "E112", E, "experiment or holdout misdeclared",
        "An experiment's arms each take a positive share of its segment, in hundredths of a "
        "percent, adding up to at most 100%; arm names differ (`outside` names the members "
        "of no arm); the salt is not empty; a project has at most one `holdout`, below 100% "
        "(docs/experiments.md).",
        'segment everyone = true\n'
        'experiment mail on everyone salt "mail-1" { control 50% variant 60% }',
        'segment everyone = true\n'
        'experiment mail on everyone salt "mail-1" { control 50% variant 50% }'),
    Declared(
        "E113", E, "export misdeclared",
        "An export names its target once (`to csv|parquet|jsonl \"path\"` or `to table "
        "\"schema.name\"`), each clause once, each trait once; a file target is a relative "
        "path inside the declaring file's folder (a `.seg` file from a pull request writes "
        "nowhere else); `require` takes `consent`; a project has one `suppression` list "
        "(docs/activation.md).",
        'segment everyone = true\n'
        'export list from everyone { traits (city) to csv "/tmp/list.csv" }',
        'segment everyone = true\n'
        'export list from everyone { traits (city) to csv "out/list.csv" }'),
    Declared(
        "E114", E, "clusters not fitted, or the lock file is stale",
        "A `clusters` segmentation assigns entities to the centroids `segl discover` wrote "
        "to the lock file next to the `.seg` (`shop.clusters.toml` for `shop.seg`), and a "
        "lookalike (`similarity to SEGMENT on (…)`) ranks by the seed's centroid written "
        "there. The lock file is missing, holds no section for it, cannot be read, or was "
        "fitted for another declaration (its fingerprint covers k, the features as written, "
        "the scaling, the seed and the missing rule). Run `segl discover FILE` and commit "
        "the lock file with the change (docs/discovery.md).",
        "# no shop.clusters.toml beside shop.seg\n"
        "segmentation styles = clusters 3 on (count(orders), sum(orders.amount)) scaled zscore "
        "seed 42",
        "# after `segl discover shop.seg`: shop.clusters.toml holds [styles]\n"
        "segmentation styles = clusters 3 on (count(orders), sum(orders.amount)) scaled zscore "
        "seed 42"),
    Declared(
        "E125", E, "sequence misuse",
        "An event sequence (`A then B within N`, `A then no B within N`, `A then first B`) "
        "is counted with `count(…)` or dated with `last(…)`, per entity; both steps name an "
        "events table keyed by the entity (not `through` another) with a time column "
        "(`at`), and each step's `where` reads only its own table's columns "
        "(docs/language.md#sequences). `within` is a window: E111 when it is under a day.",
        'segment repeat_buyers = sum(orders then orders within 30 days) > 0',
        'segment repeat_buyers = count(orders then orders within 30 days) > 0'),
    Declared(
        "E201", E, "type mismatch",
        "Two values of different types are compared or combined: a date with a text, "
        "`city + 1`, `avg` of a text column, `case` branches of different types.",
        'segment early = signup_date < "2020-01-01"',
        "segment early = signup_date < 2020-01-01"),
    Declared(
        "E202", E, "predicate is not boolean",
        "A segment, bucket, `where` or `not` needs a condition (true or false), not a number "
        "or a text.",
        "segment big_spender = sum(orders.amount)",
        "segment big_spender = sum(orders.amount) > 1000"),
    Declared(
        "E301", E, "construct not expressible in the target dialect or engine",
        "The file is valid, but the chosen SQL dialect or engine cannot express a part of it: "
        "a name it cannot hold (BigQuery: a dot in a name; PostgreSQL: two names alike in "
        "their first 63 bytes), a source it cannot read (BigQuery reads no files: a source "
        "needs a `table`; the Polars engine reads no `table`). Raised by `segl compile "
        "--dialect` and `segl run --engine`; the example assumes the prelude's sources also "
        "name a `table`.",
        'segment `amsterdam.central` = city = "Amsterdam"',
        'segment amsterdam_central = city = "Amsterdam"'),
    Declared(
        "E302", E, "an output is named like the date of many dates",
        "Evaluated at many dates in one query (`--as-of D1..D2`, `segl history`), the members "
        "have the date in a column `as_of`, first: a segment, segmentation, score, trait or "
        "the entity key named `as_of` (in any case) would be a second column of that name. "
        "Raised by `segl compile --as-of D1,D2` and `segl run --as-of D1..D2`; one date at a "
        "time has no date column.",
        'segment `as_of` = city = "Amsterdam"\n'
        "# segl run example.seg --as-of 2026-01-31,2026-02-28",
        'segment in_amsterdam = city = "Amsterdam"\n'
        "# segl run example.seg --as-of 2026-01-31,2026-02-28"),
    Declared(
        "E401", E, "invalid parameter override",
        "A `--param NAME=VALUE` (or a `[params]` value in segl.toml) names no `param` of the "
        "file, or its value is not of the parameter's type. A usage error: exit 2.",
        "param min_orders = 4\nsegment loyal = count(orders) >= min_orders\n"
        "# segl run shop.seg -p min_orders=four",
        "param min_orders = 4\nsegment loyal = count(orders) >= min_orders\n"
        "# segl run shop.seg -p min_orders=5"),
    Declared(
        "E501", E, "a blank or placeholder purpose",
        "A `purpose` says why personal data is used; an empty or placeholder text (`TODO`, "
        "`n/a`, `...`, a text over several lines) says nothing (docs/privacy.md).",
        'segment minors {\n  purpose "TODO"\n  where birth_date > 2008-06-30\n}',
        'segment minors {\n  purpose "Keep minors out of marketing, as the law requires"\n'
        "  where birth_date > 2008-06-30\n}"),
    Declared(
        "E502", E, "`allow` without a purpose",
        "An `allow` lets personal data leave segl; it is only accepted with the `purpose` it "
        "serves.",
        "kpi emails = count(email) allow (email)",
        'kpi emails = count(email)\n  purpose "Measure how many customers we can mail"\n'
        "  allow (email)"),
    Declared(
        "E503", E, "`allow` names a column that is not personal data",
        "Only `pii` and `sensitive` columns need an allow; allowing another column is a "
        "mistake in the declaration (often the wrong column).",
        'segment amsterdam {\n  purpose "Invite customers to the store opening"\n'
        '  allow (city)\n  where city = "Amsterdam"\n}',
        'segment amsterdam {\n  where city = "Amsterdam"\n}'),
    Declared(
        "E504", E, "an output carries personal data its object does not allow",
        "A command would output values derived from a `pii` or `sensitive` column (members, "
        "buckets, KPI values, persona profiles) that the object does not `allow`. Nothing is "
        "written; exit 2. `segl lint` reports the same as L102 (docs/privacy.md).",
        'segment gmail {\n  purpose "Warn Gmail users about the mail outage"\n'
        '  where email ends with "@gmail.com"\n}',
        'segment gmail {\n  purpose "Warn Gmail users about the mail outage"\n'
        '  allow (email)\n  where email ends with "@gmail.com"\n}'),
    Declared(
        "E505", E, "an export without the consent it requires",
        "An export that carries personal data (a trait derived from a `pii` or `sensitive` "
        "column) or goes to a `channel` must declare `require consent COLUMN` (members whose "
        "consent is not true are left out and counted); one that carries personal data also "
        "declares its `purpose` (docs/activation.md).",
        'segment everyone = true\n'
        'export mailing from everyone { traits (email) to csv "out/mailing.csv" }',
        'segment everyone = true\n'
        'export mailing from everyone { traits (email) require consent email_opt_in '
        'purpose "Monthly newsletter" to csv "out/mailing.csv" }'),
    Declared(
        "W201", W, "a segmentation bucket that can never match",
        "Buckets take entities in order; an earlier bucket takes every entity this one would "
        "take, so it is always empty. `segl lint` reports it as L303.",
        "segmentation activity {\n  buyer when count(orders) >= 1\n"
        "  regular when count(orders) >= 5\n  else none\n}",
        "segmentation activity {\n  regular when count(orders) >= 5\n"
        "  buyer when count(orders) >= 1\n  else none\n}"),
    Declared(
        "W202", W, "a segmentation with more than 7 buckets",
        "More than 7 groups are hard to tell apart and to act on. `segl lint` reports it as "
        "L501. `tiers` (deciles and the like) are a measuring scale and are not counted.",
        "segmentation town {\n"
        + "".join(f'  t{i} when city = "{town}"\n' for i, town in enumerate(
            ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen",
             "Tilburg")))
        + "  else elsewhere\n}",
        'segmentation town {\n  big_four when city in ("Amsterdam", "Rotterdam", '
        '"Den Haag", "Utrecht")\n  else elsewhere\n}'),
)
