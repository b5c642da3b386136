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


def test_explain_a_conversation_shows_the_turn_a_route_came_from(capsys, tmp_path):
    body = {"model": "hrouter", "messages": [
        {"role": "user", "content": "draw a robot gardener"},
        {"role": "assistant", "content": "Here it is: ![robot](https://img.example/robot.png)"},
        {"role": "user", "content": "make it rusty"},
        {"role": "assistant", "content": "Here it is: ![robot](https://img.example/robot2.png)"},
        {"role": "user", "content": "perfect, now one more from behind"}]}
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert main(["explain", "--conversation", str(path)]) == 0
    out = capsys.readouterr().out
    assert "turn 2: image_generation by followup_image_generation" in out and "itself inherited image_generation" in out
    assert "turn 1: image_generation by image_generation" in out
    assert "inherited:      image_generation from the previous user turn (turn 2)" in out
    assert main(["explain", "--json", "--conversation", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["engine"] == "image_generation" and data["inherited_from"] == "image_generation"
    assert [t["turn"] for t in data["previous_turns"]] == [2, 1]
    assert main(["decide", "--conversation", str(path)]) == 0
    assert "inherited:    previous user turn: image_generation" in capsys.readouterr().out


def test_explain_a_conversation_that_cannot_be_read(capsys, tmp_path):
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert main(["explain", "--conversation", str(tmp_path / "bad.json")]) == 1
    assert "cannot read the conversation" in capsys.readouterr().err
    (tmp_path / "num.json").write_text("3", encoding="utf-8")
    assert main(["explain", "--conversation", str(tmp_path / "num.json")]) == 1
