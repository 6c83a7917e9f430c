"""Two webhook worker processes on PostgreSQL: a burst of one chat's updates runs in order."""

from __future__ import annotations

from pathlib import Path

import httpx
from fakes.bot_api import FakeBotApi
from sqlalchemy import text
from support.bot_process import BotProcess, free_port, wait_until

from bot.webhook import WEBHOOK_PATH
from storage.db import make_engine

SECRET = "s3cret-token-for-tests"
CHAT = 7301
BURST = 20


def healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def test_burst_of_one_chat_runs_in_update_id_order_across_two_workers(
    fake_bot_api: FakeBotApi, postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    # 20 simultaneous POSTs reach two workers in any order: inline processing could run a later
    # update before an earlier one has even arrived (seen 1 run in ~5), so this burst goes through
    # the settle wait, which drains each chat in update_id order (INBOX_SETTLE_SECONDS, README).
    bot = BotProcess(fake_bot_api, postgres_url, tmp_path, "--webhook", "--workers", "2",
                     WEBHOOK_SECRET=SECRET, WEBHOOK_PORT=str(port), WEBHOOK_URL="",
                     INBOX_SETTLE_SECONDS="0.2")
    base = f"http://127.0.0.1:{port}"
    bot.start()
    try:
        await wait_until(lambda: healthy(base), 90, "two webhook workers")
        updates = [fake_bot_api.user_sends_text(CHAT, f"halo {n}") for n in range(BURST)]
        statuses = await fake_bot_api.deliver_updates_to_webhook(
            base + WEBHOOK_PATH, secret_token=SECRET, updates=updates, concurrency=BURST)
        engine = make_engine(postgres_url)

        def handled() -> list[int]:
            with engine.connect() as connection:
                return [r.update_id for r in connection.execute(text(
                    "SELECT update_id FROM inbox_update WHERE chat_id = :c AND status = 'done' "
                    "ORDER BY done_at"), {"c": CHAT})]

        await wait_until(lambda: len(handled()) == BURST, 60, "every update handled")
        await wait_until(lambda: len(fake_bot_api.sent_messages(CHAT)) >= BURST, 30, "replies")
        order = handled()
        engine.dispose()
    finally:
        bot.stop()
    assert statuses == [200] * BURST
    assert order == sorted(u["update_id"] for u in updates)
    assert len(fake_bot_api.sent_messages(CHAT)) == BURST  # one answer each, none twice
