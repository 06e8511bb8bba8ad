"""The one exception type users see: its message says what was wrong and what would work."""


class RobustPruneError(Exception):
    """A user-facing error (bad argument, missing resource, offline hub name, ...).

    The CLI prints it as one line and exits non-zero; the dashboard shows it in place.
    """
