"""`hrouter serve`: run the routing proxy (optionally with demo stand-in model servers)."""

from __future__ import annotations

import argparse
import os
import sys

CONFIG_ENV = "HROUTER_SERVE_CONFIG_JSON"
WATCH_ENV = "HROUTER_SERVE_WATCH"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="proxy config YAML (default: $HROUTER_HOME/routing_proxy.yaml if present, "
                                         "else the embedded default)")
    parser.add_argument("--host", help="bind address (default: proxy.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: proxy.port, 8082)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--demo", action="store_true",
                        help="also start a loopback stand-in model server per backend (no model needed)")
    parser.add_argument("--watch", action="store_true", help="reload when the rules or catalog files change")
    parser.add_argument("--watch-interval", type=float, default=1.0, help="seconds between --watch checks")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"hrouter serve: {message}", file=sys.stderr)
    return 2


def _refused(exc) -> str:
    """Rules whose expects fail, one failure a line (a rule set may break dozens at once)."""
    lines = [f"refusing the rules: {exc.summary}"]
    lines += [f"  {failure}" for failure in exc.errors]
    lines.append("Fix the rules (or the expects), then start again; `hrouter test RULES_DIR` shows each in full.")
    return "\n".join(lines)


def app_from_environment():
    """The app for each `--workers` process: config and options come from the parent's env."""
    import json
    import logging

    from hrouter.engine import RouterConfigError
    from hrouter.engine.convert import converter
    from hrouter.server.app import create_app
    from hrouter.server.config import ProxyConfig

    config = converter.structure(json.loads(os.environ[CONFIG_ENV]), ProxyConfig)
    watch = float(os.environ.get(WATCH_ENV) or 0) or None
    try:
        return create_app(config, watch_interval=watch)
    except RouterConfigError as exc:
        # A worker restarted by the supervisor (the old one died) found rules that do not
        # compile or fail their expects; the other workers keep theirs. Say why in one line
        # instead of a traceback. (SIGHUP reloads workers in place: server/supervisor.py.)
        logging.getLogger("hrouter.proxy").error(
            "a new worker refuses the rules, the running workers keep the previous ones: %s", exc)
        raise SystemExit(1) from None


def _banner(url: str, config, demo: bool, workers: int) -> str:
    key = config.resolved_api_key()
    lines = [
        f"hrouter proxy listening on {url} ({workers} worker{'s' if workers > 1 else ''}, config: {config.source})",
        "Point any OpenAI-compatible client at it:",
        f"  export OPENAI_BASE_URL={url}/v1",
        f"  export OPENAI_API_KEY={'<your proxy api key>' if key else 'unused-but-required-by-some-clients'}",
        "  model: " + " or ".join(config.proxy.model_ids) + " (routed), or an engine name to force it",
        f"Health: curl {url}/health    Stop: Ctrl-C",
        f"Refused requests wait for a human at {url}/confirm (or `hrouter confirm list`)",
    ]
    if demo:
        demo = ["Demo mode: each backend is a stand-in that answers with its backend and model name:"]
        demo += [f"  {name:<10} {b.base_url}  (model {b.model})" for name, b in config.backends.items()]
        lines[1:1] = demo
        lines.append(
            f"Try: curl -s {url}/v1/chat/completions -H 'content-type: application/json' "
            "-d '{\"model\":\"hrouter\",\"messages\":[{\"role\":\"user\",\"content\":\"fix the failing test in my repo\"}]}'"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import logging
    import signal

    from hrouter.server.config import ProxyConfigError, bind_problem, load_proxy_config, self_backend_problems
    from hrouter.server.home import default_proxy_config_path

    try:
        config = load_proxy_config(args.config or default_proxy_config_path())
    except ProxyConfigError as exc:
        return _fail(f"invalid config {exc.source}: " + "; ".join(exc.problems))
    from hrouter.server.telemetry import telemetry_problem

    problem = telemetry_problem(config.telemetry)  # before anything is built or bound
    if problem:
        return _fail(problem)
    host = args.host or config.proxy.host
    port = config.proxy.port if args.port is None else args.port
    problem = bind_problem(config, host)
    if problem:
        return _fail(problem)
    if args.workers < 1:
        return _fail("--workers must be at least 1")
    if not args.demo:  # --demo moves every backend to a stand-in on a free port
        loops = self_backend_problems(config.backends, host, port)
        if loops:
            return _fail("; ".join(loops))
    import attrs

    # The Host check (guard.py) accepts the address actually bound, not only the config's.
    config = attrs.evolve(config, proxy=attrs.evolve(config.proxy, host=host, port=port))

    import uvicorn

    from hrouter.engine import RouterConfigError
    from hrouter.server.app import build_router, create_app
    from hrouter.server.metrics_dir import run_metrics_dir
    from hrouter.server.rules_gate import ExpectsFailed
    from hrouter.server.slow_clients import PROTOCOL
    from hrouter.server.threaded import bind_socket

    logging.basicConfig(level=getattr(logging, args.log_level.upper()), format="%(levelname)s %(name)s: %(message)s")
    try:
        router = build_router(config)  # fail before binding anything if the rules are broken
    except ExpectsFailed as exc:
        return _fail(_refused(exc))
    except RouterConfigError as exc:
        return _fail(f"cannot build the router: {exc}")

    demo_servers = []
    try:
        if args.demo:
            from hrouter.server.demo import start_demo_backends

            config, demo_servers = start_demo_backends(config)
        try:
            sock = bind_socket(host, port)
        except OSError as exc:
            return _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        shown_host = f"[{host}]" if ":" in host else host
        print(_banner(f"http://{shown_host}:{sock.getsockname()[1]}", config, args.demo, args.workers), flush=True)
        watch = args.watch_interval if args.watch else None
        # uvicorn re-raises the stop signal after its graceful shutdown; with these handlers in
        # place that re-raise is a no-op, so Ctrl-C and SIGTERM end with exit code 0.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)
        # One metrics directory for the run's workers, so /metrics sums them all (metrics_dir.py).
        with run_metrics_dir(args.workers):
            if args.workers > 1:
                from hrouter.engine.convert import converter

                secret_env = config.confirmation.secret_env
                if secret_env and not os.environ.get(secret_env):
                    # One secret for every worker, so an approval made through one is accepted by all.
                    import secrets

                    os.environ[secret_env] = secrets.token_urlsafe(32)
                    logging.getLogger("hrouter.proxy").warning(
                        "confirmation: %s is not set; the %d workers share a secret generated for this run "
                        "(docs/confirmation.md says how to share one across instances)", secret_env, args.workers)

                os.environ[CONFIG_ENV] = json.dumps(converter.unstructure(config))
                os.environ[WATCH_ENV] = str(watch or "")
                uv_config = uvicorn.Config("hrouter.cli.serve_cmd:app_from_environment", factory=True,
                                           workers=args.workers, log_level=args.log_level, timeout_graceful_shutdown=5,
                                           http=PROTOCOL)
                from hrouter.server.supervisor import InPlaceReloadSupervisor

                InPlaceReloadSupervisor(uv_config, sockets=[sock]).run()
            else:
                app = create_app(config, router, watch_interval=watch)
                server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=5,
                                                       http=PROTOCOL))
                asyncio.run(server.serve(sockets=[sock]))
        print("hrouter proxy stopped", file=sys.stderr)
        return 0
    finally:
        if demo_servers:
            # The stand-ins share uvicorn's loggers: keep their shutdown out of the user's way.
            logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        for s in demo_servers:
            s.stop()
