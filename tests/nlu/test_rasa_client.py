"""The Rasa HTTP backend, faked with httpx.MockTransport; one live test against RASA_URL."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import httpx
import pytest

from nlu import build_parser
from nlu.embedded import EmbeddedParser
from nlu.rasa_client import RasaParser, from_rasa_json
from storage.settings import Settings

NIK_TEXT = "nik 3201012345670001 tidak terdaftar"

RASA_BODY: dict[str, Any] = {
    "text": "kpn gel 13 buka",
    "intent": {"name": "wave_schedule", "confidence": 0.91},
    "entities": [
        {"entity": "wave_number", "value": "13", "start": 8, "end": 10, "extractor": "DIET"},
        {"entity": "wave_number", "value": "gel 13", "start": 4, "end": 10, "extractor": "Regex"},
    ],
    "intent_ranking": [
        {"name": "wave_schedule", "confidence": 0.91},
        {"name": "join_wave", "confidence": 0.05},
    ],
}


def _rasa(parser: EmbeddedParser, handler: Any) -> RasaParser:
    """Returns a RasaParser talking to a MockTransport, falling back to the test parser."""
    return RasaParser(
        "http://rasa.test:5005", transport=httpx.MockTransport(handler), fallback=lambda: parser
    )


async def test_parse_posts_text_and_maps_the_answer(parser: EmbeddedParser) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=RASA_BODY)

    result = await _rasa(parser, handler).parse("kpn gel 13 buka")
    assert seen[0].url.path == "/model/parse"
    assert json.loads(seen[0].content) == {"text": "kpn gel 13 buka"}
    assert (result.intent, result.confidence) == ("wave_schedule", 0.91)
    # the regex extractor's "gel 13" is narrowed to "13", then the duplicate span is dropped
    assert [(e.value, e.start, e.end) for e in result.entities] == [("13", 8, 10)]
    assert [s.name for s in result.ranking] == ["wave_schedule", "join_wave"]


def test_rasa_nlu_fallback_is_replaced_by_the_best_real_intent() -> None:
    body = {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": "eligibility", "confidence": 0.3},
            {"name": "register_account", "confidence": 0.2},
        ],
    }
    result = from_rasa_json("syarat", body)
    assert (result.intent, result.confidence) == ("eligibility", 0.3)
    assert not result.is_confident(0.45)


async def test_one_retry_then_success(parser: EmbeddedParser) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503) if calls == 1 else httpx.Response(200, json=RASA_BODY)

    result = await _rasa(parser, handler).parse("kpn gel 13 buka")
    assert (calls, result.intent) == (2, "wave_schedule")


async def test_rasa_down_falls_back_to_embedded_and_logs_without_user_text(
    parser: EmbeddedParser, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("connection refused", request=request)

    with caplog.at_level(logging.WARNING, logger="nlu.rasa_client"):
        result = await _rasa(parser, handler).parse(NIK_TEXT)
    assert calls == 2
    assert result == parser.parse_sync(NIK_TEXT)
    assert result.intent == "nik_not_registered"
    assert "embedded" in caplog.text
    assert "3201012345670001" not in caplog.text
    assert "terdaftar" not in caplog.text


async def test_malformed_json_falls_back(parser: EmbeddedParser) -> None:
    result = await _rasa(parser, lambda r: httpx.Response(200, text="<html>")).parse("lupa pw")
    assert result.intent == "forgot_password"


async def test_timeout_falls_back(parser: EmbeddedParser) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    assert (await _rasa(parser, handler).parse("otp ga masuk2")).intent == "otp_not_received"


def test_build_parser_picks_the_backend_from_settings() -> None:
    assert isinstance(build_parser(Settings(nlu_backend="rasa")), RasaParser)


@pytest.mark.rasa
@pytest.mark.skipif(not os.environ.get("RASA_URL"), reason="RASA_URL not set: no Rasa server")
async def test_live_rasa_server_understands_informal_questions() -> None:
    rasa = RasaParser(os.environ["RASA_URL"], retries=0, fallback=_no_fallback)
    try:
        result = await rasa.parse("kpn gel 13 buka")
    finally:
        await rasa.aclose()
    assert result.intent == "wave_schedule"
    assert result.entity_value("wave_number") == "13"


def _no_fallback() -> EmbeddedParser:
    """Fails the live test instead of silently using the embedded model."""
    raise AssertionError("Rasa server at RASA_URL did not answer")
