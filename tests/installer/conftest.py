"""The packaged app's tests build the package first, so they run only when asked:
``uv run pytest tests/installer --package`` (what .ci/run does after the test suite)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--package",
        action="store_true",
        help="build the Linux package with installer/build.py and test it (minutes)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--package"):
        return
    skip = pytest.mark.skip(reason="builds the package: run with --package (.ci/run does)")
    for item in items:
        if "package" in item.keywords:
            item.add_marker(skip)
