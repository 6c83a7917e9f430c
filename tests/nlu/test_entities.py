"""NIK and wave-number extraction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlu.entities import EntityExtractor
from nlu.normalize import load_normalizer
from nlu.result import Entity

EXTRACTOR = EntityExtractor(load_normalizer().numbers)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("kpn gel 13 buka", "13"),
        ("gelombang 12 kapan tutup", "12"),
        ("gelombang ke-8 kapan", "8"),
        ("Gelombang ke 9?", "9"),
        ("gel.14", "14"),
        ("batch 07", "7"),
        ("gelombang tiga belas", "13"),
        ("gelombang ke dua puluh", "20"),
    ],
)
def test_wave_number_value_and_span(text: str, value: str) -> None:
    (entity,) = EXTRACTOR.extract(text)
    assert entity.entity == "wave_number"
    assert entity.value == value
    surface = text[entity.start : entity.end]
    assert surface.isdigit() or surface.lower() in load_normalizer().numbers


def test_nik_is_exactly_16_digits() -> None:
    text = "nik saya 3201012345670001 dan 12345678901234567 bukan nik"
    assert EXTRACTOR.extract(text) == (Entity("nik", "3201012345670001", 9, 25),)


def test_plain_numbers_and_words_are_not_waves() -> None:
    assert EXTRACTOR.extract("saya umur 13 tahun, gelar sarjana") == ()


@given(st.from_regex(r"\A[1-9][0-9]{15}\Z"), st.text(alphabet="abc ", max_size=10))
def test_any_16_digit_number_is_found_with_its_span(nik: str, prefix: str) -> None:
    text = f"{prefix} {nik} ok"
    (entity,) = EXTRACTOR.extract(text)
    assert text[entity.start : entity.end] == nik == entity.value
