"""The routing proxy: one OpenAI-compatible endpoint in front of many model servers.

`app.create_app(config, router)` builds the Starlette app; `config.load_proxy_config` reads the
YAML. Per request: `body` (bounded read) -> `dispatch` (one `route` call, forcing) -> `forwarding`
(backend, then fallbacks, over `upstream`'s keep-alive connections) -> `streaming` (SSE relay).
Around it: `middleware` (auth, request ids), `health`, `reload` (SIGHUP, --watch) and
`rules_gate` (rules that fail their expects are never served), `demo`
(stand-in model servers), `events`/`metrics`/`redact` (observability; `metrics_dir` and
`supervisor` for `--workers`). See docs/proxy.md.
"""
