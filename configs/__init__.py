"""Packaged default configuration files (engine catalog, proxy presets)."""
