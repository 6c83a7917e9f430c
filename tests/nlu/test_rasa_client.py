"""The Rasa HTTP backend: httpx.MockTransport fakes, a real hung server, one live test."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import httpx
import pytest
from rasa_fakes import HungServer, ManualClock

from nlu import build_parser
from nlu.breaker import CircuitBreaker
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
    parser = build_parser(Settings(nlu_backend="rasa", rasa_breaker_threshold=7,
                                   rasa_breaker_cooldown_seconds=12.0))
    assert isinstance(parser, RasaParser)
    assert (parser.breaker.threshold, parser.breaker.cooldown_seconds) == (7, 12.0)


async def test_the_api_token_goes_in_the_query(parser: EmbeddedParser) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=RASA_BODY)

    rasa = RasaParser("http://rasa.test:5005", token="s3cret",
                      transport=httpx.MockTransport(handler), fallback=lambda: parser)
    await rasa.parse("kpn gel 13 buka")
    assert seen[0].url.params["token"] == "s3cret"


def _hung_rasa(url: str, parser: EmbeddedParser, clock: ManualClock) -> RasaParser:
    """Returns a client with a short read timeout and a 3-failure breaker on the fake clock."""
    breaker = CircuitBreaker(threshold=3, cooldown_seconds=30.0, clock=clock)
    return RasaParser(url, timeout=0.05, connect_timeout=0.5, breaker=breaker,
                      fallback=lambda: parser)


async def test_a_hung_rasa_opens_the_breaker_and_is_then_not_asked(
    parser: EmbeddedParser, hung_server: tuple[HungServer, str],
) -> None:
    server, url = hung_server
    clock = ManualClock(100.0)
    rasa = _hung_rasa(url, parser, clock)
    try:
        answers = [await rasa.parse("lupa pw") for _ in range(8)]
    finally:
        await rasa.aclose()
    # three timeouts (never retried), then the open breaker answers without connecting
    assert server.connections == 3
    assert rasa.breaker.state == "open"
    assert all(answer == parser.parse_sync("lupa pw") for answer in answers)
    assert answers[0].intent == "forgot_password"


async def test_after_the_cool_down_one_trial_goes_out_and_reopens_on_failure(
    parser: EmbeddedParser, hung_server: tuple[HungServer, str],
) -> None:
    server, url = hung_server
    clock = ManualClock(100.0)
    rasa = _hung_rasa(url, parser, clock)
    try:
        for _ in range(3):
            await rasa.parse("otp ga masuk2")
        clock.now += 29.0
        await rasa.parse("otp ga masuk2")
        assert server.connections == 3  # still cooling down
        clock.now += 1.0
        await rasa.parse("otp ga masuk2")  # the single trial: times out
        await rasa.parse("otp ga masuk2")
    finally:
        await rasa.aclose()
    assert server.connections == 4
    assert rasa.breaker.state == "open"


async def test_a_successful_trial_closes_the_breaker(parser: EmbeddedParser) -> None:
    answering = False
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if not answering:
            raise httpx.ReadTimeout("hung", request=request)
        return httpx.Response(200, json=RASA_BODY)

    clock = ManualClock(100.0)
    rasa = RasaParser("http://rasa.test:5005", transport=httpx.MockTransport(handler),
                      breaker=CircuitBreaker(threshold=2, cooldown_seconds=5.0, clock=clock),
                      fallback=lambda: parser)
    await rasa.parse("kpn gel 13 buka")
    await rasa.parse("kpn gel 13 buka")
    assert (rasa.breaker.state, calls) == ("open", 2)
    answering, clock.now = True, clock.now + 5.0
    result = await rasa.parse("kpn gel 13 buka")
    assert (rasa.breaker.state, calls, result.confidence) == ("closed", 3, 0.91)


@pytest.mark.rasa
@pytest.mark.skipif(not os.environ.get("RASA_URL"), reason="RASA_URL not set: no Rasa server")
async def test_live_rasa_server_understands_informal_questions() -> None:
    rasa = RasaParser(os.environ["RASA_URL"], token=os.environ.get("RASA_TOKEN"), retries=0,
                      fallback=_no_fallback)
    try:
        result = await rasa.parse("kpn gel 13 buka")
    finally:
        await rasa.aclose()
    assert result.intent == "wave_schedule"
    assert result.entity_value("wave_number") == "13"


def _no_fallback() -> EmbeddedParser:
    """Fails the live test instead of silently using the embedded model."""
    raise AssertionError("Rasa server at RASA_URL did not answer")
