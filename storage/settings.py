"""Settings read from environment variables (and `.env`), with defaults that run locally."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the assistant; README documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./prakerja.db"
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"
    nlu_confidence_threshold: float = 0.45
    nlu_cache_dir: str = ".cache/nlu"
    email_backend: Literal["outbox"] = "outbox"
    sms_backend: Literal["outbox"] = "outbox"
    outbox_dir: str = "./outbox"
    log_level: str = "INFO"
    broadcast_rate: float = 25.0
    broadcast_paid: bool = False
    pmo_telegram_ids: str = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the process-wide settings, read once."""
    return Settings()
