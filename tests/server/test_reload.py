"""Hot reload: a good rules edit is picked up by --watch polling; a broken one (or one that
fails its own expects) keeps the old router serving and shows in /health and the log."""

from __future__ import annotations

import logging
import re
import shutil
import time

import httpx

from hrouter.engine.router import default_rules_path
from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import RULES, proxy_data


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def route_of(c, text):
    r = c.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": text}]})
    return r.status_code, r.headers.get("x-routed-engine")


def test_watch_reloads_a_good_edit_and_survives_a_broken_one(standins, behaviours, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["rules"] = str(rules)
    main = rules / "main.rules"
    original = main.read_text()
    with ThreadedServer(create_app(config_from_data(data, "t"), watch_interval=0.2)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as c:
        first = c.get("/health").json()["rules"]
        assert route_of(c, "tell me about the weather") == (200, "balanced_local")

        # good edit: weather questions now go to reasoning
        main.write_text(original.replace('feature hard      = words(prove, analyze, theorem)',
                                         'feature hard      = words(prove, analyze, theorem, weather)'))
        wait_for(lambda: c.get("/health").json()["rules"]["generation"] == first["generation"] + 1)
        assert route_of(c, "tell me about the weather") == (200, "reasoning_local")
        second = c.get("/health").json()
        assert second["rules"]["artifact_hash"] != first["artifact_hash"]
        assert second["rules"]["reload_error"] is None
        assert first["last_reload_at"] is None
        import datetime
        import re

        stamp = second["rules"]["last_reload_at"]  # ISO 8601, UTC, like the event log's `time`
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp), stamp
        age = datetime.datetime.now(datetime.timezone.utc) - datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=5)

        # broken edit: the old router keeps serving, /health says why
        main.write_text(original + "\nroute broken: nonexistent_feature -> coding \"oops\"\n")
        health = wait_for(lambda: (h := c.get("/health").json())["rules"]["reload_error"] and h)
        # where, not what: /health never quotes a rules file (the log has the message)
        assert re.search(r"main\.rules:\d+", health["rules"]["reload_error"])
        assert "nonexistent_feature" not in health["rules"]["reload_error"]
        assert health["status"] == "degraded"
        assert health["rules"]["artifact_hash"] == second["rules"]["artifact_hash"]
        assert route_of(c, "tell me about the weather") == (200, "reasoning_local")
        assert route_of(c, "please delete the staging logs") == (409, "human_confirm")

        # fixing the file recovers
        main.write_text(original)
        wait_for(lambda: c.get("/health").json()["rules"]["reload_error"] is None)
        assert route_of(c, "tell me about the weather") == (200, "balanced_local")


def test_watch_keeps_the_old_router_when_an_edit_breaks_an_expect(standins, behaviours, tmp_path, caplog):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_path(), rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["rules"] = str(rules)
    data["engine_backends"].update(multimodal_vision="balanced", web_research="balanced",
                                   image_generation="balanced")  # anything let through would be forwarded
    safety = rules / "safety.rules"
    caplog.set_level(logging.ERROR, logger="hrouter.proxy")
    with ThreadedServer(create_app(config_from_data(data, "t"), watch_interval=0.2)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as c:
        first = c.get("/health").json()["rules"]
        assert route_of(c, "drop the production database") == (409, "human_confirm")

        # compiles, but routes "drop the production database" to a model: its expects fail
        text, removed = re.subn(r"^safety destructive:.*\n", "", safety.read_text(), flags=re.M)
        assert removed == 1
        safety.write_text(text)
        health = wait_for(lambda: (h := c.get("/health").json())["rules"]["reload_error"] and h, timeout=30)
        error = health["rules"]["reload_error"]
        assert error.startswith(f"ExpectsFailed: {rules}: ") and "expect lines fail" in error
        assert re.search(r"safety\.rules:\d+", error) and "drop the production" not in error
        assert health["status"] == "degraded"
        assert health["rules"]["generation"] == first["generation"]
        assert health["rules"]["artifact_hash"] == first["artifact_hash"]
        assert route_of(c, "drop the production database") == (409, "human_confirm")
        assert all(b.received == [] for b in behaviours.values())
    logged = [r.getMessage() for r in caplog.records if "still serving the previous rules" in r.getMessage()]
    assert logged and "expect 'drop the production database'" in logged[0]
