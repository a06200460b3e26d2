//! Completes the generated OpenAPI document with what every operation can answer, so that
//! generated clients know it: the errors that middleware and extractors give (400, 401,
//! 404, 408, 413, 415, 422, 429, 503) where they can occur, a description on every response,
//! and the types a document download serves. Written once here rather than on each handler.

use serde_json::{Map, Value, json};

/// Operations that count attempts and answer 429 when there are too many.
const RATE_LIMITED: &[&str] = &[
    "login",
    "register_patient",
    "request_password_reset",
    "reset_password",
    "confirm_email",
    "send_email_confirmation",
    "change_password",
];

/// What a response with `status` means, when its handler did not say.
fn meaning(status: &str) -> &'static str {
    match status {
        "200" => "The result.",
        "201" => "Created; the body is the new resource.",
        "202" => "Accepted; the rest happens in the background (e.g. an e-mail).",
        "204" => "Done; no body.",
        "400" => {
            "Malformed request: JSON that does not parse, a bad query parameter, or a NUL byte in the path or query."
        }
        "401" => "Not signed in, or the access token has expired or was revoked.",
        "403" => "Signed in, but this caller may not do this here.",
        "404" => {
            "Not found. Another clinic's data, and data the caller may not see, read as missing."
        }
        "408" => "The request, body included, took longer than the server allows.",
        "409" => {
            "Conflicts with the current state (taken, changed meanwhile, or not allowed from this state)."
        }
        "413" => "The body is larger than the server accepts.",
        "415" => "The body is not of the type this operation takes.",
        "422" => "Invalid input; `errors` names each field and what it expects.",
        "429" => "Too many attempts; wait for `Retry-After` seconds.",
        "503" => {
            "The database cannot be reached for now; retry after `Retry-After` seconds. Tokens stay valid."
        }
        _ => "See the problem's `detail`.",
    }
}

fn problem() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

fn retry_after() -> Value {
    json!({"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}})
}

/// Adds the responses `op` can give and describes every response.
fn complete_operation(path: &str, op: &mut Map<String, Value>) {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let body_types: Vec<String> = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default();
    let mut add = vec!["400", "503"];
    if secured {
        add.push("401");
    }
    if path.contains('{') {
        add.push("404");
    }
    if !body_types.is_empty() {
        add.extend(["408", "413", "415", "422"]);
    }
    if RATE_LIMITED.contains(&id.as_str()) {
        add.push("429");
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    for status in add {
        responses
            .entry(status)
            .or_insert_with(|| json!({"description": meaning(status), "content": problem()}));
    }
    for (status, r) in responses.iter_mut() {
        let Some(r) = r.as_object_mut() else { continue };
        let empty = r
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if empty {
            r.insert("description".into(), meaning(status).into());
        }
        if matches!(status.as_str(), "429" | "503") {
            r.entry("headers").or_insert_with(retry_after);
        }
    }
    if id == "download_document"
        && let Some(ok) = responses.get_mut("200").and_then(Value::as_object_mut)
    {
        let file =
            json!({"schema": {"type": "string", "contentMediaType": "application/octet-stream"}});
        ok.insert(
            "content".into(),
            json!({"application/pdf": file, "image/jpeg": file, "image/png": file}),
        );
        ok.insert(
            "description".into(),
            "The document as uploaded (checked against its SHA-256), as an attachment.".into(),
        );
    }
}

/// `doc` with every operation completed (see the module comment).
pub fn complete(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut v = match serde_json::to_value(&doc) {
        Ok(v) => v,
        Err(_) => return doc,
    };
    if let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for method in ["get", "put", "post", "delete", "patch"] {
                if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                    complete_operation(path, op);
                }
            }
        }
    }
    serde_json::from_value(v).unwrap_or_else(|e| {
        // The openapi tests fail on what this leaves out; say why in the log.
        tracing::error!(error = %e, "the completed OpenAPI document does not read back");
        doc
    })
}
