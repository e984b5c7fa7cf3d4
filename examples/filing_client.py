#!/usr/bin/env python3
"""File a month's draft return through the portal's filing API.

A firm's system does this: sign a client assertion with its private key,
get an access token, replace the month's draft with a JSON document, show
every check, and hand the draft to the firm's approvers (who submit it in
the portal). It registers nothing: an approver registers the client and its
public key in the portal, and a second approver confirms it.

    pip install requests PyJWT cryptography
    python3 examples/filing_client.py --base-url https://portal.example \\
        --client-id pc_... --key client-key.pem --period 2025-04 \\
        --draft examples/draft.json

When the month already has a version, the draft amends it: give the reason
in the document's "amendment" member, or the checks refuse to mark it ready
(rules RET-E023, RET-E024); the approver sees it on their page:

    "amendment": {"reason": "correction",
                  "text": "The sale amount of 3 April was counted twice."}

The reason is one of late_discovery, correction or regulator_request.

Exit status: 0 once the draft is marked ready for approval; 1 when the API
refuses or cannot be reached; 2 when the draft is kept but fails checks.
"""

import argparse
import json
import sys
import time
import uuid

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class Refused(Exception):
    """The API said no: its answer, shown as problem details."""


def get_token(base, client_id, key):
    """Client credentials with a signed assertion (RFC 7523)."""
    token_url = base + "/api/v1/token"
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": token_url,
              "jti": str(uuid.uuid4()), "iat": now, "exp": now + 120}
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    form = {"grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": jwt.encode(claims, key, algorithm=alg),
            "scope": "returns:read returns:draft"}
    answer = requests.post(token_url, data=form, timeout=30)
    if answer.status_code != 200:
        raise Refused(f"token: {answer.status_code} {answer.text}")
    return answer.json()["access_token"]


def call(session, method, url, **kwargs):
    """One request under one Idempotency-Key: a retry after a lost answer,
    a 409 (the first try still runs) or a 429/503 is safe, and done once."""
    headers = {"Idempotency-Key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
    for attempt in range(4):
        answer = session.request(method, url, headers=headers, timeout=60, **kwargs)
        if answer.status_code not in (409, 429, 503) or attempt == 3:
            break
        time.sleep(int(answer.headers.get("Retry-After", "1")))
    if answer.status_code != 200:
        raise Refused(problem(answer))
    return answer


def problem(answer):
    """Problem details (RFC 9457) as lines: the title, then each rule broken."""
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status_code} {answer.text}"
    lines = [f"{answer.status_code} {body.get('title')} {body.get('detail', '')}"]
    lines += [f"  {e['rule']} {e['pointer']}: {e['message']}" for e in body.get("errors", [])]
    return "\n".join(lines)


def show_checks(checks):
    for kind in ("errors", "warnings"):
        for e in checks[kind]:
            print(f"  {e['severity']:7} {e['rule']:9} {e['pointer'] or '/'}: {e['message']}")
    print("ready for approval" if checks["ready"] else "not ready: put the errors right")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the portal's address")
    parser.add_argument("--client-id", required=True, help="pc_..., from the portal")
    parser.add_argument("--key", required=True, help="PEM private key (EC P-256 or Ed25519)")
    parser.add_argument("--period", required=True, help="the month, YYYY-MM")
    parser.add_argument("--draft", required=True, help="the draft document (JSON)")
    parser.add_argument("--language", default="en", help="en or ja, for messages")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    with open(args.key, "rb") as f:
        key = load_pem_private_key(f.read(), password=None)
    with open(args.draft, encoding="utf-8") as f:
        draft = json.load(f)

    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + get_token(base, args.client_id, key)
    session.headers["Accept-Language"] = args.language
    draft_url = f"{base}/api/v1/returns/{args.period}/draft"

    put = call(session, "PUT", draft_url, json=draft)
    print(f"draft of {args.period} kept, sha256 {put.json()['sha256']}")
    checks = put.json()["checks"]
    show_checks(checks)
    if not checks["ready"]:
        return 2
    # If-Match names the draft just checked: if anyone changed it since,
    # the portal refuses (412) rather than hand over something unseen.
    etag = put.headers.get("ETag") or f'"{put.json()["sha256"]}"'
    ready = call(session, "POST", draft_url + "/ready", headers={"If-Match": etag})
    mark = ready.json()["ready_for_approval"]
    print(f"marked ready for approval by {mark['by']} at {mark['at']}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Refused, requests.RequestException, OSError, ValueError) as e:
        print(f"failed: {e}", file=sys.stderr)
        sys.exit(1)
