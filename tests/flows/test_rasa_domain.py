"""The Rasa FAQ responses and rules are generated from flows/faq.yml and must stay in step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from actions.server import ACTION_NAMES
from flows.faq import FAQ_PATH, load_faq
from flows.rasa_domain import (
    RESPONSES_PATH,
    RULES_PATH,
    drift,
    generated_files,
    rasa_action,
)
from nlu.intents import INTENTS

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_committed_files_match_faq_yml() -> None:
    assert drift(generated_files()) == [], "run `prakerja rasa domain` and commit the result"


def test_an_edited_answer_is_reported_as_drift(tmp_path: Path) -> None:
    edited = tmp_path / "faq.yml"
    edited.write_text(FAQ_PATH.read_text(encoding="utf-8").replace(
        "Sama-sama! 😊", "Sama-sama ya! 😊"), encoding="utf-8")
    diffs = drift(generated_files(edited))
    assert len(diffs) == 1  # the responses changed, the rules did not
    assert str(RESPONSES_PATH) in diffs[0] and "+  - text: Sama-sama ya! 😊" in diffs[0]


def test_a_new_intent_drifts_both_files(tmp_path: Path) -> None:
    edited = tmp_path / "faq.yml"
    extra = "\n  new_topic:\n    label: Baru\n    text: Jawaban baru.\n"
    edited.write_text(FAQ_PATH.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert {d.splitlines()[0] for d in drift(generated_files(edited))} == {
        f"--- {RESPONSES_PATH}", f"--- {RULES_PATH}"}


def test_each_intent_has_one_faq_rule_to_an_existing_response_or_action() -> None:
    responses = dict(_load(RESPONSES_PATH)["responses"])
    handwritten = _load(ROOT / "domain" / "prakerja.yml")
    steps = [rule["steps"] for rule in _load(RULES_PATH)["rules"]]
    assert sorted(step[0]["intent"] for step in steps) == sorted(INTENTS)
    for _intent, action in ((s[0]["intent"], s[1]["action"]) for s in steps):
        assert action in responses or action in ACTION_NAMES
    assert set(handwritten["actions"]) == ACTION_NAMES
    assert sorted(handwritten["intents"]) == sorted(INTENTS)


def test_responses_say_what_the_bot_says() -> None:
    faq = load_faq()
    responses = _load(RESPONSES_PATH)["responses"]
    assert responses["utter_thanks"] == [{"text": faq["thanks"].text}]
    greet = responses["utter_greet"][0]
    assert greet["text"] == faq["greet"].text
    assert greet["buttons"][0] == {"title": "Cara daftar", "payload": "/register_account"}
    # a link button becomes a line of text (Rasa's buttons carry no URL), a bot command is left out
    for answer in faq.values():
        if not rasa_action(answer).startswith("utter_"):
            continue
        response = responses[f"utter_{answer.intent}"][0]
        for button in answer.buttons:
            if button.url is not None:
                assert f"{button.label}: {button.url}" in response["text"]
        titles = [b["title"] for b in response.get("buttons", [])]
        assert titles == [b.label for b in answer.buttons if b.intent is not None]
    contact = responses["utter_prakerja_contact"][0]["text"]
    assert "Formulir bantuan: https://bantuan.prakerja.go.id/hc/id/requests/new" in contact


def test_intents_with_server_actions_run_them_on_rasa() -> None:
    faq = load_faq()
    assert rasa_action(faq["check_result"]) == "action_check_result"
    assert rasa_action(faq["human_handoff"]) == "action_human_handoff"
    assert rasa_action(faq["join_wave"]) == "action_join_wave"
    # the bot subscribes in its own flow; Rasa can only tell what subscribing means
    assert rasa_action(faq["subscribe_announcements"]) == "utter_subscribe_announcements"
