"""The privacy guard measured on plain language: recall and false alarms on a labelled corpus.

Pure Python: no database. Run with ``-s`` to see the figures.
"""

from connect.privacy import scan

from .privacy_corpus import IDENTIFYING, ORDINARY, WRITER

MIN_RECALL = 0.95
MAX_FALSE_ALARMS = 0.05


def _flagged(sentence):
    return bool(scan(sentence, allowed_names=[WRITER]))


def test_corpus_is_large_enough_and_has_no_repeats():
    assert len(IDENTIFYING) >= 150
    assert len(ORDINARY) >= 150
    assert len(set(IDENTIFYING) | set(ORDINARY)) == len(IDENTIFYING) + len(ORDINARY)


def test_scan_recall_and_false_alarm_rate_on_the_corpus():
    missed = [s for s in IDENTIFYING if not _flagged(s)]
    false_alarms = [s for s in ORDINARY if _flagged(s)]
    recall = 1 - len(missed) / len(IDENTIFYING)
    false_alarm_rate = len(false_alarms) / len(ORDINARY)

    print(
        f"\nprivacy guard on {len(IDENTIFYING)} identifying and {len(ORDINARY)} ordinary sentences: "
        f"recall {recall:.3f}, false-alarm rate {false_alarm_rate:.3f}"
    )
    for sentence in missed:
        print(f"  missed: {sentence!r}")
    for sentence in false_alarms:
        print(f"  false alarm: {sentence!r} -> {[(f.kind, f.text) for f in scan(sentence)]}")

    assert recall >= MIN_RECALL, missed
    assert false_alarm_rate <= MAX_FALSE_ALARMS, false_alarms
