from __future__ import annotations

from flows.validators.regions import load_regions, province_name, regency_name


def test_table_has_38_provinces_and_514_current_regencies() -> None:
    regions = load_regions()
    provinces = [code for code in regions if len(code) == 2]
    regencies = [code for code in regions if len(code) == 4]
    assert len(provinces) == 38
    assert len(regencies) == 514 + 31  # current + former codes kept for older NIKs


def test_every_regency_code_is_a_regency_or_city_of_a_known_province() -> None:
    for code in load_regions():
        if len(code) == 4:
            assert province_name(code[:2]) is not None, code
            assert 1 <= int(code[2:]) <= 69 or 71 <= int(code[2:]) <= 99, code


def test_lookup_rejects_wrong_lengths() -> None:
    assert province_name("3174") is None
    assert regency_name("31") is None
    assert regency_name("3174") == "Kota Jakarta Selatan"
