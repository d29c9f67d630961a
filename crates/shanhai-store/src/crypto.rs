//! Patient identifiers at rest: AES-256-GCM for the values, keyed HMAC-SHA256 for matching
//! (one booking per person per session, a phone number against its booking). The key never
//! enters the database: it comes from `SHANHAI_PATIENT_KEY` (64 hex digits) or from
//! `DATA_DIR/keys/patient.key`, generated on first start.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

#[derive(Clone)]
pub struct PatientCipher {
    aead: Aes256Gcm,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for PatientCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientCipher(..)")
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label);
    h.update(master);
    h.finalize().into()
}

impl PatientCipher {
    pub fn from_master(master: &[u8; 32]) -> PatientCipher {
        let enc = derive(master, b"shanhai/patient/enc");
        PatientCipher {
            aead: Aes256Gcm::new(aes_gcm::Key::<Aes256Gcm>::from_slice(&enc)),
            mac_key: derive(master, b"shanhai/patient/mac"),
        }
    }

    /// From `SHANHAI_PATIENT_KEY` when set, else the key file in the data directory (created,
    /// readable only by its owner, when missing).
    pub fn load(data_dir: &Path) -> std::io::Result<PatientCipher> {
        if let Ok(hex_key) = std::env::var("SHANHAI_PATIENT_KEY") {
            return parse_key(&hex_key).map(|k| PatientCipher::from_master(&k));
        }
        let dir = data_dir.join("keys");
        let path = dir.join("patient.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return parse_key(&existing).map(|k| PatientCipher::from_master(&k));
        }
        std::fs::create_dir_all(&dir)?;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        use std::io::Write;
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(hex::encode(key).as_bytes())?;
                file.sync_all()?;
                Ok(PatientCipher::from_master(&key))
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                parse_key(&std::fs::read_to_string(&path)?).map(|k| PatientCipher::from_master(&k))
            }
            Err(e) => Err(e),
        }
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        format!("{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    pub fn decrypt(&self, stored: &str) -> Option<String> {
        let bytes = hex::decode(stored).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self.aead.decrypt(Nonce::from_slice(nonce), sealed).ok()?;
        String::from_utf8(plain).ok()
    }

    /// A keyed digest for matching equal values without storing them.
    pub fn digest(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key)
            .unwrap_or_else(|_| unreachable!("any key length works"));
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Binds the key to the database: the first server records the key's fingerprint, and any
/// server that brings another key is refused — several servers sharing one PostgreSQL must use
/// the same `SHANHAI_PATIENT_KEY`, or matching (one booking per person) and decryption break.
pub async fn ensure_key_matches(db: &crate::Db, cipher: &PatientCipher) -> crate::Result<()> {
    let fingerprint = cipher.digest("shanhai/patient-key-fingerprint");
    crate::query::sql_with(
        "INSERT INTO instance_settings (name, value, updated_at) VALUES ('patient_key_fingerprint', $1, $2) \
         ON CONFLICT (name) DO NOTHING"
            .into(),
        vec![fingerprint.clone().into(), crate::now().into()],
    )
    .execute(db.pool())
    .await?;
    let row =
        sqlx::query("SELECT value FROM instance_settings WHERE name = 'patient_key_fingerprint'")
            .fetch_one(db.pool())
            .await?;
    if crate::query::text(&row, "value")? != fingerprint {
        return Err(crate::StoreError::Other(
            "the patient-data key differs from the one this database was set up with: give every server the same \
             SHANHAI_PATIENT_KEY (or the same DATA_DIR/keys/patient.key)"
                .into(),
        ));
    }
    Ok(())
}

fn parse_key(hex_key: &str) -> std::io::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "patient key must be 64 hex digits",
        )
    })?;
    bytes.try_into().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "patient key must be 32 bytes (64 hex digits)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_digests_match_only_equal_values() {
        let c = PatientCipher::from_master(&[7u8; 32]);
        let sealed = c.encrypt("150203198001011234");
        assert!(!sealed.contains("1502031980"));
        assert_ne!(
            sealed,
            c.encrypt("150203198001011234"),
            "a fresh nonce each time"
        );
        assert_eq!(c.decrypt(&sealed).as_deref(), Some("150203198001011234"));
        assert_eq!(c.digest("a"), c.digest("a"));
        assert_ne!(c.digest("a"), c.digest("b"));
        let other = PatientCipher::from_master(&[8u8; 32]);
        assert_eq!(other.decrypt(&sealed), None);
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir =
            std::env::temp_dir().join(format!("shanhai-key-{}", shanhai_domain::ids::new_id()));
        let a = PatientCipher::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let b = PatientCipher::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.decrypt(&a.encrypt("x")).as_deref(), Some("x"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
