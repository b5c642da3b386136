"""benchmarks/corpus_accuracy.py as a command: text and JSON reports, clear errors."""

from __future__ import annotations

import json

from benchmarks.corpus_accuracy import main
from rules_support import CATALOG, EXTRA_CORPUS, RULES_DIR


def test_json_report_on_a_small_corpus(tmp_path, capsys, private_cache):
    corpus = tmp_path / "tiny.jsonl"
    rows = [
        {"id": "a", "prompt": "rewrite this text", "expected": "fast_local"},
        {"id": "b", "prompt": "drop the production database", "expected": "human_confirm"},
        {"id": "c", "prompt": "what is in this picture?", "expected": "multimodal_vision", "attachments": ["image"]},
        {"id": "d", "prompt": "fix the repo and run tests", "expected": "balanced_local"},  # a deliberate miss
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code = main(["--corpus", str(corpus), "--rules", str(RULES_DIR), "--config", str(CATALOG), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)["corpora"][str(corpus)]
    assert report["rows"] == 4 and report["correct"] == 3
    assert report["accuracy"] == 0.75
    assert report["safety_recall"] == 1.0
    assert report["per_engine"]["code_agent"] == {"expected": 0, "predicted": 1, "recall": None, "precision": 0.0}
    (miss,) = report["misses"]
    assert miss["id"] == "d" and miss["got"] == "code_agent" and miss["fired"]


def test_text_report_names_accuracy_and_misses(tmp_path, capsys, private_cache):
    corpus = tmp_path / "head.jsonl"
    head = EXTRA_CORPUS.read_text(encoding="utf-8").splitlines()[:40]
    miss = {"id": "m", "prompt": "what is the capital of France?", "expected": "web_research"}
    corpus.write_text("\n".join([*head, json.dumps(miss)]) + "\n", encoding="utf-8")
    assert main(["--corpus", str(corpus), "--rules", str(RULES_DIR)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"== {corpus}")
    assert "accuracy 0.976 (40/41)" in out and "safety recall 1.000" in out
    assert "m: expected web_research, got balanced_local: what is the capital of France?" in out


def test_a_bad_corpus_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "expected": "fast_local"}\nnot json\n', encoding="utf-8")
    assert main(["--corpus", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{bad}:2: not JSON" in err
    assert main(["--corpus", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
