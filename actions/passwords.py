"""Password hashing with argon2id; the plain password never leaves this module."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    # argon2id at OWASP's minimum (19 MiB, t=2, p=1): ~15 ms a hash, so a wave opening with
    # hundreds of sign-ups a second is not starved by 64 MiB hashes on a 2-core machine.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """Returns the argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tells whether the password matches the stored hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
