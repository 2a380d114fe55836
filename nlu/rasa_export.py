"""Write our training data as a Rasa 3.x project (config.yml, domain.yml, data/nlu.yml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .training_data import TrainingData

__all__ = ["export_rasa_project", "rasa_config", "rasa_domain"]


def rasa_config(threshold: float = 0.4, spacy_model: str = "ja_core_news_sm") -> dict:
    """A Japanese-capable pipeline: spaCy (Sudachi) tokens, char n-grams, DIET, our regexes/lookups."""
    return {
        "recipe": "default.v1",
        "language": "ja",
        "assistant_id": "madoguchi",
        "pipeline": [
            {"name": "SpacyNLP", "model": spacy_model},
            {"name": "SpacyTokenizer"},
            {"name": "SpacyFeaturizer"},
            {"name": "RegexFeaturizer", "use_lookup_tables": True, "use_regexes": True},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char", "min_ngram": 1, "max_ngram": 3},
            {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
            {"name": "EntitySynonymMapper"},
            {"name": "RegexEntityExtractor", "use_lookup_tables": True, "use_regexes": True},
            {"name": "FallbackClassifier", "threshold": threshold, "ambiguity_threshold": 0.1},
        ],
        "policies": [{"name": "RulePolicy"}],
    }


def rasa_domain(data: TrainingData) -> dict:
    entities: list = []
    for name, roles in data.entity_roles().items():
        entities.append({name: {"roles": roles}} if roles else name)
    for name in sorted(set(data.lookups) | set(data.regexes)):
        if name not in data.entity_roles():
            entities.append(name)
    return {"version": "3.1", "intents": data.intents, "entities": entities,
            "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True}}


def export_rasa_project(data: TrainingData, directory: str | Path, *, threshold: float = 0.4) -> list[Path]:
    d = Path(directory)
    (d / "data").mkdir(parents=True, exist_ok=True)
    files = {
        d / "config.yml": yaml.safe_dump(rasa_config(threshold), allow_unicode=True, sort_keys=False),
        d / "domain.yml": yaml.safe_dump(rasa_domain(data), allow_unicode=True, sort_keys=False),
        d / "data" / "nlu.yml": data.to_yaml(),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
