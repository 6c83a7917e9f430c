from __future__ import annotations

import re
from pathlib import Path

from flows.validators.messages import MESSAGES_PATH, load_messages

VALIDATORS_DIR = Path(__file__).resolve().parents[3] / "flows" / "validators"
CODE_IN_SOURCE = re.compile(r'(?:invalid\(|return ")([a-z_]+)"')


def codes_used_in_source() -> set[str]:
    codes: set[str] = set()
    for path in VALIDATORS_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r'invalid\(\s*"([a-z_]+)"', text))
        codes.update(re.findall(r'return "([a-z_]+)"', text))
    return codes


def test_every_code_used_has_a_message_and_every_message_is_used() -> None:
    used = codes_used_in_source()
    assert len(used) > 30
    assert used == set(load_messages())


def test_messages_are_indonesian_and_not_empty() -> None:
    for code, message in load_messages().items():
        assert message, code
        assert "Anda" in message or "Ketik" in message or "ketik" in message, code


def test_messages_file_is_the_shipped_yaml() -> None:
    assert MESSAGES_PATH.name == "validation.yml"
    assert MESSAGES_PATH.parent.name == "texts"
