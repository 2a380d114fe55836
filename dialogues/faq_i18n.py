"""FAQ answers for residents who write in another language (issue #21; 酒田市 第5章1(6)).

The language is the one the citizen fixed in their settings (``info_language``, 受信設定), else
the one their message is written in (``nlu.language``). An entry answers in that language when
staff gave it a translation (``translations:`` in faq.yml); otherwise in やさしい日本語 when
there is one, else in Japanese — with a short note in the citizen's language and the town's
multilingual contact (town.yml ``faq.multilingual_contact``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from civic.attributes.services import citizen_values
from nlu.faq_retrieval import FaqEntry

if TYPE_CHECKING:
    from dialogues.engine import Context

LANGUAGE_ATTRIBUTE = "info_language"
EASY_JAPANESE = "easy_ja"

#: "Here is the answer in Japanese", in the citizen's language (shown above a Japanese answer).
IN_JAPANESE = {
    "en": "Sorry, this answer is only available in Japanese.",
    "zh": "抱歉，此回答目前只有日语版本。",
    "ko": "죄송합니다. 이 답변은 일본어로만 제공됩니다.",
    "pt": "Desculpe, esta resposta só está disponível em japonês.",
    "vi": "Xin lỗi, câu trả lời này hiện chỉ có bằng tiếng Nhật.",
}
#: "We could not find an answer" for a question in another language.
NOT_FOUND = {
    "en": "Sorry, we could not find an answer to your question.",
    "zh": "抱歉，没有找到您问题的答案。",
    "ko": "죄송합니다. 질문에 대한 답변을 찾지 못했습니다.",
    "pt": "Desculpe, não encontramos uma resposta para a sua pergunta.",
    "vi": "Xin lỗi, chúng tôi không tìm thấy câu trả lời cho câu hỏi của bạn.",
}
#: "For help in your language, contact:" before the town's multilingual contact.
CONTACT = {
    "en": "For help in your language, please contact:",
    "zh": "如需用您的语言咨询，请联系：",
    "ko": "모국어 상담은 아래로 연락해 주세요:",
    "pt": "Para atendimento no seu idioma, entre em contato com:",
    "vi": "Để được hỗ trợ bằng ngôn ngữ của bạn, vui lòng liên hệ:",
}


async def citizen_language(ctx: Context, text: str) -> str:
    """The fixed language from the citizen's settings, else the message's language."""
    citizen = ctx.turn.citizen
    cid = citizen.id if citizen is not None else None
    if cid is not None:
        fixed = (await citizen_values(ctx.session, cid)).get(LANGUAGE_ATTRIBUTE) or []
        if fixed and str(fixed[0]) not in ("", "ja"):
            return str(fixed[0])
    return ctx.services.knowledge.language.detect(text)


def localized(entry: FaqEntry, lang: str) -> tuple[str, str, bool]:
    """``(question, answer, translated)`` for ``lang``: its translation, else やさしい日本語, else Japanese."""
    if lang != "ja":
        for code in (lang, EASY_JAPANESE):
            found = entry.translation(code)
            if found:
                return found[0], found[1], code == lang
    return entry.question, entry.answer, lang in ("ja", EASY_JAPANESE)


def note(lang: str, lines: dict[str, str], contact: str) -> str:
    """A short line in the citizen's language and the multilingual contact ('' for Japanese)."""
    if lang not in lines:
        return ""
    parts = [lines[lang]]
    if contact:
        parts.append(f"{CONTACT[lang]} {contact}")
    return "\n".join(parts)
