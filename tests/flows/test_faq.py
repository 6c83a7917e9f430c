"""FAQ answers: one per intent, correct facts, valid buttons."""

from __future__ import annotations

import pytest

from flows.faq import FaqError, intent_labels, load_faq, parse_faq
from nlu.intents import INTENTS

ANSWERS = load_faq()


def test_every_intent_has_an_answer_and_a_label() -> None:
    assert set(ANSWERS) == set(INTENTS)
    assert all(a.text and a.label for a in ANSWERS.values())
    assert set(intent_labels()) == set(INTENTS)


@pytest.mark.parametrize(
    ("intent", "facts"),
    [
        ("dukcapil_contact", ["1500537", "08118005373", "callcenter@dukcapil.kemendagri.go.id"]),
        ("nik_not_registered", ["1500537", "Dukcapil Pusat", "16 digit"]),
        ("prakerja_contact", ["0800 1503 001", "0877 0150 3001", "bantuan.prakerja.go.id",
                              "livechat", "08.00–20.00 WIB", "2023–2024"]),
        ("incentive_amount", ["Rp4.200.000", "Rp3.550.000", "2023–2024", "2020–2022",
                              "dirapel"]),
        ("selection_process", ["acak", "siapa cepat dia dapat"]),
        ("ktp_photo_requirements", ["2 MB", "JPEG", "PNG", "fotokopi"]),
        ("eligibility", ["18–64", "2 NIK"]),
        ("rejection_reason", ["Dapodik", "Dikti", "BPUM"]),
        ("file_complaint", ["bantuan.kemnaker.go.id", "1500-630"]),
    ],
)
def test_key_facts_appear_where_expected(intent: str, facts: list[str]) -> None:
    missing = [fact for fact in facts if fact not in ANSWERS[intent].text]
    assert missing == []


def test_old_prakerja_contacts_are_only_quoted_as_2020_values() -> None:
    texts = {i: a.text for i, a in ANSWERS.items() if "021-25541246" in a.text}
    assert list(texts) == ["prakerja_contact"]
    assert "2020" in texts["prakerja_contact"]


def test_actions_are_attached_to_the_lookup_intents() -> None:
    actions = {i: a.action for i, a in ANSWERS.items() if a.action}
    assert actions == {
        "check_result": "action_check_result",
        "rejection_reason": "action_rejection_reason",
        "subscribe_announcements": "action_subscribe_announcements",
        "registration_status": "action_registration_status",
        "human_handoff": "action_human_handoff",
    }


def test_buttons_point_to_https_urls_known_intents_or_bot_buttons() -> None:
    for answer in ANSWERS.values():
        for button in answer.buttons:
            assert (button.intent in INTENTS or (button.url or "").startswith("https://")
                    or button.command in {"menu:register", "menu:test", "wave:join",
                                           "account:edit:password"})


def test_list_items_keep_their_own_lines() -> None:
    lines = ANSWERS["dukcapil_contact"].text.splitlines()
    assert "• Telepon: 1500537" in lines


def test_a_button_needs_exactly_one_target() -> None:
    with pytest.raises(FaqError):
        parse_faq({"answers": {"greet": {"text": "hi", "buttons": [{"label": "x"}]}}})
