"""Completion prompts for summaries and answers, in English and French.

The bundled model is a small *base* model: it continues text rather than following
instructions, so each prompt is a document layout whose natural continuation is the wanted
output ("Text: …  Summary:"). Instruction-tuned models read them just as well.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PromptSet:
    map: str
    reduce: str
    single: str
    reduce_item: str
    answer: str
    answer_item: str
    title: str  # the heading of the summary message
    by_part: str
    sources: str
    request: str  # the user turn stored with a summary
    no_match: str
    stops: tuple[str, ...]


ENGLISH = PromptSet(
    map=(
        "Document: {name}\nPart {index} of {total}, {pages}.\n\nText:\n{text}\n\n"
        "Summary of part {index} ({pages}), in two or three sentences:\n"
    ),
    reduce=(
        "Document: {name}\nSummaries of its parts, in order:\n\n{items}\n\n"
        "Summary of the whole document, in a few sentences, citing pages as (p. X):\n"
    ),
    reduce_item="Part {index} ({pages}): {text}",
    single=(
        "Document: {name}\n\nText:\n{text}\n\n"
        "Summary of the document, in a few sentences, citing pages as (p. X):\n"
    ),
    answer=(
        "Extracts from the documents:\n\n{items}\n\n"
        "Question: {question}\n"
        "Answer, using only the extracts above and citing them as [1], [2]:\n"
    ),
    answer_item="[{number}] {source}: {text}",
    title="Summary of {name}",
    by_part="By part",
    sources="Sources",
    request="Summarise {name}",
    no_match=(
        "The attached documents contain nothing that matches this question; try other words "
        "(names, figures or terms used in the document)."
    ),
    stops=("\n\n\n", "\nText:", "\nDocument:", "\nQuestion:", "\nPart ", "\nSummary of"),
)

FRENCH = PromptSet(
    map=(
        "Document : {name}\nPartie {index} sur {total}, {pages}.\n\nTexte :\n{text}\n\n"
        "Résumé de la partie {index} ({pages}), en deux ou trois phrases :\n"
    ),
    reduce=(
        "Document : {name}\nRésumés de ses parties, dans l'ordre :\n\n{items}\n\n"
        "Résumé de l'ensemble du document, en quelques phrases, avec les pages (p. X) :\n"
    ),
    reduce_item="Partie {index} ({pages}) : {text}",
    single=(
        "Document : {name}\n\nTexte :\n{text}\n\n"
        "Résumé du document, en quelques phrases, avec les pages (p. X) :\n"
    ),
    answer=(
        "Extraits des documents :\n\n{items}\n\n"
        "Question : {question}\n"
        "Réponse, fondée uniquement sur les extraits ci-dessus, en les citant [1], [2] :\n"
    ),
    answer_item="[{number}] {source} : {text}",
    title="Résumé de {name}",
    by_part="Par partie",
    sources="Sources",
    request="Résume {name}",
    no_match=(
        "Les documents joints ne contiennent rien qui corresponde à cette question ; essayez "
        "d'autres mots (noms, chiffres ou termes employés dans le document)."
    ),
    stops=("\n\n\n", "\nTexte :", "\nDocument :", "\nQuestion :", "\nPartie ", "\nRésumé de"),
)

PROMPTS = {"en": ENGLISH, "fr": FRENCH}


def prompts_for(language: str) -> PromptSet:
    return PROMPTS.get(language, ENGLISH)
