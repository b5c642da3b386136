"""`hrouter confirm`: list, show, approve and deny the requests a running proxy refused, through
its confirmation API (docs/confirmation.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys

DEFAULT_URL = "http://127.0.0.1:8082"
URL_ENV = "HROUTER_URL"
KEY_ENV = "HROUTER_API_KEY"
APPROVER_ENV = "HROUTER_APPROVER_KEY"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["list", "show", "approve", "deny"])
    parser.add_argument("id", nargs="?", help="the confirmation id (show, approve, deny)")
    parser.add_argument("--url", help=f"the proxy (default: ${URL_ENV}, else {DEFAULT_URL})")
    parser.add_argument("--api-key-env", default=KEY_ENV,
                        help=f"environment variable holding the proxy's key, when it has one (default {KEY_ENV})")
    parser.add_argument("--approver-key-env", default=APPROVER_ENV,
                        help=f"environment variable holding the approver key, when the proxy has one "
                             f"(default {APPROVER_ENV})")
    parser.add_argument("--all", action="store_true", help="list: every confirmation kept, not only pending ones")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"hrouter confirm: {message}", file=sys.stderr)
    return 2


def _line(row: dict) -> str:
    summary = row.get("summary") or {}
    what = summary.get("latest_user_message") or ""
    calls = summary.get("proposed_tool_calls") or []
    if calls:
        what += (" | " if what else "") + "tool calls: " + ", ".join(calls)
    return (f"{row['id']}  {row['status']:<8} {row['family']:<12} expires {row['expires_at']}\n"
            f"    why:  {'; '.join(row.get('reasons') or [])}\n"
            f"    what: {what or '(no text)'}  [model {summary.get('model') or '-'}]")


def run(args: argparse.Namespace) -> int:
    import httpx

    if args.action != "list" and not args.id:
        return _fail(f"{args.action} needs a confirmation id (see `hrouter confirm list`)")
    base = (args.url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    headers = {"authorization": f"Bearer {key}"} if key else {}
    approver = os.environ.get(args.approver_key_env) if args.approver_key_env else None
    if approver:
        headers["x-hrouter-approver-key"] = approver
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            if args.action == "list":
                r = client.get("/v1/confirmations", params={"status": "all" if args.all else "pending"})
            elif args.action == "show":
                r = client.get(f"/v1/confirmations/{args.id}")
            else:
                r = client.post(f"/v1/confirmations/{args.id}/{args.action}", json={"via": "cli"})
    except httpx.HTTPError as exc:
        return _fail(f"cannot reach the proxy at {base}: {exc}")
    try:
        data = r.json()
    except ValueError:
        return _fail(f"{base} answered {r.status_code} without JSON")
    if r.status_code >= 400:
        message = data.get("error", {}).get("message") if isinstance(data, dict) else None
        return _fail(f"{r.status_code}: {message or r.text[:200]}")
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    if args.action == "list":
        rows = data.get("data") or []
        if not rows:
            print("no pending confirmations" if not args.all else "no confirmations")
        for row in rows:
            print(_line(row))
        return 0
    print(_line(data))
    if args.action == "approve":
        print(f"approved: the agent may now resend the identical request (header X-Hrouter-Confirmation: "
              f"{data['id']}, or on another instance sharing the secret: {data.get('approval_token')})")
    elif args.action == "deny":
        print("denied: a resend is refused again")
    return 0
