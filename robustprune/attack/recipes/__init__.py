"""The attack recipes: TextAttack's, built from offline parts where its downloads fail.

Each recipe is one file whose ``build(model_wrapper, parts)`` composes a transformation,
constraints, a goal function and a search method exactly as TextAttack's recipe does,
taking every downloaded part from ``RecipeParts``, which names what it substituted.
"""

from __future__ import annotations

import importlib

from robustprune.errors import RobustPruneError

RECIPES = {
    "textfooler": "robustprune.attack.recipes.textfooler",
    "bert-attack": "robustprune.attack.recipes.bert_attack",
    "textbugger": "robustprune.attack.recipes.textbugger",
}
ALIASES = {"textfooler_jin_2019": "textfooler", "bert_attack": "bert-attack", "bertattack": "bert-attack",
           "bae-r": "bert-attack", "textbugger_li_2018": "textbugger"}


def recipe_name(name: str) -> str:
    """The canonical recipe name, or a RobustPruneError listing the ones there are."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in RECIPES:
        raise RobustPruneError(f"unknown attack recipe {name!r}; use one of {', '.join(RECIPES)}")
    return key


def build_recipe(name: str, model_wrapper, parts):
    """A ``BuiltRecipe`` (TextAttack ``Attack`` + its label and substitutions) for ``name``."""
    from robustprune.attack.resources import import_textattack

    key = recipe_name(name)
    import_textattack()  # before any recipe module imports textattack: it reads NLTK data at import
    module = importlib.import_module(RECIPES[key])
    parts.sources = {}  # what this recipe's parts are (a RecipeParts may build several recipes)
    recipe = module.build(model_wrapper, parts)
    recipe.parts = dict(parts.sources)
    return recipe
