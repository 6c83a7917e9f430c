"""The reference registration platform over HTTP (aiohttp.web), with fault injection."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

from aiohttp import BodyPartReader, web

from actions.destinations.base import IDEMPOTENCY_HEADER
from actions.platform_server.faults import DROP, ERROR, HANG, UNAVAILABLE, Faults
from actions.platform_server.store import PlatformStore

# What an applicant may change after confirming (identity fields follow Dukcapil's records).
CHANGEABLE = ("email", "email_verified_at", "phone", "phone_verified_via", "address",
              "domicile_same", "domicile_address", "education", "employment_status",
              "password_hash")
CHANGEABLE_FIELDS = frozenset(CHANGEABLE)

logger = logging.getLogger(__name__)
MAX_IMAGE_BYTES = 10 * 1024 * 1024
STORE: web.AppKey[PlatformStore] = web.AppKey("store", PlatformStore)
FAULTS: web.AppKey[Faults] = web.AppKey("faults", Faults)
COUNTS: web.AppKey[Counter[str]] = web.AppKey("counts", Counter)
TOKEN: web.AppKey[str] = web.AppKey("token", str)


def build_app(store: PlatformStore, faults: Faults | None = None, *,
              token: str | None = None) -> web.Application:
    """Returns the aiohttp application serving docs/platform-api.yaml."""
    app = web.Application(client_max_size=MAX_IMAGE_BYTES + 1024 * 1024)
    app[STORE], app[FAULTS], app[COUNTS] = store, faults or Faults(), Counter()
    app[TOKEN] = token or ""
    app.router.add_post("/v1/registrations", submit_registration)
    app.router.add_get("/v1/registrations/{registration_id}", get_registration)
    app.router.add_patch("/v1/registrations/by-submission/{submission_key}", change_registration)
    app.router.add_get("/v1/stats", get_stats)
    app.router.add_get("/healthz", healthz)
    return app


async def submit_registration(request: web.Request) -> web.StreamResponse:
    """Stores a registration once per Idempotency-Key; injected faults come first."""
    app = request.app
    app[COUNTS]["requests"] += 1
    await app[FAULTS].delay()
    fault = app[FAULTS].draw()
    app[COUNTS][f"fault_{fault}"] += 1
    if fault == ERROR:
        return _problem(500, "injected_error", "Injected internal error")
    if fault == UNAVAILABLE:
        return _problem(503, "unavailable", "Try again later",
                        headers={"Retry-After": str(app[FAULTS].retry_after_seconds)})
    refusal = _refuse(request)
    if refusal is not None:
        return refusal
    parsed = await _read_multipart(request)
    if isinstance(parsed, web.Response):
        return parsed
    if fault == HANG:
        await asyncio.sleep(app[FAULTS].hang_seconds)
    answer = await asyncio.to_thread(
        app[STORE].submit, key=request.headers[IDEMPOTENCY_HEADER],
        registration=parsed[0], image=parsed[1],
    )
    app[COUNTS]["replayed" if answer.replayed else "stored"] += answer.status_code < 300
    if fault == DROP and request.transport is not None:
        request.transport.abort()  # stored, but the client never hears about it
        raise asyncio.CancelledError
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return web.json_response(answer.body, status=answer.status_code, headers=headers)


async def change_registration(request: web.Request) -> web.StreamResponse:
    """Applies changed account fields (phone, email, address, …) once per Idempotency-Key."""
    request.app[COUNTS]["requests"] += 1
    refusal = _refuse(request)
    if refusal is not None:
        return refusal
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return _problem(400, "bad_json", "Body must be JSON")
    changes = body.get("changes") if isinstance(body, dict) else None
    if not isinstance(changes, dict) or not changes or not set(changes) <= CHANGEABLE_FIELDS:
        return _problem(422, "invalid_changes", f"changes must be a subset of {CHANGEABLE}")
    answer = await asyncio.to_thread(
        request.app[STORE].change, key=request.headers[IDEMPOTENCY_HEADER],
        submission_key=request.match_info["submission_key"], changes=changes,
    )
    request.app[COUNTS]["changed"] += answer.status_code < 300
    return web.json_response(answer.body, status=answer.status_code)


def _refuse(request: web.Request) -> web.Response | None:
    """Returns 401 for a wrong token or 400 for a missing/oversized Idempotency-Key, else None."""
    token = request.app[TOKEN]
    if token and request.headers.get("Authorization") != f"Bearer {token}":
        return _problem(401, "unauthorized", "Missing or wrong bearer token")
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key or len(key) > 255:
        return _problem(400, "idempotency_key_required", "Send an Idempotency-Key header")
    return None


async def _read_multipart(
    request: web.Request,
) -> tuple[dict[str, Any], bytes | None] | web.Response:
    """Returns (registration, image) from the multipart body, or a 400/422 problem."""
    if not request.content_type.startswith("multipart/"):
        return _problem(400, "multipart_required", "Send multipart/form-data")
    registration: Any = None
    image: bytes | None = None
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "registration":
            try:
                registration = json.loads(bytes(await part.read()))
            except ValueError:
                return _problem(422, "invalid_registration", "registration is not JSON")
        elif part.name == "ktp_image":
            image = bytes(await part.read())
    return _validated(registration, image)


Parts = tuple[dict[str, Any], bytes | None]


def _validated(registration: Any, image: bytes | None) -> Parts | web.Response:
    """Returns the parts when they look like a registration, else a 422 problem."""
    if not isinstance(registration, dict):
        return _problem(422, "invalid_registration", "registration part missing")
    nik = registration.get("nik")
    if not isinstance(nik, str) or len(nik) != 16 or not nik.isdigit():
        return _problem(422, "invalid_nik", "nik must be 16 digits")
    if image is not None and len(image) > MAX_IMAGE_BYTES:
        return _problem(422, "image_too_large", "ktp_image is larger than 10 MB")
    return registration, image


async def get_registration(request: web.Request) -> web.Response:
    """Returns one stored registration or 404."""
    found = await asyncio.to_thread(request.app[STORE].get, request.match_info["registration_id"])
    if found is None:
        return _problem(404, "not_found", "No such registration")
    return web.json_response(found)


async def get_stats(request: web.Request) -> web.Response:
    """Returns stored counts (survive restarts) and request counts since this process started."""
    stored = await asyncio.to_thread(request.app[STORE].stats)
    since_start: dict[str, int] = dict(request.app[COUNTS].items())
    return web.json_response({**stored, "since_start": since_start})


async def healthz(_request: web.Request) -> web.Response:
    """Returns 200 while the server is up (faults are not injected here)."""
    return web.json_response({"ok": True})


def _problem(status: int, code: str, detail: str, *,
             headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, headers=headers, content_type="application/json",
                        text=json.dumps({"error": code, "detail": detail}))
