"""NLU backend that asks a Rasa server (POST /model/parse) and falls back to the embedded model."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from nlu.breaker import CircuitBreaker
from nlu.embedded import EmbeddedParser, embedded_parser
from nlu.intents import ENTITY_WAVE_NUMBER, OUT_OF_SCOPE
from nlu.result import Entity, IntentScore, ParseResult

if TYPE_CHECKING:
    from storage.settings import Settings

logger = logging.getLogger(__name__)

# Rasa's FallbackClassifier intent; our callers apply their own threshold instead.
RASA_FALLBACK_INTENT = "nlu_fallback"
_DIGITS = re.compile(r"\d+")


class RasaUnavailableError(Exception):
    """Raised when the Rasa server cannot give a usable answer."""


class RasaParser:
    """Parses through a Rasa server; the embedded parser answers when Rasa fails or hangs.

    Each request has a short connect and read timeout. A quick failure (refused, 5xx) is retried
    `retries` times; a timeout is not, since a hung server would only make the user wait twice.
    After `breaker` sees enough failures in a row it opens, and the embedded parser answers at
    once until its cool-down ends.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 0.5,
        connect_timeout: float = 0.2,
        retries: int = 1,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        fallback: Callable[[], EmbeddedParser] = embedded_parser,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout, connect=connect_timeout),
            params={"token": token} if token else None, transport=transport,
        )
        self._attempts = retries + 1
        self._fallback = fallback
        self.breaker = breaker or CircuitBreaker()

    async def parse(self, text: str) -> ParseResult:
        """Returns Rasa's interpretation of text, or the embedded one if Rasa is down or open."""
        if not self.breaker.allows():
            return self._fallback().parse_sync(text)
        try:
            body = await self._post_with_retry(text)
        except RasaUnavailableError as error:
            opened = self.breaker.failed()
            # Never log the text: it may hold a NIK or other personal data.
            logger.warning("Rasa NLU unavailable (%s); using the embedded model%s", error,
                           f" for {self.breaker.cooldown_seconds:g} s" if opened else "")
            return self._fallback().parse_sync(text)
        self.breaker.succeeded()
        return from_rasa_json(text, body)

    async def _post_with_retry(self, text: str) -> dict[str, Any]:
        """Returns the JSON body of /model/parse, retrying quick failures only."""
        last = "no attempt"
        for _ in range(self._attempts):
            try:
                response = await self._client.post("/model/parse", json={"text": text})
                response.raise_for_status()
                body = response.json()
                if isinstance(body, dict):
                    return body
                last = "unexpected JSON"
            except httpx.TimeoutException as error:
                raise RasaUnavailableError(type(error).__name__) from error
            except (httpx.HTTPError, ValueError) as error:
                last = type(error).__name__
        raise RasaUnavailableError(last)

    async def aclose(self) -> None:
        """Closes the HTTP connection pool."""
        await self._client.aclose()


def rasa_parser(settings: Settings) -> RasaParser:
    """Returns a RasaParser configured from settings (URL, token, timeouts, breaker)."""
    breaker = CircuitBreaker(threshold=settings.rasa_breaker_threshold,
                             cooldown_seconds=settings.rasa_breaker_cooldown_seconds)
    return RasaParser(settings.rasa_url, token=settings.rasa_token,
                      timeout=settings.rasa_timeout_seconds,
                      connect_timeout=settings.rasa_connect_timeout_seconds, breaker=breaker)


def from_rasa_json(text: str, body: dict[str, Any]) -> ParseResult:
    """Returns a ParseResult from a /model/parse body, dropping Rasa's nlu_fallback."""
    ranking = tuple(
        IntentScore(str(item["name"]), float(item["confidence"]))
        for item in body.get("intent_ranking") or []
        if item.get("name") and item["name"] != RASA_FALLBACK_INTENT
    )
    if not ranking:
        intent = body.get("intent") or {}
        name = intent.get("name")
        if name and name != RASA_FALLBACK_INTENT:
            ranking = (IntentScore(str(name), float(intent.get("confidence") or 0.0)),)
        else:
            ranking = (IntentScore(OUT_OF_SCOPE, 0.0),)
    # DIET and the regex extractor may both report the same span; keep the first.
    entities = {
        (e.entity, e.start, e.end): e
        for e in reversed(
            [
                _entity(e)
                for e in body.get("entities") or []
                if {"entity", "value", "start", "end"} <= e.keys()
            ]
        )
    }
    ordered = tuple(sorted(entities.values(), key=lambda e: e.start))
    return ParseResult(text, ranking[0].name, ranking[0].confidence, ranking, ordered)


def _entity(raw: dict[str, Any]) -> Entity:
    """Returns one Rasa entity; wave numbers are narrowed to their digits, like the embedded."""
    entity = Entity(str(raw["entity"]), str(raw["value"]), int(raw["start"]), int(raw["end"]))
    digits = list(_DIGITS.finditer(entity.value))
    if entity.entity != ENTITY_WAVE_NUMBER or entity.value.isdigit() or not digits:
        return entity
    last = digits[-1]
    start = entity.start + last.start()
    return Entity(entity.entity, str(int(last.group())), start, start + len(last.group()))
