//! Message catalogues: Simplified Chinese by default, English on request. Every key exists in
//! both (a test checks), and every key the code uses exists (another test checks).

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use shanhai_domain::Lang;
use std::collections::HashMap;
use std::sync::LazyLock;

static ZH: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| serde_json::from_str(include_str!("../i18n/zh.json")).unwrap_or_default());
static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| serde_json::from_str(include_str!("../i18n/en.json")).unwrap_or_default());

pub fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The message for `key`, or the key itself when it is missing (a test keeps that from happening).
pub fn t(lang: Lang, key: &str) -> String {
    catalogue(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// The message for `key` counted `n`: the `<key>.one` form where `n` is exactly one and the
/// catalogue has one (English: "1 patient", "3 patients"); otherwise `key`.
pub fn t_count(lang: Lang, key: &str, n: f64) -> String {
    if n == 1.0
        && let Some(one) = catalogue(lang).get(&format!("{key}.one"))
    {
        return one.clone();
    }
    t(lang, key)
}

tokio::task_local! {
    static REQUEST_LANG: Lang;
}

/// The language of the request being served.
pub fn current() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

/// `?lang=` first, then the `lang` cookie; for API and FHIR clients then `Accept-Language`. Pages are
/// Chinese until the user switches, whatever the browser's own language.
pub fn lang_of(req: &Request) -> Lang {
    let from_query = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .map(Lang::from_tag)
    });
    let from_cookie = || crate::auth::cookie(req.headers(), "lang").map(|v| Lang::from_tag(&v));
    let from_header = || {
        let path = req.uri().path();
        if !(path.starts_with("/api/") || path.starts_with("/fhir/")) {
            return None;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(Lang::from_tag)
    };
    from_query
        .or_else(from_cookie)
        .or_else(from_header)
        .unwrap_or_default()
}

/// Makes the request's language available to everything that renders a message.
pub async fn with_request_lang(req: Request, next: Next) -> Response {
    let lang = lang_of(&req);
    REQUEST_LANG.scope(lang, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogues_have_the_same_keys_and_no_empty_messages() {
        assert!(ZH.len() > 50, "zh catalogue did not load");
        let zh: BTreeSet<_> = ZH.keys().collect();
        let en: BTreeSet<_> = EN.keys().collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "only zh: {only_zh:?}; only en: {only_en:?}"
        );
        for (k, v) in ZH.iter().chain(EN.iter()) {
            assert!(!v.trim().is_empty(), "{k} is empty");
        }
    }

    /// Scans the sources and templates for message keys and checks each is in the catalogue.
    #[test]
    fn every_key_the_code_uses_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = BTreeSet::new();
        let mut files = Vec::new();
        collect(&root, &mut files);
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for (i, _) in text.match_indices('"') {
                let rest = &text[i + 1..];
                let Some(end) = rest.find('"') else { continue };
                let candidate = &rest[..end];
                let is_key = ["error.", "ui.", "code.", "calendar."]
                    .iter()
                    .any(|p| candidate.starts_with(p))
                    && candidate.len() > 4
                    && candidate.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'
                    })
                    && !candidate.ends_with('.');
                if is_key && !ZH.contains_key(candidate) {
                    missing.insert(format!("{candidate} ({})", file.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogue: {missing:#?}"
        );
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name != "target" && !name.starts_with('.') {
                    collect(&path, out);
                }
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("rs" | "html")
            ) {
                out.push(path);
            }
        }
    }
}
