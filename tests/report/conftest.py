"""The report tests read the dashboard tests' prepared run store (tests/dashboard/conftest.py)."""

from tests.dashboard.conftest import empty_home, home, workspace  # noqa: F401
