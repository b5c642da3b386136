"""Helpers for benchmarks/proxy_bench.py: a minimal model stand-in and a light load generator."""
