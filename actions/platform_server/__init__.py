"""Reference registration platform: honours Idempotency-Key, injects faults on request."""

from __future__ import annotations

from actions.platform_server.app import build_app
from actions.platform_server.faults import Faults
from actions.platform_server.serve import serve, start_server
from actions.platform_server.store import PlatformStore

__all__ = ["Faults", "PlatformStore", "build_app", "serve", "start_server"]
