import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from nlu import NluBackendError, RasaHttpInterpreter, create_interpreter, make_parse_handler

RASA_ANSWER = {
    "text": "明日体育館",
    "intent": {"name": "booking_make", "confidence": 0.93},
    "intent_ranking": [{"name": "booking_make", "confidence": 0.93}, {"name": "faq", "confidence": 0.05}],
    "entities": [{"entity": "facility", "value": "体育館", "start": 2, "end": 5, "confidence_entity": 0.99,
                  "extractor": "DIETClassifier"}],
    "response_selector": {},
}


class FakeRasa(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeRasa.received.append((self.path, body))
        if body["text"] == "boom":
            self.send_response(500)
            self.end_headers()
            return
        payload = json.dumps({**RASA_ANSWER, "text": body["text"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def rasa_url():
    server = HTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_parse_through_a_rasa_server(rasa_url):
    FakeRasa.received.clear()
    rasa = RasaHttpInterpreter(rasa_url + "/", timeout=2)
    result = rasa.parse("明日体育館")
    assert FakeRasa.received == [("/model/parse", {"text": "明日体育館"})]
    assert result["intent"] == {"name": "booking_make", "confidence": 0.93}
    assert result["entities"] == [{"entity": "facility", "value": "体育館", "start": 2, "end": 5,
                                   "confidence": 0.99, "role": None, "extractor": "DIETClassifier"}]
    assert set(result) == {"text", "intent", "intent_ranking", "entities"}


def test_server_errors_and_unreachable_servers_raise_backend_error(rasa_url):
    with pytest.raises(NluBackendError, match="HTTP 500"):
        RasaHttpInterpreter(rasa_url).parse("boom")
    with pytest.raises(NluBackendError, match="unreachable"):
        RasaHttpInterpreter("http://127.0.0.1:9", timeout=0.5).parse("x")
    with pytest.raises(NluBackendError, match="non-JSON"):
        RasaHttpInterpreter("http://x", transport=lambda url, body, t: b"<html>").parse("x")


def test_async_parse_with_an_injected_client():
    """The injected client's answer comes back in our shape: our text, ``confidence_entity`` read as
    ``confidence``, Rasa's extras dropped; a failing client or a non-object answer is a backend error."""
    calls = []

    async def post(url, body, seconds):
        calls.append((url, body, seconds))
        return {**RASA_ANSWER, "text": "Rasa's own copy"}

    rasa = RasaHttpInterpreter("http://rasa:5005", timeout=1.5)
    result = asyncio.run(rasa.parse_async("明日体育館", post=post))
    assert calls == [("http://rasa:5005/model/parse", {"text": "明日体育館"}, 1.5)]
    assert result == {
        "text": "明日体育館",
        "intent": {"name": "booking_make", "confidence": 0.93},
        "intent_ranking": [{"name": "booking_make", "confidence": 0.93}, {"name": "faq", "confidence": 0.05}],
        "entities": [{"entity": "facility", "value": "体育館", "start": 2, "end": 5, "confidence": 0.99,
                      "role": None, "extractor": "DIETClassifier"}]}

    async def down(url, body, seconds):
        raise OSError("connection refused")

    async def a_list(url, body, seconds):
        return ["not", "an", "object"]

    with pytest.raises(NluBackendError, match="failed: connection refused"):
        asyncio.run(rasa.parse_async("x", post=down))
    with pytest.raises(NluBackendError, match="expected a JSON object"):
        asyncio.run(rasa.parse_async("x", post=a_list))


def test_backend_is_chosen_by_settings(rasa_url, tmp_path, interpreter):
    rasa = create_interpreter({"NLU_BACKEND": "rasa", "RASA_URL": rasa_url})
    assert isinstance(rasa, RasaHttpInterpreter)
    interpreter.persist(tmp_path / "m")
    builtin = create_interpreter({"NLU_MODEL_DIR": str(tmp_path / "m")})
    assert builtin.parse("こんにちは")["intent"]["name"] == "greet"
    with pytest.raises(ValueError, match="RASA_URL"):
        create_interpreter({"NLU_BACKEND": "rasa"})
    with pytest.raises(ValueError, match="builtin"):
        create_interpreter({"NLU_BACKEND": "spacy"})


def test_parse_handler_statuses(rasa_url, interpreter, now):
    handle = make_parse_handler(interpreter, clock=lambda: now)
    status, body = handle({"text": "明日の10時"})
    assert status == 200 and body["entities"][0]["value"] == "2026-11-22"
    assert handle({"text": 5})[0] == 400
    assert handle({"text": 5})[1]["error"]["field"] == "text"
    assert handle(["text"])[0] == 400
    assert handle({"text": "x" * 10_001})[0] == 400
    down = make_parse_handler(RasaHttpInterpreter("http://127.0.0.1:9", timeout=0.3))
    status, body = down({"text": "hi"})
    assert status == 503 and "unreachable" in body["error"]["reason"]
