"""In-process intent classifier: TF-IDF (char_wb + word n-grams) with logistic regression."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from nlu.entities import EntityExtractor
from nlu.fast_scoring import FastScorer
from nlu.intents import OUT_OF_SCOPE
from nlu.normalize import NORMALIZATION_PATH, Normalizer, load_normalizer
from nlu.result import IntentScore, ParseResult
from nlu.training_data import TRAINING_PATH, Example, data_fingerprint, load_examples

logger = logging.getLogger(__name__)

# Bump when the feature set or model changes, so old caches are ignored.
MODEL_VERSION = "tfidf-lr-saga-1"
RANKING_SIZE = 10


def build_pipeline() -> Pipeline:
    """Returns an untrained TF-IDF + logistic-regression pipeline."""
    features = FeatureUnion(
        [
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )
    # saga trains ~5x faster than lbfgs here with the same held-out accuracy.
    classifier = LogisticRegression(
        C=20.0, solver="saga", max_iter=300, tol=1e-3, class_weight="balanced", random_state=0
    )
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass(frozen=True)
class TrainedModel:
    """A fitted pipeline plus the normaliser it was trained with."""

    pipeline: Pipeline
    normalizer: Normalizer
    fingerprint: str


def train_model(
    examples: Sequence[Example], normalizer: Normalizer, fingerprint: str = ""
) -> TrainedModel:
    """Returns a model fitted on the examples."""
    pipeline = build_pipeline()
    pipeline.fit([normalizer.features_text(e.text) for e in examples], [e.intent for e in examples])
    return TrainedModel(pipeline=pipeline, normalizer=normalizer, fingerprint=fingerprint)


class EmbeddedParser:
    """Parses texts with a TrainedModel; `parse` is async for the NluParser protocol."""

    def __init__(self, model: TrainedModel) -> None:
        self.model = model
        self._extractor = EntityExtractor(model.normalizer.numbers)
        self._classes: list[str] = [str(c) for c in model.pipeline.classes_]
        self._scorer = FastScorer(model.pipeline)

    def parse_sync(self, text: str) -> ParseResult:
        """Returns the intent ranking and entities for text."""
        entities = self._extractor.extract(text)
        features = self.model.normalizer.features_text(text)
        ranking: tuple[IntentScore, ...]
        if not features:
            ranking = (IntentScore(OUT_OF_SCOPE, 1.0),)
        else:
            probabilities = self._scorer.probabilities(features)
            order = np.argsort(probabilities)[::-1][:RANKING_SIZE]
            ranking = tuple(IntentScore(self._classes[i], float(probabilities[i])) for i in order)
        top = ranking[0]
        return ParseResult(text, top.name, top.confidence, ranking, entities)

    async def parse(self, text: str) -> ParseResult:
        """Returns the same as parse_sync; classification takes well under a millisecond."""
        return self.parse_sync(text)


def model_fingerprint(
    training_path: Path = TRAINING_PATH, normalization_path: Path = NORMALIZATION_PATH
) -> str:
    """Returns the cache key: data files, model version and scikit-learn version."""
    tag = f"{MODEL_VERSION}/{sklearn.__version__}"
    return data_fingerprint(training_path, normalization_path, extra=tag)


def cache_path(cache_dir: Path, fingerprint: str) -> Path:
    """Returns where the model for a fingerprint is cached."""
    return cache_dir / f"embedded-{fingerprint}.joblib"


def load_or_train(
    cache_dir: Path | None,
    training_path: Path = TRAINING_PATH,
    normalization_path: Path = NORMALIZATION_PATH,
) -> TrainedModel:
    """Returns the cached model for the current data, training and caching it if missing."""
    fingerprint = model_fingerprint(training_path, normalization_path)
    path = cache_path(cache_dir, fingerprint) if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            model = joblib.load(path)
            if isinstance(model, TrainedModel) and model.fingerprint == fingerprint:
                return model
        except Exception:  # a corrupt or incompatible cache is rebuilt, never fatal
            logger.warning("NLU cache %s unreadable; retraining", path, exc_info=True)
    started = time.perf_counter()
    model = train_model(
        load_examples(training_path), load_normalizer(normalization_path), fingerprint
    )
    logger.info("Embedded NLU trained in %.2f s", time.perf_counter() - started)
    if path is not None:
        save_model(model, path)
    return model


def save_model(model: TrainedModel, path: Path) -> None:
    """Writes the model atomically, so concurrent workers never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(model, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@lru_cache(maxsize=1)
def embedded_parser() -> EmbeddedParser:
    """Returns the process-wide embedded parser, loaded from cache or trained once."""
    from storage.settings import get_settings

    return EmbeddedParser(load_or_train(Path(get_settings().nlu_cache_dir)))
