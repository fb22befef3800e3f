"""Suite-wide checks that must fail once and clearly, not as dozens of FileNotFoundErrors."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import FIXTURES


def pytest_sessionstart(session: pytest.Session) -> None:
    # The recorded platform payloads live in ../shared (never copied into the repo): a clone
    # checked out anywhere else needs CODEGUARD_FIXTURES pointing at them.
    if not FIXTURES.is_dir():
        pytest.exit(
            f"webhook fixtures not found at {FIXTURES}: clone the repository beside shared/ "
            "(as CI does) or set CODEGUARD_FIXTURES to shared/fixtures/webhooks",
            returncode=2,
        )
