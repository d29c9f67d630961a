#!/usr/bin/env python3
"""Collects what the FHIR validators check, from a running Shanhai server.

For every resource type the CapabilityStatement lists: `GET /fhir/R4/{type}?_count=5` (the
searchset Bundle), its `next` page when there is one, and a read of each entry; every
CodeSystem; the CapabilityStatement itself; and OperationOutcomes (404 unknown id, 400 unknown
search parameter, 401 without a token). Writes them to OUT as a JSON list of
`{"where": "...", "resource": {...}}`.

A type whose search returns no entries is a failure (the demo must show every type), as is
an answer that is not `application/fhir+json` or has the wrong status.

Usage: fetch.py BASE_URL TOKEN OUT
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE, TOKEN, OUT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
FHIR = BASE + "/fhir/R4"
problems = []
samples = []


def get(url, token=True, expect=200):
    """GETs a URL; returns the parsed body (None on failure, recorded in `problems`)."""
    req = urllib.request.Request(url, headers={"Accept": "application/fhir+json"})
    if token:
        req.add_header("Authorization", "Bearer " + TOKEN)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            status, headers, body = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, e.headers, e.read()
    except Exception as e:  # noqa: BLE001 - any failure to reach the server is reported
        problems.append(f"GET {url}: {e}")
        return None
    if status != expect:
        problems.append(f"GET {url}: status {status}, expected {expect}: {body[:300]!r}")
        return None
    ctype = headers.get("Content-Type", "")
    if not ctype.startswith("application/fhir+json"):
        problems.append(f"GET {url}: Content-Type {ctype!r}, expected application/fhir+json")
    try:
        return json.loads(body)
    except ValueError as e:
        problems.append(f"GET {url}: not JSON: {e}")
        return None


def keep(where, resource):
    if resource is not None:
        samples.append({"where": where, "resource": resource})


statement = get(FHIR + "/metadata", token=False)
keep("CapabilityStatement (GET /metadata)", statement)
if statement is None:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)

types = []
for rest in statement.get("rest", []):
    for r in rest.get("resource", []):
        interactions = {i.get("code") for i in r.get("interaction", [])}
        types.append((r["type"], interactions))
print(f"CapabilityStatement lists {len(types)} resource types: " + ", ".join(t for t, _ in types))

for rtype, interactions in types:
    if "search-type" not in interactions:
        problems.append(f"{rtype}: no search-type interaction, so no demo entries can be listed")
        continue
    count = 200 if rtype == "CodeSystem" else 5
    bundle = get(f"{FHIR}/{rtype}?_count={count}")
    keep(f"{rtype} search Bundle (GET /{rtype}?_count={count})", bundle)
    if bundle is None:
        continue
    entries = [e for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == "match"]
    if not entries:
        problems.append(
            f"{rtype}: GET /fhir/R4/{rtype}?_count={count} returned no entries "
            f"(total {bundle.get('total')}): the demo must show this type"
        )
    for link in bundle.get("link", []):
        if link.get("relation") == "next":
            page2 = get(link["url"])
            keep(f"{rtype} search Bundle, next page ({link['url']})", page2)
    print(f"{rtype}: total {bundle.get('total')}, {len(entries)} entries on the first page")
    for e in entries:
        res = e.get("resource", {})
        rid = res.get("id")
        if res.get("resourceType") != rtype or not rid:
            problems.append(f"{rtype}: an entry of type {res.get('resourceType')} id {rid}")
            continue
        if "read" in interactions:
            keep(f"{rtype}/{rid} (read)", get(f"{FHIR}/{rtype}/{urllib.parse.quote(rid)}"))

# OperationOutcomes: unknown id, unknown parameter, no token.
first = types[0][0] if types else "Organization"
keep("OperationOutcome (404)", get(f"{FHIR}/{first}/no-such-id", expect=404))
keep("OperationOutcome (400)", get(f"{FHIR}/{first}?no-such-parameter=1", expect=400))
keep("OperationOutcome (401)", get(f"{FHIR}/{first}", token=False, expect=401))

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(samples, f, ensure_ascii=False)
print(f"{len(samples)} resources collected")
if problems:
    print(f"\n{len(problems)} problem(s) while collecting:", file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    sys.exit(1)
