"""Japanese understanding for Madoguchi: intents, entities, FAQ retrieval, garbage lookup.

Public API (see nlu/README.md): ``Interpreter``, ``TrainingData``/``load_training_data``,
``FaqIndex``, ``GarbageDictionary``, ``RasaHttpInterpreter``, ``create_interpreter``,
``make_parse_handler``. Nothing here touches a database or the network unless asked to.
"""

from .interpreter import DEFAULT_THRESHOLD, Interpreter
from .normalize import Morphology, clean_text, fold_kana
from .training_data import Example, TrainingData, TrainingDataError, load_training_data

__all__ = [
    "DEFAULT_THRESHOLD",
    "Example",
    "Interpreter",
    "Morphology",
    "TrainingData",
    "TrainingDataError",
    "clean_text",
    "fold_kana",
    "load_training_data",
]
