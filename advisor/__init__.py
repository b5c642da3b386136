"""Setup assistant: scan the machine, recommend models, write configs (never on the routing path)."""
