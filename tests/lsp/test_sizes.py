"""Sizes for hover are computed once per version of the files, in the background."""

import asyncio
from pathlib import Path

from segl.runtime.lsp import sizes
from segl.runtime.lsp.workspace import Workspace

from tests.lsp.conftest import CUSTOMERS, write_project


def test_sizes_are_computed_once_per_version_of_the_texts(tmp_path, monkeypatch):
    root = write_project(tmp_path)
    calls = []
    real = sizes._evaluate
    monkeypatch.setattr(sizes, "_evaluate", lambda analysis: calls.append(1) or real(analysis))
    workspace = Workspace()
    cache = sizes.SizeCache()
    main = Path(root / "main.seg").resolve()

    async def ask():
        return await cache.get(workspace.contexts(main)[0], wait=30)

    first = asyncio.run(ask())
    again = asyncio.run(ask())
    assert first is again and len(calls) == 1
    def living_in(city):
        return sum(1 for _, home, _ in CUSTOMERS if home == city)

    assert first.segments["delft"] == living_in("Delft") and first.entities == len(CUSTOMERS)
    # an unsaved edit is a new version: its sizes are computed anew
    text = main.read_text()
    workspace.set_text(main, text.replace('city = "Delft"', 'city = "Utrecht"'))
    changed = asyncio.run(ask())
    assert len(calls) == 2 and changed.segments["delft"] == living_in("Utrecht")
    # a project without segl.toml has no as_of to evaluate at: no sizes
    (root / "segl.toml").unlink()
    workspace.changed_on_disk()
    assert asyncio.run(ask()) is None
    cache.shutdown()
