#!/usr/bin/env python3
"""Validates the collected resources (fetch.py's output) with `fhir.resources` (PyPI), its
R4B models (pydantic): types, cardinalities, primitive formats, unknown elements and the
required elements of every resource and Bundle (entries are validated as their own type).

Usage: validate.py SAMPLES.json
"""

import json
import sys
from collections import Counter

from fhir.resources.R4B import get_fhir_model_class

samples = json.load(open(sys.argv[1], encoding="utf-8"))
failures = 0
checked = Counter()
for s in samples:
    where, resource = s["where"], s["resource"]
    rtype = resource.get("resourceType")
    checked[rtype] += 1
    try:
        model = get_fhir_model_class(rtype)
        model.model_validate(resource)
    except Exception as e:  # noqa: BLE001 - every failure is reported with its resource
        errors = getattr(e, "errors", None)
        if callable(errors):
            for err in errors():
                failures += 1
                loc = ".".join(str(p) for p in err.get("loc", ()))
                print(f"fhir.resources ERROR {where}: {loc}: {err.get('msg')}")
        else:
            failures += 1
            print(f"fhir.resources ERROR {where}: {e}")

summary = ", ".join(f"{t} {n}" for t, n in sorted(checked.items()))
print(f"fhir.resources (R4B): {len(samples)} resources ({summary}); {failures} error(s)")
sys.exit(1 if failures else 0)
