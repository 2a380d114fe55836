"""Which language a citizen's message is in: ``ja``, ``en``, ``zh``, ``ko``, ``pt`` or ``vi``.

Scripts decide most of it and cost nothing: any kana → Japanese; Hangul → Korean; Han characters
without kana are Japanese (住民票, 東京) unless they include characters Japanese does not write
(simplified forms such as 谢 or 这, i.e. outside CP932) — then Chinese. Only Latin-script text is
handed to a statistical detector, lingua (``lingua-language-detector``, Apache-2.0, maintained,
made for short text), restricted to English, Portuguese and Vietnamese; Vietnamese letters
(ơ ư đ ă and their tones) settle Vietnamese at once, and an unsure short message is taken as
English. The detector is built once per :class:`LanguageDetector` (models load on first use).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector as LinguaDetector

__all__ = ["LANGUAGES", "LanguageDetector", "script_language"]

#: Languages the service answers in, besides Japanese (the ``info_language`` choices).
LANGUAGES = ("ja", "en", "zh", "ko", "pt", "vi")

_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_VIETNAMESE = re.compile(r"[ơưđăƠƯĐĂ\u1ea0-\u1ef9]")


def _not_japanese_han(ch: str) -> bool:
    try:
        ch.encode("cp932")
        return False
    except UnicodeEncodeError:
        return True


def script_language(text: str) -> str | None:
    """``ja`` / ``ko`` / ``zh`` from the script alone; ``None`` for Latin script (ask lingua)."""
    if _KANA.search(text):
        return "ja"
    hangul = len(_HANGUL.findall(text))
    han = _HAN.findall(text)
    if hangul and hangul >= len(han):
        return "ko"
    if han:
        return "zh" if any(_not_japanese_han(ch) for ch in han) else "ja"
    return None if len(_LATIN.findall(text)) >= 2 else "ja"


class LanguageDetector:
    """``detect(text) -> str``: one of :data:`LANGUAGES`; Japanese when in doubt."""

    def __init__(self, *, min_confidence: float = 0.6) -> None:
        self.min_confidence = min_confidence
        self._lingua: LinguaDetector | None = None

    def _latin(self, text: str) -> str:
        if _VIETNAMESE.search(text):
            return "vi"
        if self._lingua is None:
            from lingua import Language, LanguageDetectorBuilder

            # low accuracy mode: trigram models only, ~10 MB instead of ~60 MB; these three
            # languages share no script quirks our rules above do not settle
            self._lingua = LanguageDetectorBuilder.from_languages(
                Language.ENGLISH, Language.PORTUGUESE, Language.VIETNAMESE).with_low_accuracy_mode().build()
        values = self._lingua.compute_language_confidence_values(text)
        if not values or values[0].value < self.min_confidence:
            return "en"
        return {"ENGLISH": "en", "PORTUGUESE": "pt", "VIETNAMESE": "vi"}.get(values[0].language.name, "en")

    def detect(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            return "ja"
        text = unicodedata.normalize("NFKC", text)[:500]
        return script_language(text) or self._latin(text)
