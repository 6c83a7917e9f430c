"""Suggests the intended address when the domain is a common misspelling (gmial.com → gmail.com)."""

from __future__ import annotations

from difflib import get_close_matches

# Domains most applicants use; a domain one or two letters away from one of these is likely a typo.
POPULAR_DOMAINS = ("gmail.com", "yahoo.com", "yahoo.co.id", "hotmail.com", "outlook.com",
                   "icloud.com", "ymail.com", "rocketmail.com", "live.com")
EXACT_TYPOS = {"gmail.co": "gmail.com", "gmail.con": "gmail.com", "gmail.cm": "gmail.com",
               "gmail.om": "gmail.com", "gmail.id": "gmail.com", "gmail.co.id": "gmail.com",
               "yahoo.co": "yahoo.com", "yahoo.con": "yahoo.com"}


def suggest_email(address: str) -> str | None:
    """Returns the address with its domain corrected, or None when the domain looks intended."""
    local, _, domain = address.rpartition("@")
    domain = domain.casefold()
    if not local or domain in POPULAR_DOMAINS:
        return None
    fixed = EXACT_TYPOS.get(domain)
    if fixed is None:
        close = get_close_matches(domain, POPULAR_DOMAINS, n=1, cutoff=0.8)
        fixed = close[0] if close else None
    return f"{local}@{fixed}" if fixed else None
