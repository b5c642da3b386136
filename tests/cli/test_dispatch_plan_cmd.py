import json

from hrouter.cli.main import main


def test_plan_describes_the_adapter_and_executes_nothing(capsys, art):
    assert main(["dispatch-plan", "--json", "--rules", art, "fix the repo and run tests"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["dry_run"] is True and plan["executes"] == "nothing"
    assert (plan["engine"], plan["adapter"], plan["provider"], plan["model"]) == ("code_agent", "local_code", "local", "local-code-agent")
    assert plan["requires_confirmation"] is False and "alternatives" not in plan


def test_confirmation_plan_stops(capsys, art):
    assert main(["dispatch-plan", "--rules", art, "drop the production database"]) == 0
    out = capsys.readouterr().out
    assert "executes nothing" in out and "human_confirm" in out and "wait for a human" in out


def test_alternatives_only_on_request(capsys, art):
    assert main(["dispatch-plan", "--json", "--include-alternatives", "--rules", art, "rewrite this text"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["engine"] == "fast_local" and plan["alternatives"]
    assert all(set(a) == {"engine", "rank_score"} for a in plan["alternatives"])


def test_config_error_exit_code(capsys, art, tmp_path):
    assert main(["dispatch-plan", "--config", str(tmp_path / "x.yaml"), "--rules", art, "hi"]) == 1
    assert "x.yaml: file not found" in capsys.readouterr().err


def test_plan_and_proxy_agree_on_the_backend_and_its_model_name(capsys):
    import httpx

    from hrouter.server.app import create_app
    from hrouter.server.config import load_proxy_config
    from hrouter.server.demo import start_demo_backends
    from hrouter.server.threaded import ThreadedServer

    prompt = "fix the failing test in my repo"
    assert main(["dispatch-plan", "--json", prompt]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["proxy"]["config"] == "<embedded routing_proxy.yaml>"
    config, standins = start_demo_backends(load_proxy_config(None))
    try:
        with ThreadedServer(create_app(config)) as proxy:
            r = httpx.post(f"{proxy.url}/v1/chat/completions", timeout=10,
                           json={"model": "hrouter", "messages": [{"role": "user", "content": prompt}]})
    finally:
        for server in standins:
            server.stop()
    assert r.status_code == 200
    assert r.headers["x-routed-engine"] == plan["engine"]
    assert r.headers["x-routed-backend"] == plan["proxy"]["backend"]
    assert r.json()["model"] == plan["proxy"]["model"]  # the stand-in echoes the model it was asked for
    assert f"as model '{plan['proxy']['model']}'" in plan["action"]
