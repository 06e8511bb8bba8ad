"""The one exception type users see: its message says what was wrong and what would work."""


class RobustPruneError(Exception):
    """A user-facing error (bad argument, missing resource, offline hub name, ...).

    The CLI prints it as one line and exits non-zero; the dashboard shows it in place.
    """


class StoreNotice(UserWarning):
    """Something the run store did or found that a user should hear of in one line (a damaged run treated as
    missing, an index rebuilt from the run folders); the CLI prints it as one line on stderr."""
