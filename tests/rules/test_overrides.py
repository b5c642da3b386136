"""Each safety switch in the catalog lets through its own kind of action and nothing else."""

from __future__ import annotations

import pytest
import yaml

from rules_support import CATALOG, RULES_DIR

# One clear action per family, routed to human_confirm by the default catalog.
FAMILIES = {
    "allow_destructive_actions": "delete all files in the shared drive",
    "allow_send_actions": "send the quarterly report to the whole sales team",
    "allow_purchase_actions": "buy two 27-inch monitors for the office",
    "allow_high_impact_external_actions": "deploy the hotfix to production",
    "allow_ambiguous_high_impact": "please delete.",
}


def router_with(tmp_path, **switches):
    from hrouter import ModelRouter

    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    catalog["safety"]["confirmation_overrides"].update(switches)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog), encoding="utf-8")
    return ModelRouter.from_config(path, rules=RULES_DIR)


def test_every_family_is_confirmed_by_default(router):
    for prompt in FAMILIES.values():
        decision = router.route(prompt)
        assert decision.selected_engine == "human_confirm", prompt
        assert decision.requires_confirmation
        assert decision.risk_score >= 50, prompt


@pytest.mark.parametrize("switch", sorted(FAMILIES))
def test_a_switch_releases_only_its_own_family(tmp_path, switch):
    router = router_with(tmp_path, **{switch: True})
    for other, prompt in FAMILIES.items():
        engine = router.route_fast(prompt)
        if other == switch:
            assert engine != "human_confirm", f"{switch} did not release {prompt!r}"
        else:
            assert engine == "human_confirm", f"{switch} released {prompt!r}"


def test_an_allowed_action_goes_to_an_agent_with_tools(tmp_path):
    router = router_with(tmp_path, allow_send_actions=True)
    decision = router.route("send the quarterly report to the whole sales team")
    assert decision.selected_engine == "code_agent"
    assert decision.requires_tools and not decision.fallback_used
    # The risk is still reported, even though the action is allowed.
    assert decision.risk_score >= 60


def test_no_switch_lets_an_empty_prompt_through(tmp_path):
    router = router_with(tmp_path, **{switch: True for switch in FAMILIES})
    for prompt in ("", "   \n\t"):
        assert router.route_fast(prompt) == "human_confirm"
