"""Is a text English or French? Enough to write the summary in the document's language.

Only those two are supported for the summary, so a stopword count is all that is needed: it is
deterministic, instant and has no model to ship. Anything else falls back to English.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "fr"]
SUPPORTED: tuple[Language, ...] = ("en", "fr")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ']+", re.IGNORECASE)
_EN = _words(
    "the of and to in is that it for was on are as with his they be at one have this from by "
    "not but what all were when we there can an which their said if do will each about how up "
    "out them then she many some so these would other into has more her two like him see time "
    "could no make than been its who now people my made over did down only way find use may "
    "water long little very after words called just where most know get through back much "
    "before also good new our should because any those between both under while"
)
_FR = _words(
    "le la les de des du un une et est en que qui dans pour pas sur au aux avec ce ces cette "
    "il elle ils elles nous vous on ne se sa son ses leur leurs par plus mais ou où donc car "
    "été être avoir fait comme tout tous toute toutes très sans sous entre aussi dont lui "
    "même ont sont était avait peut bien encore après avant deux chez ainsi alors depuis "
    "lors notre votre nos vos cela ceci leurs quand déjà"
)


def detect_language(text: str, default: Language = "en") -> Language:
    """'fr' or 'en' from the share of each language's common words in the first ~20k chars."""
    words = [w.lower().strip("'") for w in _WORD.findall(text[:20_000])]
    en = sum(1 for w in words if w in _EN)
    fr = sum(1 for w in words if w in _FR or w.startswith(("l'", "d'", "qu'", "n'", "s'")))
    if en == fr == 0:
        return default
    return "fr" if fr > en else "en"


def resolve_language(choice: str, detected: str) -> Language:
    """The summary language: the user's choice ('en'/'fr'), or the document's for 'auto'."""
    if choice in SUPPORTED:
        return choice  # type: ignore[return-value]
    return detected if detected in SUPPORTED else "en"  # type: ignore[return-value]


def is_stopword(word: str) -> bool:
    """A very common English or French word (useless as a search term)."""
    lowered = word.lower()
    return lowered in _EN or lowered in _FR or lowered in _QUESTION_WORDS


_QUESTION_WORDS = _words(
    "what which who whom whose why how when where does did is are was were document say says "
    "about tell me please quel quelle quels quelles qui quoi pourquoi comment quand combien "
    "est-ce document dit-il dit"
)
