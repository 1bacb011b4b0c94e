"""`segl fmt` prints experiments, the holdout, exports and the suppression list in the
canonical format, keeps their comments, and is idempotent."""

from __future__ import annotations

from segl.compiler.api import format_source

MESSY = """entity c from csv "c.csv" key id {
  id int
  email text pii
  ok bool consent
}
segment s = true
holdout   5%   salt "h"   # global
suppression   from csv "no.csv"   key id
experiment   e "E"  on s salt "x" {   a 50%  # first
  b 50.5% }
export x from s { traits (id,email) require consent ok purpose "Mail"  via "email"
  to   jsonl "o.jsonl" }
"""
CANONICAL = """entity c from csv "c.csv" key id {
  id int
  email text pii
  ok bool consent
}

segment s = true

holdout 5% salt "h"  # global

suppression from csv "no.csv" key id

experiment e "E" on s salt "x" {
  a 50%  # first
  b 50.5%
}

export x from s {
  traits (id, email)
  require consent ok
  purpose "Mail"
  via "email"
  to jsonl "o.jsonl"
}
"""


def test_canonical_and_idempotent():
    assert format_source(MESSY, "x.seg") == CANONICAL
    assert format_source(CANONICAL, "x.seg") == CANONICAL


NEW_CLAUSES_MESSY = """entity c from csv "c.csv" key id {
  id int
  region text
}
feature f = 1
segment s = true
experiment   e on s salt "x"   stratify   by  region {   a 50%
  b 50%   kpis (f,s) }
export x from s { traits (region)  mode   changes
  to csv "o.csv" }
"""
NEW_CLAUSES = """entity c from csv "c.csv" key id {
  id int
  region text
}

feature f = 1

segment s = true

experiment e on s salt "x" stratify by region {
  a 50%
  b 50%
  kpis (f, s)
}

export x from s {
  traits (region)
  mode changes
  to csv "o.csv"
}
"""


def test_stratify_kpis_and_mode_are_canonical_and_idempotent():
    assert format_source(NEW_CLAUSES_MESSY, "x.seg") == NEW_CLAUSES
    assert format_source(NEW_CLAUSES, "x.seg") == NEW_CLAUSES
