"""The default rule set, shipped as package data; `main.rules` is its entry file."""
