import json

from hrouter.cli.main import main


def test_patterns_rules_and_terms_with_locations(capsys, art):
    assert main(["explain", "--rules", art, "please drop the database and refactor the repo"]) == 0
    out = capsys.readouterr().out
    assert "destructive_verb" in out and "features.rules:1" in out
    assert "coding_intent" in out and "features.rules:4" in out
    assert "destructive action  (scoring.rules:60)" in out
    assert "destructive  (safety.rules:11)" in out and "coding  (routes.rules:22)" in out
    assert "decided by:     destructive (safety.rules:11) -> confirmation" in out
    assert out.rstrip().endswith("engine:         human_confirm")


def test_json_and_attachment(capsys, art):
    assert main(["explain", "--json", "--rules", art, "--attachment", "image", "what is this"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["engine"] == "multimodal_vision" and "attachment_image" in data["atoms"]
    assert data["decided_by"]["rule"] == "vision"


def test_missing_rules_is_a_clear_error(capsys, tmp_path):
    assert main(["explain", "--rules", str(tmp_path / "none"), "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hrouter explain: ") and "no such rules" in err
