"""Email, SMS, Dukcapil and Telegram clients against httpx.MockTransport fakes."""

from __future__ import annotations

import json

import httpx

from actions.destinations import (
    Delivered,
    DukcapilApi,
    Failed,
    HttpEmailApi,
    HttpSmsGateway,
    Message,
    NikCheckDelivery,
    OfflineNikChecker,
    TelegramBotApi,
)

NIK = "3273014508900001"


def message(kind: str, payload: dict, destination: str = "x") -> Message:
    return Message(outbox_id=1, idempotency_key="key-1", kind=kind, chat_id=42,
                   destination=destination, payload=payload, attempt=1)


def client(handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_email_and_sms_send_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "m1"})

    async with client(handler) as http:
        email = await HttpEmailApi(http, base_url="http://mail", token="t").deliver(
            message("email", {"subject": "Kode", "body": "123456"}, "a@example.com"))
        sms = await HttpSmsGateway(http, base_url="http://sms").deliver(
            message("sms", {"body": "123456"}, "+6281234567890"))
    assert email == Delivered(ack={"id": "m1"}, status_code=202)
    assert isinstance(sms, Delivered)
    assert [r.url.path for r in seen] == ["/messages", "/sms"]
    assert {r.headers["Idempotency-Key"] for r in seen} == {"key-1"}
    assert seen[0].headers["Authorization"] == "Bearer t"
    assert json.loads(seen[1].content) == {"to": "+6281234567890", "text": "123456"}


async def test_gateway_errors_are_classified() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "12"}), httpx.Response(400)])

    async with client(lambda _r: next(answers)) as http:
        gateway = HttpSmsGateway(http, base_url="http://sms")
        busy = await gateway.deliver(message("sms", {"body": "x"}))
        bad = await gateway.deliver(message("sms", {"body": "x"}))
    assert busy == Failed(error="HTTP 429", status_code=429, retry_after=12.0)
    assert bad.permanent


async def test_connection_errors_are_transient_and_carry_no_data() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url} for {NIK}")

    async with client(handler) as http:
        outcome = await HttpEmailApi(http, base_url="http://mail").deliver(message("email", {}))
    assert outcome == Failed(error="transport error (ConnectError)")


async def test_nik_checks_offline_and_through_dukcapil() -> None:
    calls: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "not_found"})

    offline = await NikCheckDelivery(OfflineNikChecker()).deliver(
        message("nik_check", {"nik": "1234"}))
    async with client(handler) as http:
        api = DukcapilApi(http, base_url="http://dukcapil")
        remote = await NikCheckDelivery(api).deliver(message("nik_check", {"nik": NIK}))
        shape = await api.check("99", idempotency_key="k")
    assert offline.ack["status"] == "invalid"
    assert remote.ack == {"status": "not_found", "source": "dukcapil", "reason": None}
    assert shape.status == "invalid", "structurally wrong NIKs are not sent to Dukcapil"
    assert calls == [{"nik": NIK}]


async def test_telegram_429_uses_the_bot_api_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/botTOKEN/sendMessage"
        return httpx.Response(429, json={"ok": False, "parameters": {"retry_after": 33}})

    async with client(handler) as http:
        api = TelegramBotApi(http, api_base_url="http://tg/bot", token="TOKEN")
        outcome = await api.deliver(message("telegram_message", {"text": "✅"}, "telegram"))
    assert outcome == Failed(error="HTTP 429", status_code=429, retry_after=33.0)
