"""Tools that check the code base itself (not used by the library at run time)."""
