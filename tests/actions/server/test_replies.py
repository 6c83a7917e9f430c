"""Action-server replies are plain text: Telegram HTML is taken out, links and symbols kept."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.server.replies import intent_buttons, plain, say


def test_plain_drops_tags_and_decodes_entities() -> None:
    assert plain("Ikuti <b>Tes Motivasi &amp; Kemampuan Dasar</b>, <i>15 menit</i>") == (
        "Ikuti Tes Motivasi & Kemampuan Dasar, 15 menit")


def test_plain_keeps_the_address_of_a_link() -> None:
    assert plain('Buka <a href="https://www.prakerja.go.id">situs resmi</a>.') == (
        "Buka situs resmi (https://www.prakerja.go.id).")
    assert plain('<a href="https://a.id/?x=1&amp;y=2">https://a.id/?x=1&amp;y=2</a>') == (
        "https://a.id/?x=1&y=2")


def test_plain_leaves_comparisons_alone() -> None:
    assert plain("usia < 18 atau > 64") == "usia < 18 atau > 64"


def test_say_sends_faq_labelled_buttons() -> None:
    dispatcher = CollectingDispatcher()
    say(dispatcher, "<b>Halo</b>", next_intents=["check_result"])
    say(dispatcher, "Tanpa tombol")
    assert [m["text"] for m in dispatcher.messages] == ["Halo", "Tanpa tombol"]
    assert dispatcher.messages[0]["buttons"] == intent_buttons(["check_result"]) == [
        {"title": "Cek hasil seleksi", "payload": "/check_result"}]
    assert dispatcher.messages[1]["buttons"] == []
