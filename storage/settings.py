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
    rasa_token: str | None = None
    rasa_connect_timeout_seconds: float = 0.2
    rasa_timeout_seconds: float = 0.5
    rasa_breaker_threshold: int = 3
    rasa_breaker_cooldown_seconds: float = 30.0
    nlu_confidence_threshold: float = 0.45
    nlu_cache_dir: str = ".cache/nlu"
    email_backend: Literal["outbox"] = "outbox"
    sms_backend: Literal["outbox"] = "outbox"
    outbox_dir: str = "./outbox"
    log_level: str = "INFO"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_max_connections: int = 40
    webhook_workers: int = 1
    inbox_lease_seconds: float = 60.0
    inbox_keep_hours: float = 24.0
    inbox_dead_letter_days: float = 7.0
    inbox_max_attempts: int = 5
    inbox_settle_seconds: float = 0.0
    webhook_reply_in_response: bool = True
    webhook_body_timeout_seconds: float = 10.0
    webhook_keepalive_seconds: float = 5.0
    db_pool_recycle_seconds: int = 300
    outbox_worker_in_process: bool = True
    rate_limit_photos_per_10min: int = 10
    max_message_length: int = 1000
    broadcast_rate: float = 25.0
    nudges_enabled: bool = True
    nudge_interval_seconds: float = 300.0
    broadcast_paid: bool = False
    pmo_telegram_ids: str = ""
    platform_api_url: str | None = None
    platform_api_token: str | None = None
    email_api_url: str | None = None
    email_api_token: str | None = None
    sms_api_url: str | None = None
    sms_api_token: str | None = None
    dukcapil_api_url: str | None = None
    dukcapil_api_token: str | None = None
    data_encryption_key: str | None = None
    data_key_file: str = ".cache/data.key"
    blind_index_key: str | None = None
    blind_index_key_file: str = ".cache/blind-index.key"
    codes_per_address_per_hour: int = 5
    codes_per_hour_email: int = 5000
    codes_per_hour_sms: int = 2000
    retention_ktp_days: int = 30
    retention_payload_days: int = 30
    retention_audit_days: int = 365
    retention_conversation_days: int = 180
    outbox_max_attempts: int = 20
    outbox_backoff_base_seconds: float = 2.0
    outbox_backoff_cap_seconds: float = 900.0
    outbox_retry_after_max_seconds: float = 3600.0
    outbox_breaker_threshold: int = 5
    outbox_breaker_open_seconds: float = 30.0
    outbox_lease_seconds: float = 120.0
    outbox_http_timeout_seconds: float = 20.0
    outbox_concurrency: int = 16
    outbox_poll_seconds: float = 1.0
    staff_telegram_ids: str = ""
    basic_test_retry_minutes: int = 60
    # When staff answer tickets, e.g. "Mon-Fri 08:00-17:00; Sat 09:00-12:00" (in staff_timezone).
    staff_opening_hours: str = "Mon-Fri 08:00-17:00"
    staff_timezone: str = "Asia/Jakarta"
    dashboard_enabled: bool = True
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8090
    dashboard_public_url: str | None = None
    dashboard_secret: str | None = None
    dashboard_key_file: str = ".cache/dashboard.key"
    dashboard_refresh_seconds: float = 60.0
    dashboard_give_up_minutes: int = 60


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the process-wide settings, read once."""
    return Settings()
