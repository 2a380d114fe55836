from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu import FaqEntry, FaqIndex
from nlu.faq_retrieval import BM25

FAQ = yaml.safe_load((Path(__file__).parent / "fixtures" / "faq.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def index(morphology):
    return FaqIndex(FAQ, synonyms={"ゴミ": "ごみ"}, morphology=morphology)


def test_bm25_prefers_rare_terms_and_short_docs():
    bm = BM25([["a", "b"], ["a", "c", "c", "d", "e", "f"], ["g"]])
    s = bm.scores(["a", "b"])
    assert s[0] > s[1] and 2 not in s


@pytest.mark.parametrize(("query", "expected"), [
    ("役場って何時まで開いてる？", "f-hours"),
    ("駐車場ある？", "f-parking"),
    ("粗大ゴミの出し方", "f-sodai"),
    ("じゅうみんひょうのうつしがほしい", "f-juminhyo"),
    ("バスの時刻表が見たい", "f-bus"),
])
def test_top_hit(index, query, expected):
    result = index.search(query, k=3)
    assert result.hits[0].entry_id == expected
    assert len(result.hits) <= 3
    assert result.hits == sorted(result.hits, key=lambda h: -h.score)


def test_outcomes(index):
    assert index.search("役場に駐車場はありますか").outcome == "confident"
    ambiguous = index.search("住民票について")
    assert ambiguous.outcome == "ambiguous"
    assert {h.entry_id for h in ambiguous.hits[:2]} == {"f-juminhyo", "f-juminhyo-proxy"}
    assert index.search("今日の天気を教えて").outcome == "none"
    assert index.search("").outcome == "none" and index.search("").hits == []


def test_entries_as_dataclasses_and_to_dict(morphology):
    idx = FaqIndex([FaqEntry("a", "犬の登録はどうすればいいですか", "保健センターで登録します")], morphology=morphology)
    d = idx.search("犬の登録").to_dict()
    assert d["hits"][0]["entry_id"] == "a" and d["outcome"] in ("confident", "ambiguous")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_query_gives_a_result(index, query):
    r = index.search(query)
    assert r.outcome in ("confident", "ambiguous", "none")
    assert all(isinstance(h.score, float) for h in r.hits)
