"""Slang and abbreviation normalisation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nlu.normalize import load_normalizer

NORMALIZER = load_normalizer()


def test_abbreviations_become_standard_words() -> None:
    assert NORMALIZER.normalize("nik sy ga kebaca sistem") == "nik saya tidak terbaca sistem"
    assert NORMALIZER.normalize("Kpn GEL 13 buka?") == "kapan gelombang 13 buka ?"
    assert NORMALIZER.normalize("gmn udh blm yg dgn") == "bagaimana sudah belum yang dengan"


def test_reduplication_and_stretched_letters_are_normalised() -> None:
    assert NORMALIZER.normalize("otp ga masuk2") == "otp tidak masuk masuk"
    assert NORMALIZER.normalize("halooo kakkk") == "halo kak"


def test_features_text_masks_numbers_and_nik() -> None:
    assert NORMALIZER.features_text("nik 3201012345670001 gel 13") == (
        "nik nomornik gelombang angka"
    )


def test_no_value_in_the_map_is_itself_rewritten() -> None:
    rewritten = [v for v in NORMALIZER.tokens.values() for w in v.split() if
                 NORMALIZER.tokens.get(w, w) != w]
    assert rewritten == []


@given(st.text(max_size=80))
def test_normalisation_is_idempotent_and_lowercase(text: str) -> None:
    once = NORMALIZER.normalize(text)
    assert NORMALIZER.normalize(once) == once
    assert once == once.lower()
