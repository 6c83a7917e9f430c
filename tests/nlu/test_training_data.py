"""The training and held-out data: coverage, format, and separation."""

from __future__ import annotations

from collections import Counter

import yaml

from nlu.intents import INTENTS
from nlu.normalize import load_normalizer
from nlu.training_data import HELDOUT_PATH, TRAINING_PATH, load_examples, strip_annotations


def test_training_data_has_40_examples_for_every_intent_and_no_others() -> None:
    counts = Counter(e.intent for e in load_examples(TRAINING_PATH))
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 40, counts.most_common()[-3:]


def test_heldout_has_10_examples_for_every_intent() -> None:
    counts = Counter(e.intent for e in load_examples(HELDOUT_PATH))
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 10


def test_heldout_never_repeats_a_training_line_even_after_normalisation() -> None:
    normalize = load_normalizer().features_text
    training = {normalize(e.text) for e in load_examples(TRAINING_PATH)}
    overlap = [e.text for e in load_examples(HELDOUT_PATH) if normalize(e.text) in training]
    assert overlap == []


def test_training_lines_are_unique() -> None:
    texts = [e.text.lower() for e in load_examples(TRAINING_PATH)]
    assert [t for t, n in Counter(texts).items() if n > 1] == []


def test_files_are_rasa_3_1_format_with_nik_regex() -> None:
    data = yaml.safe_load(TRAINING_PATH.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    regexes = {block["regex"] for block in data["nlu"] if "regex" in block}
    assert {"nik", "wave_number"} <= regexes
    assert any("synonym" in block for block in data["nlu"])


def test_annotations_are_stripped_and_recorded() -> None:
    text, entities = strip_annotations("kpn gel [13](wave_number) buka")
    assert text == "kpn gel 13 buka"
    assert entities == (("wave_number", "13"),)
    text, entities = strip_annotations('ke [delapan]{"entity": "wave_number", "value": "8"}')
    assert (text, entities) == ("ke delapan", (("wave_number", "delapan"),))


def test_annotated_entities_in_training_data_are_known_entities() -> None:
    names = {name for e in load_examples(TRAINING_PATH) for name, _ in e.entities}
    assert names == {"nik", "wave_number"}
