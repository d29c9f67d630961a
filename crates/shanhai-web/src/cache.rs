//! A short-lived cache of rendered answers, for public searches that thousands may repeat in a
//! rush. Bookings stay exact; only the "places left" shown in a search may be a second old.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A rendered answer and when it was made.
type Entry = (Instant, Arc<Vec<u8>>);

pub struct TtlCache {
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<HashMap<String, Entry>>,
}

impl TtlCache {
    pub fn new(ttl: Duration, max_entries: usize) -> TtlCache {
        TtlCache {
            ttl,
            max_entries,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: String, value: Arc<Vec<u8>>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.max_entries {
                let ttl = self.ttl;
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if entries.len() >= self.max_entries {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = TtlCache::new(Duration::from_millis(50), 2);
        cache.put("a".into(), Arc::new(b"1".to_vec()));
        assert_eq!(
            cache.get("a").as_deref().map(Vec::as_slice),
            Some(&b"1"[..])
        );
        cache.put("b".into(), Arc::new(vec![]));
        cache.put("c".into(), Arc::new(vec![]));
        assert!(cache.entries.lock().map(|e| e.len()).unwrap_or(99) <= 2);
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("c").is_none());
    }
}
