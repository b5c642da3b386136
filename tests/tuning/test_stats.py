import pytest

from hrouter.tuning.stats import ConfusionCounter, LatencySample, histogram, percentile


def test_confusion_precision_recall_by_hand():
    c = ConfusionCounter()
    pairs = [("a", "a")] * 3 + [("a", "b")] + [("b", "b")] * 2 + [("b", "a")] * 2 + [("c", "b")]
    for expected, predicted in pairs:
        c.add(expected, predicted)
    r = c.result()
    assert r.labels == ("a", "b", "c")
    assert r.matrix == ((3, 1, 0), (2, 2, 0), (0, 1, 0))
    assert r.labelled == 9 and r.correct == 5
    assert r.accuracy == pytest.approx(5 / 9)
    by = {k.label: k for k in r.classes}
    assert by["a"].precision == pytest.approx(3 / 5) and by["a"].recall == pytest.approx(3 / 4)
    assert by["b"].precision == pytest.approx(2 / 4) and by["b"].recall == pytest.approx(2 / 4)
    assert by["c"].precision is None and by["c"].recall == 0.0


def test_empty_confusion():
    r = ConfusionCounter().result()
    assert r.accuracy is None and r.labels == () and r.matrix == ()


def test_percentile_matches_linear_interpolation():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 90) == pytest.approx(90.1)
    assert percentile(values, 100) == 100.0
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0


def test_latency_sample_stays_bounded_and_representative():
    s = LatencySample(limit=1000)
    for i in range(100_000):
        s.add(float(i % 1000))
    s.add(None)
    s.add("x")
    assert s.count == 100_000
    assert len(s.values) < 1000
    summary = s.summary()
    assert summary["max"] == 999.0
    assert summary["mean"] == pytest.approx(499.5)
    assert summary["p50"] == pytest.approx(500, abs=30)
    assert summary["p90"] == pytest.approx(900, abs=30)


def test_histogram_counts_every_value():
    values = [0.05, 0.1, 0.2, 1.0, 5.0, 40.0, 400.0, 0.0]
    edges, counts = histogram(values, bins=10)
    assert len(edges) == 11 and sum(counts) == len(values)
    assert edges == sorted(edges)
    lin_edges, lin_counts = histogram([1.0, 2.0, 3.0, 4.0], bins=3)
    assert lin_counts == [2, 1, 1] and lin_edges[0] == 1.0 and lin_edges[-1] == 4.0
