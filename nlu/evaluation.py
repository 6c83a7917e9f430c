"""NLU accuracy figures: cross-validation, held-out accuracy, F1, out-of-scope false accepts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from nlu.embedded import EmbeddedParser, train_model
from nlu.intents import OUT_OF_SCOPE
from nlu.normalize import Normalizer
from nlu.result import ParseResult
from nlu.training_data import Example


@dataclass(frozen=True)
class EvalReport:
    """Scores of one backend on one labelled set."""

    accuracy: float
    oos_false_accept_rate: float
    per_intent_f1: dict[str, float]
    confusions: list[tuple[str, str, int]]
    calibration: list[tuple[float, float, int, float]]
    size: int


def score(
    examples: Sequence[Example], results: Sequence[ParseResult], threshold: float
) -> EvalReport:
    """Returns the report comparing gold intents with parse results."""
    gold = [e.intent for e in examples]
    predicted = [r.intent for r in results]
    labels = sorted(set(gold))
    f1 = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    return EvalReport(
        accuracy=float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])),
        oos_false_accept_rate=oos_false_accept_rate(gold, results, threshold),
        per_intent_f1={label: float(v) for label, v in zip(labels, f1, strict=True)},
        confusions=top_confusions(gold, predicted),
        calibration=reliability_bins(gold, results),
        size=len(gold),
    )


def oos_false_accept_rate(
    gold: Sequence[str], results: Sequence[ParseResult], threshold: float
) -> float:
    """Returns the share of out-of-scope texts confidently given an in-scope intent."""
    oos = [r for g, r in zip(gold, results, strict=True) if g == OUT_OF_SCOPE]
    accepted = [r for r in oos if r.intent != OUT_OF_SCOPE and r.is_confident(threshold)]
    return len(accepted) / len(oos) if oos else 0.0


def top_confusions(
    gold: Sequence[str], predicted: Sequence[str], k: int = 8
) -> list[tuple[str, str, int]]:
    """Returns the k most frequent (gold, predicted, count) mistakes."""
    pairs = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return [(g, p, n) for (g, p), n in pairs.most_common(k)]


def reliability_bins(
    gold: Sequence[str], results: Sequence[ParseResult]
) -> list[tuple[float, float, int, float]]:
    """Returns (low, high, count, accuracy) per confidence bin, to check calibration."""
    edges = (0.0, 0.3, 0.45, 0.6, 0.8, 1.0001)
    bins = []
    pairs = list(zip(gold, results, strict=True))
    for low, high in pairwise(edges):
        hits = [g == r.intent for g, r in pairs if low <= r.confidence < high]
        bins.append((low, min(high, 1.0), len(hits), float(np.mean(hits)) if hits else 0.0))
    return bins


def cross_validate(
    examples: Sequence[Example], normalizer: Normalizer, folds: int = 5, seed: int = 0
) -> float:
    """Returns the mean stratified k-fold accuracy of the embedded model."""
    labels = [e.intent for e in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    accuracies = []
    for train_idx, test_idx in splitter.split(np.zeros(len(labels)), labels):
        parser = EmbeddedParser(train_model([examples[i] for i in train_idx], normalizer))
        hits = [parser.parse_sync(examples[i].text).intent == labels[i] for i in test_idx]
        accuracies.append(float(np.mean(hits)))
    return float(np.mean(accuracies))
