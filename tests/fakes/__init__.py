"""Fakes for the process edges (Telegram Bot API) used by the tests and benchmarks."""

from __future__ import annotations

from .bot_api import ApiCall, FakeBotApi, SentMessage, UploadedFile

__all__ = ["ApiCall", "FakeBotApi", "SentMessage", "UploadedFile"]
