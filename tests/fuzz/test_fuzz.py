"""Issue 9 item 7: no text ends in a traceback. Mutants of every `.seg` of the repository and
files generated from the grammar go through check, fmt (idempotent), lint, every dialect and
the Polars plan; anything but Diagnostics is a failure.

A fixed budget here (a few hundred inputs, seconds); the long run sets SEGL_FUZZ_INPUTS
(tests/fuzz/README.md)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from tests.fuzz.grammar import HEADER, seg_files
from tests.fuzz.harness import exercise
from tests.fuzz.run import fuzz

INPUTS = int(os.environ.get("SEGL_FUZZ_INPUTS", "500"))
SEED = int(os.environ.get("SEGL_FUZZ_SEED", "1"))
MUTANTS = INPUTS * 4 // 5
GENERATED = INPUTS - MUTANTS
# The budget in the suite is the same inputs every run, so CI never turns red on a crash it
# happened to find today; the long run (SEGL_FUZZ_INPUTS set) draws new inputs each time.
LONG_RUN = "SEGL_FUZZ_INPUTS" in os.environ


def test_mutants_of_every_seg_file_never_crash(capsys):
    crashes = fuzz(MUTANTS, SEED)
    assert not crashes, capsys.readouterr().out


@settings(max_examples=GENERATED, deadline=None, database=None, derandomize=not LONG_RUN,
          suppress_health_check=list(HealthCheck))
@given(seg_files())
def test_files_generated_from_the_grammar_never_crash(text):
    exercise(HEADER + text, "generated.seg")
    exercise(text, "generated.seg")
