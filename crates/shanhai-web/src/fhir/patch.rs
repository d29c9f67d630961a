//! JSON Patch (RFC 6902) applied to a resource as read: `add`, `remove`, `replace`, `move`,
//! `copy` and `test`, with JSON Pointer paths (RFC 6901).

use crate::error::ApiError;
use crate::fhir::{FhirError, FhirResult};
use axum::http::StatusCode;
use serde_json::Value;

fn bad(detail: impl Into<String>) -> FhirError {
    FhirError::bad_request("fhir.bad_patch", detail)
}

/// The parent's pointer and the last reference token, unescaped.
fn split(path: &str) -> FhirResult<(&str, String)> {
    let i = path.rfind('/').ok_or_else(|| bad(path.to_string()))?;
    let token = path[i + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&path[..i], token))
}

fn index(token: &str, len: usize, allow_end: bool) -> Option<usize> {
    if token == "-" {
        return allow_end.then_some(len);
    }
    if token.len() > 1 && token.starts_with('0') {
        return None;
    }
    let i: usize = token.parse().ok()?;
    (i < len || (allow_end && i == len)).then_some(i)
}

fn add(doc: &mut Value, path: &str, value: Value) -> FhirResult<()> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, token) = split(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(token, value);
        }
        Some(Value::Array(a)) => {
            let i = index(&token, a.len(), true).ok_or_else(|| bad(path.to_string()))?;
            a.insert(i, value);
        }
        _ => return Err(bad(path.to_string())),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> FhirResult<Value> {
    let (parent, token) = split(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => m.remove(&token).ok_or_else(|| bad(path.to_string())),
        Some(Value::Array(a)) => {
            let i = index(&token, a.len(), false).ok_or_else(|| bad(path.to_string()))?;
            Ok(a.remove(i))
        }
        _ => Err(bad(path.to_string())),
    }
}

/// Applies the operations in order; any failure leaves the caller's copy unused (nothing is
/// stored unless the whole patch applies and the step is taken).
pub fn apply(doc: &mut Value, ops: &Value) -> FhirResult<()> {
    let ops = ops.as_array().ok_or_else(|| bad("[]"))?;
    for op in ops {
        let name = op["op"].as_str().ok_or_else(|| bad("op"))?;
        let path = op["path"].as_str().ok_or_else(|| bad("path"))?;
        if !path.is_empty() && !path.starts_with('/') {
            return Err(bad(path.to_string()));
        }
        let value = || op.get("value").cloned().ok_or_else(|| bad("value"));
        let from = || op["from"].as_str().ok_or_else(|| bad("from"));
        match name {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                let target = doc.pointer_mut(path).ok_or_else(|| bad(path.to_string()))?;
                *target = value()?;
            }
            "move" => {
                let moved = remove(doc, from()?)?;
                add(doc, path, moved)?;
            }
            "copy" => {
                let copied = doc.pointer(from()?).cloned().ok_or_else(|| bad("from"))?;
                add(doc, path, copied)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(FhirError(
                        ApiError::new(StatusCode::CONFLICT, "conflict", "fhir.patch_test_failed")
                            .with_detail(path.to_string()),
                    ));
                }
            }
            other => return Err(bad(other.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_apply_in_order_and_a_failed_test_refuses() {
        let mut doc = json!({"status": "requested", "note": [{"text": "a"}]});
        apply(
            &mut doc,
            &json!([
                {"op": "test", "path": "/status", "value": "requested"},
                {"op": "replace", "path": "/status", "value": "accepted"},
                {"op": "add", "path": "/note/-", "value": {"text": "b"}},
                {"op": "add", "path": "/output", "value": []},
                {"op": "remove", "path": "/note/0"},
            ]),
        )
        .unwrap_or_else(|e| panic!("{:?}", e.0));
        assert_eq!(
            doc,
            json!({"status": "accepted", "note": [{"text": "b"}], "output": []})
        );
        assert!(
            apply(
                &mut doc,
                &json!([{"op": "test", "path": "/status", "value": "x"}])
            )
            .is_err()
        );
        assert!(
            apply(
                &mut doc,
                &json!([{"op": "replace", "path": "/nothing", "value": 1}])
            )
            .is_err()
        );
        assert!(apply(&mut doc, &json!({"op": "add"})).is_err());
    }
}
