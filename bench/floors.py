"""The two floors bench.load measures beside the project, each as its own webhook process.

    python -m bench.floors echo --port P --token T --api URL [--request httpx|aiohttp]
    python -m bench.floors raw --port P --database-url postgresql://...

`echo` is the minimal python-telegram-bot v22 webhook bot (PTB's custom-webhook example shape):
the update goes to the Application's queue, a MessageHandler echoes the text over the Bot API.
`raw` is a bare Starlette handler that INSERTs the update into PostgreSQL and answers with the
reply as the webhook response body (one Bot API method Telegram executes itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PATH = "/telegram/webhook"


async def _serve(app: Starlette, port: int) -> None:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on")
    await uvicorn.Server(config).serve()


def echo_app(token: str, api: str, request: str) -> Starlette:
    """Returns the PTB echo bot as an ASGI app (webhook; replies through the Bot API)."""
    from contextlib import asynccontextmanager

    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    builder = Application.builder().token(token).base_url(api).updater(None)
    if request == "aiohttp":
        from bot.aiohttp_request import AiohttpRequest

        builder = builder.request(AiohttpRequest(connection_pool_size=64, pool_timeout=5.0))
    application = builder.concurrent_updates(64).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))

    async def receive(incoming: Request) -> Response:
        await application.update_queue.put(Update.de_json(await incoming.json(),
                                                          application.bot))
        return Response()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        async with application:
            await application.start()
            yield
            await application.stop()

    return Starlette(routes=[Route(PATH, receive, methods=["POST"])], lifespan=lifespan)


def raw_app(database_url: str, connections: int = 4) -> Starlette:
    """Returns the raw floor: one INSERT per update and the reply in the webhook answer."""
    from contextlib import asynccontextmanager

    import psycopg

    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    url = database_url.replace("postgresql+psycopg://", "postgresql://")

    async def receive(incoming: Request) -> Response:
        update = json.loads(await incoming.body())
        message = update.get("message") or {}
        chat_id = message.get("chat", {}).get("id", 0)
        connection = await pool.get()
        try:
            await connection.execute(
                "INSERT INTO floor_update (update_id, chat_id, payload) VALUES (%s, %s, %s) "
                "ON CONFLICT (update_id) DO NOTHING",
                (update["update_id"], chat_id, json.dumps(update)))
        finally:
            pool.put_nowait(connection)
        return JSONResponse({"method": "sendMessage", "chat_id": chat_id,
                             "text": message.get("text", "")})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        for _ in range(connections):
            pool.put_nowait(await psycopg.AsyncConnection.connect(url, autocommit=True))
        first = await pool.get()
        await first.execute("CREATE TABLE IF NOT EXISTS floor_update (update_id BIGINT "
                            "PRIMARY KEY, chat_id BIGINT NOT NULL, payload TEXT NOT NULL)")
        pool.put_nowait(first)
        yield
        while not pool.empty():
            await pool.get_nowait().close()

    return Starlette(routes=[Route(PATH, receive, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    """Runs one floor until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["echo", "raw"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="")
    parser.add_argument("--api", default="")
    parser.add_argument("--request", choices=["httpx", "aiohttp"], default="httpx")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    app = (echo_app(args.token, args.api, args.request) if args.kind == "echo"
           else raw_app(args.database_url))
    asyncio.run(_serve(app, args.port))


if __name__ == "__main__":
    main()
