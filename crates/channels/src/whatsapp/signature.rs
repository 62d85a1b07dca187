//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw request body with the app secret, as
//! `sha256=<lowercase hex>`. Compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header value Meta would send for `body` signed with `app_secret`.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Does `header` carry a valid signature of `body` under `app_secret`?
pub fn verify(app_secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(expected) = hex::decode(hex_digest) else { return false };
    let Ok(mut mac) = HmacSha256::new_from_slice(app_secret) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_the_same_secret_and_bytes() {
        let header = sign(b"secret", b"{\"a\":1}");
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), 7 + 64);
        assert!(verify(b"secret", b"{\"a\":1}", &header));
        assert!(!verify(b"other", b"{\"a\":1}", &header));
        assert!(!verify(b"secret", b"{\"a\":2}", &header));
        assert!(!verify(b"secret", b"{\"a\":1}", &header.replace("sha256=", "sha1=")));
        assert!(!verify(b"secret", b"{\"a\":1}", "sha256=zz"));
        assert!(!verify(b"secret", b"{\"a\":1}", ""));
        assert!(!verify(b"secret", b"{\"a\":1}", &header[..header.len() - 2]));
    }

    /// RFC 4231 test case 2, as `sha256=` hex.
    #[test]
    fn matches_the_hmac_sha256_reference() {
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
