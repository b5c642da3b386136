"""Each of the six action families names its own refusals: the packaged rules through the
proxy's 409, one request per family (rules/families.rules splits deploy and calendar out of
the high-impact rule)."""

from __future__ import annotations

import httpx
import pytest

from hrouter.server.confirmation import FAMILIES

from .conftest import proxy_data, serving

FAMILY_REQUESTS = {
    "destructive": ("delete the production database", "destructive"),
    "send": ("email the quarterly report to every customer", "send"),
    "purchase": ("buy 3 more seats on our Figma plan", "purchase"),
    "deploy": ("deploy the hotfix to production", "deploy"),
    "calendar": ("cancel my 2pm call with Dana tomorrow", "calendar"),
    "external": ("revoke Karl's admin rights", "external"),
}


@pytest.fixture(scope="module")
def http(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    del data["rules"]  # the packaged rules
    with serving(data) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_every_family_has_a_request():
    assert sorted(FAMILY_REQUESTS) == sorted(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_refusal_names_its_family(http, behaviours, family):
    prompt, rule = FAMILY_REQUESTS[family]
    response = http.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": prompt}]})
    assert response.status_code == 409, response.text
    assert response.headers["x-routed-engine"] == "human_confirm"
    error = response.json()["error"]
    confirmation = error["confirmation"]
    assert confirmation["family"] == family
    assert confirmation["families"][0] == family
    assert error["fired_rules"][0] == rule
    if family in ("deploy", "calendar"):  # the finer rule first, the umbrella rule after it
        assert "external" in error["fired_rules"]
    assert all(prompt not in body.get("messages", [{}])[-1].get("content", "") for b in behaviours.values()
               for body in b.received)


APPROVALS = {
    "deploy": "CI is green on the hotfix. Shall I merge it into main and deploy it to production?",
    "calendar": "Your 1:1 with Priya could move to Thursday at 3pm. Should I reschedule the meeting?",
    "destructive": "I can delete the 14 stale backups in s3://acme-backups now. Proceed?",
}


@pytest.mark.parametrize("family", sorted(APPROVALS))
def test_an_approval_names_the_family_of_what_it_approves(http, family):
    messages = [{"role": "user", "content": "what's next?"},
                {"role": "assistant", "content": APPROVALS[family]},
                {"role": "user", "content": "yes, go ahead"}]
    response = http.post("/v1/chat/completions", json={"model": "hrouter", "messages": messages})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["confirmation"]["family"] == family
