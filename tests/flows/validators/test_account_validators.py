from __future__ import annotations

import pytest

from flows.validators import Invalid, Valid, validate_full_name, validate_password

NIK = "3201011708900001"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Budi Santoso", "Budi Santoso"),
        ("  siti   nurhaliza  ", "siti nurhaliza"),
        ("Ma'ruf Amin", "Ma'ruf Amin"),
        ("Ma’ruf Amin", "Ma’ruf Amin"),
        ("Dr. H. Andi Mallarangeng, S.H.", "Dr. H. Andi Mallarangeng, S.H."),
        ("Jean-Pierre", "Jean-Pierre"),
        ("Ané", "Ané"),
        ("Ane\u0301", "Ané"),  # decomposed accent is composed
        ("Abu", "Abu"),
        ("A" * 100, "A" * 100),
    ],
)
def test_valid_names(text: str, name: str) -> None:
    assert validate_full_name(text) == Valid(name)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "name_too_short"),
        ("Al", "name_too_short"),
        ("A" * 101, "name_too_long"),
        ("Budi123", "name_bad_chars"),
        ("Budi_Santoso", "name_bad_chars"),
        ("Budi 😀", "name_bad_chars"),
        ("...", "name_no_letters"),
        ("- -", "name_no_letters"),
    ],
)
def test_name_failures(text: str, code: str) -> None:
    result = validate_full_name(text)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert result.message


def test_bad_chars_message_names_each_character_once() -> None:
    result = validate_full_name("Budi1 Santoso1!")
    assert isinstance(result, Invalid)
    assert '"1"' in result.message
    assert '"!"' in result.message
    assert result.message.count('"1"') == 1


def test_invisible_bad_characters_are_shown_as_code_points() -> None:
    result = validate_full_name("Budi\u200bSantoso")
    assert isinstance(result, Invalid)
    assert "U+200B" in result.message


@pytest.mark.parametrize("text", ["rahasiaku123", "Kartu-Prakerja-2024", "        a", "x" * 128])
def test_valid_passwords_are_returned_unchanged(text: str) -> None:
    assert validate_password(text, email="budi@gmail.com", nik=NIK) == Valid(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "password_too_short"),
        ("abc1234", "password_too_short"),
        ("x" * 129, "password_too_long"),
        ("12345678", "password_all_digits"),
        (NIK, "password_all_digits"),
        (f"a{NIK}", "password_contains_nik"),
        (f"KTP{NIK}!", "password_contains_nik"),
        ("budi.santoso@gmail.com", "password_is_email"),
        ("BUDI.SANTOSO@GMAIL.COM", "password_is_email"),
        ("budi.santoso", "password_is_email"),
        ("password", "password_common"),
        ("Password1!", "password_common"),
        ("rahasia123", "password_common"),
        ("QWERTY123", "password_common"),
    ],
)
def test_password_failures(text: str, code: str) -> None:
    result = validate_password(text, email="budi.santoso@gmail.com", nik=NIK)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert result.message


def test_password_checks_need_the_context_they_use() -> None:
    assert validate_password(f"a{NIK}") == Valid(f"a{NIK}")
    assert validate_password("budi.santoso") == Valid("budi.santoso")


def test_formatted_nik_is_still_recognised_in_password() -> None:
    result = validate_password(f"x{NIK}", nik="3201 0117 0890 0001")
    assert isinstance(result, Invalid)
    assert result.code == "password_contains_nik"
