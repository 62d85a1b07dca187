//! Secrets at rest (access tokens, app secrets): sealed with XChaCha20-Poly1305 under the
//! installation's key before they reach the database, opened only when needed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("a stored secret could not be opened (wrong key or damaged data)")]
    Unreadable,
}

/// The installation's key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// A key from its base64 form (as kept in configuration).
    pub fn from_base64(key: &str) -> Result<SecretBox, SecretError> {
        let bytes = STANDARD.decode(key.trim()).map_err(|_| SecretError::BadKey)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SecretError::BadKey)?;
        Ok(SecretBox { cipher })
    }

    /// A new random key in base64, for a first start.
    pub fn generate_key() -> String {
        STANDARD.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// `base64(nonce || ciphertext)`.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and a fresh nonce cannot fail for in-memory data.
        out.extend(self.cipher.encrypt(&nonce, plain.as_bytes()).unwrap_or_default());
        STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| SecretError::Unreadable)?;
        if bytes.len() < 24 {
            return Err(SecretError::Unreadable);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), ciphertext).map_err(|_| SecretError::Unreadable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let sealed = key.seal("EAAG-token");
        assert!(!sealed.contains("EAAG"));
        assert_ne!(sealed, key.seal("EAAG-token"), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).unwrap(), "EAAG-token");
        let other = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(key.open("garbage").is_err());
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }
}
