"""Japanese understanding for Madoguchi: intents, entities, FAQ retrieval, garbage lookup.

Public API (see nlu/README.md): ``Interpreter``, ``TrainingData``/``load_training_data``,
``FaqIndex``, ``GarbageDictionary``, ``RasaHttpInterpreter``, ``create_interpreter``,
``make_parse_handler``. Nothing here touches a database or the network unless asked to.
"""

from .faq_retrieval import FaqEntry, FaqHit, FaqIndex, FaqSearchResult
from .garbage_lookup import GarbageDictionary, GarbageItem, GarbageLookupResult, GarbageMatch
from .intent_classifier import FALLBACK_INTENT
from .interpreter import DEFAULT_THRESHOLD, Interpreter
from .normalize import Morphology, clean_text, fold_kana
from .rasa_export import export_rasa_project
from .rasa_http import NluBackendError, RasaHttpInterpreter
from .service import create_interpreter, make_parse_handler
from .training_data import EntityAnnotation, Example, TrainingData, TrainingDataError, load_training_data

__all__ = [
    "DEFAULT_THRESHOLD",
    "FALLBACK_INTENT",
    "EntityAnnotation",
    "Example",
    "FaqEntry",
    "FaqHit",
    "FaqIndex",
    "FaqSearchResult",
    "GarbageDictionary",
    "GarbageItem",
    "GarbageLookupResult",
    "GarbageMatch",
    "Interpreter",
    "Morphology",
    "NluBackendError",
    "RasaHttpInterpreter",
    "TrainingData",
    "TrainingDataError",
    "clean_text",
    "create_interpreter",
    "export_rasa_project",
    "fold_kana",
    "load_training_data",
    "make_parse_handler",
]
