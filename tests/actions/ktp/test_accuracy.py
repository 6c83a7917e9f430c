"""Per-category precision and recall of check_ktp on the fixed-seed synthetic set."""

from __future__ import annotations

from support import ktp_synth

from actions.ktp import check_ktp

CATEGORIES = [label for label in ktp_synth.SCENES if label != "good"]
MIN_RECALL = 0.8
MIN_PRECISION = 0.8
MAX_FALSE_REJECT = 0.10


def _table(results: list[tuple[str, set[str]]]) -> dict[str, tuple[float, float, int]]:
    """Returns precision, recall and support per category."""
    table = {}
    for category in CATEGORIES:
        tp = sum(1 for label, codes in results if label == category and category in codes)
        fp = sum(1 for label, codes in results if label != category and category in codes)
        support = sum(1 for label, _ in results if label == category)
        precision = tp / (tp + fp) if tp + fp else 1.0
        table[category] = (precision, tp / support, support)
    return table


def test_precision_recall_per_category(labelled: list[ktp_synth.Sample]) -> None:
    results = [(s.label, set(check_ktp(s.data, source=s.source).codes)) for s in labelled]
    table = _table(results)
    good = [codes for label, codes in results if label == "good"]
    false_reject = sum(1 for codes in good if codes) / len(good)
    print(f"\n{'category':15} {'precision':>9} {'recall':>7} {'n':>3}")
    for category, (precision, recall, support) in table.items():
        print(f"{category:15} {precision:9.2f} {recall:7.2f} {support:3d}")
    print(f"{'good (false reject)':22} {false_reject:7.2f} {len(good):3d}")
    assert false_reject <= MAX_FALSE_REJECT
    for category, (precision, recall, _) in table.items():
        assert recall >= MIN_RECALL, category
        assert precision >= MIN_PRECISION, category
