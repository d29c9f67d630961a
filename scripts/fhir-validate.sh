#!/usr/bin/env bash
# Validates the FHIR R4 face of a running Shanhai server with two independent validators:
#   - FHIR.js (npm `fhir`, lantanagroup), against the core R4 structure definitions;
#   - fhir.resources (PyPI), its R4B pydantic models.
# For every resource type the CapabilityStatement lists it takes `GET /fhir/R4/{type}?_count=5`
# (a type with no entries fails), the next page, a read of each entry; every CodeSystem; the
# CapabilityStatement; OperationOutcomes (404, 400, 401). Zero errors or it fails, printing each
# error with the resource it is in.
#
#   SHANHAI_URL=http://127.0.0.1:8080 scripts/fhir-validate.sh
#
# Environment: SHANHAI_URL (required); SHANHAI_TOKEN (a bearer token) or SHANHAI_USER /
# SHANHAI_PASSWORD (default admin / shanhai-demo, a platform admin of the demo).
# Installs what is missing: the npm packages (npm ci, pinned by package-lock.json) into
# scripts/fhir-validate/node_modules and fhir.resources into scripts/fhir-validate/.python.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/fhir-validate" && pwd)"
FHIR_RESOURCES_VERSION=8.3.0
: "${SHANHAI_URL:?set SHANHAI_URL to the server, e.g. http://127.0.0.1:8080}"
BASE="${SHANHAI_URL%/}"

if [ ! -d "$HERE/node_modules/fhir" ] ||
    [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
    echo "installing FHIR.js (npm ci in $HERE)"
    (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi
PYDIR="$HERE/.python"
if ! PYTHONPATH="$PYDIR" python3 -c "import fhir.resources, sys; sys.exit(fhir.resources.__version__ != '$FHIR_RESOURCES_VERSION')" 2>/dev/null; then
    echo "installing fhir.resources==$FHIR_RESOURCES_VERSION into $PYDIR"
    rm -rf "$PYDIR"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-warn-conflicts \
        --target "$PYDIR" "fhir.resources==$FHIR_RESOURCES_VERSION"
fi

TOKEN="${SHANHAI_TOKEN:-}"
if [ -z "$TOKEN" ]; then
    user="${SHANHAI_USER:-admin}" password="${SHANHAI_PASSWORD:-shanhai-demo}"
    TOKEN="$(curl -fsS --max-time 30 -X POST -H 'Content-Type: application/json' \
        -d "{\"username\":\"$user\",\"password\":\"$password\"}" "$BASE/api/v1/auth/token" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')" ||
        { echo "ERROR: no token for $user from $BASE/api/v1/auth/token" >&2; exit 1; }
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fhir-validate.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
status=0
python3 "$HERE/fetch.py" "$BASE" "$TOKEN" "$WORK/samples.json" || status=1
if [ -s "$WORK/samples.json" ]; then
    node "$HERE/validate.mjs" "$WORK/samples.json" || status=1
    PYTHONPATH="$PYDIR" python3 "$HERE/validate.py" "$WORK/samples.json" || status=1
else
    echo "ERROR: nothing collected to validate" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "FHIR validation FAILED (see the errors above)" >&2
else
    echo "FHIR validation passed: both validators, zero errors"
fi
exit "$status"
