"""One random seed per attacked example, so that an example's attack does not depend on the others.

TextAttack's ``Attacker`` seeds its random generators once per dataset; a randomised
transformation (TextBugger's character bugs pick positions at random) then depends on
how many random draws the examples before it made. Here every example is attacked from
its own seed, derived from the run's seed and the example's position in the attacked
texts, in every mode (serial, batched across examples, sharded over processes or Ray
nodes), so any subset of the examples gives the same per-example results as the whole.
"""

from __future__ import annotations

import hashlib


def example_seed(seed: int, index: int) -> int:
    """The seed of example ``index`` of a run seeded with ``seed``: a hash, in [0, 2**31)."""
    digest = hashlib.sha256(f"robustprune-attack:{int(seed)}:{int(index)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def seed_example(seed: int, index: int) -> int:
    """Seed Python's, NumPy's and torch's generators (as TextAttack's ``set_seed`` does) for one example."""
    from robustprune.attack.resources import import_textattack

    value = example_seed(seed, index)
    import_textattack().shared.utils.set_seed(value)
    return value
