"""The codes of `segl lint`'s rules (L…). Title and explanation are what `segl lint
--list-rules`, SARIF and docs/lint.md show as what a rule finds and why it matters; the rule's
name and whether it is judged over the whole project are compiler/analysis/lint/rules.py's."""

from __future__ import annotations

from .declared import Declared, Severity

E, W = Severity.ERROR, Severity.WARNING

_DESCRIBED = '  description "Ordered four times or more"\n'

LINT_CODES = (
    Declared(
        "L001", W, "a segment has no `owner`",
        "someone must answer for who is targeted and keep the definition current",
        "segment loyal {\n" + _DESCRIBED + "  where count(orders) >= 4\n}",
        "segment loyal {\n" + _DESCRIBED + '  owner "crm-team"\n  where count(orders) >= 4\n}'),
    Declared(
        "L002", W, "a segment has no `description`",
        "a reviewer needs the intent, not only the condition, to judge a change",
        'segment loyal {\n  owner "crm-team"\n  where count(orders) >= 4\n}',
        'segment loyal {\n  owner "crm-team"\n' + _DESCRIBED + "  where count(orders) >= 4\n}"),
    Declared(
        "L101", E,
        "a segment, segmentation or KPI uses a `pii` or `sensitive` column without a "
        "`purpose` or a consent condition",
        "GDPR: personal data may only be processed for a declared purpose or with consent",
        'segment gmail = email ends with "@gmail.com"',
        'segment gmail {\n  purpose "Warn Gmail users about the mail outage"\n'
        '  allow (email)\n  where email ends with "@gmail.com"\n}'),
    Declared(
        "L102", E,
        "an output of a segment, segmentation, KPI or persona is derived from personal data "
        "that the object does not `allow`",
        "every command refuses such an output (E504): personal data leaves only with a "
        "purpose and an explicit allow",
        'segment gmail {\n  purpose "Warn Gmail users about the mail outage"\n'
        '  where email ends with "@gmail.com"\n}',
        'segment gmail {\n  purpose "Warn Gmail users about the mail outage"\n'
        '  allow (email)\n  where email ends with "@gmail.com"\n}'),
    Declared(
        "L201", W, "a negated comparison silently excludes entities whose value is missing",
        '`x != "a"` and `not (x > 5)` are missing, not true, when x is missing',
        'segment outside_amsterdam = city != "Amsterdam"',
        'segment outside_amsterdam = city is missing or city != "Amsterdam"'),
    Declared(
        "L202", W, "a bound on `min`/`max` over events excludes entities that have no events",
        '`max(orders.amount) <= 100` reads as "never above 100" but drops who never ordered',
        "segment small_baskets = max(orders.amount) <= 100",
        "segment small_baskets = count(orders) > 0 and max(orders.amount) <= 100"),
    Declared(
        "L301", E, "a condition is false for every entity by construction",
        "an empty segment is a bug: contradictory bounds, `a and not a`",
        "segment regular = count(orders) > 5 and count(orders) < 3",
        "segment regular = count(orders) >= 3 and count(orders) <= 5"),
    Declared(
        "L302", W, "a condition is true for every entity by construction",
        "a segment of everyone is usually a mistake: `count(…) >= 0`, `a or not a`",
        "segment buyers = count(orders) >= 0",
        "segment buyers = count(orders) >= 1"),
    Declared(
        "L303", W, "a segmentation bucket can never match (compiler warning W201)",
        "an earlier bucket takes every entity it would take",
        "segmentation activity {\n  buyer when count(orders) >= 1\n"
        "  regular when count(orders) >= 5\n  else none\n}",
        "segmentation activity {\n  regular when count(orders) >= 5\n"
        "  buyer when count(orders) >= 1\n  else none\n}"),
    Declared(
        "L401", W, "a feature is used by nothing",
        "dead definitions mislead readers and reviewers",
        "feature spend = sum(orders.amount)\nsegment big_spender = sum(orders.amount) > 1000",
        "feature spend = sum(orders.amount)\nsegment big_spender = spend > 1000"),
    Declared(
        "L402", W, "a parameter is used by nothing",
        "an override of an unused parameter silently does nothing",
        "param min_orders = 4\nsegment loyal = count(orders) >= 4",
        "param min_orders = 4\nsegment loyal = count(orders) >= min_orders"),
    Declared(
        "L501", W, "a segmentation has more than 7 buckets (compiler warning W202)",
        "3 to 7 groups stay distinct and actionable",
        "segmentation town {\n"
        + "".join(f'  t{i} when city = "{town}"\n' for i, town in enumerate(
            ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen",
             "Tilburg")))
        + "  else elsewhere\n}",
        'segmentation town {\n  big_four when city in ("Amsterdam", "Rotterdam", '
        '"Den Haag", "Utrecht")\n  else elsewhere\n}'),
    Declared(
        "L901", W, "a `# segl: ignore[…]` comment silences nothing",
        "stale suppressions hide the next real finding on that line",
        'segment amsterdam = city = "Amsterdam"  # segl: ignore[L201] not needed',
        'segment amsterdam = city = "Amsterdam"'),
    Declared(
        "L902", W, "a `# segl: ignore` comment names no code or an unknown code",
        "a misspelt code silences nothing",
        'segment outside = city != "Amsterdam"  # segl: ignore[L21] missing cities are out',
        'segment outside = city != "Amsterdam"  # segl: ignore[L201] missing cities are out'),
)
