//! Media workers (WA-5): download each inbound message's media from the Graph API
//! (`GET /{media-id}` → URL → bytes, with the number's token), check its SHA-256, and keep it in
//! the media directory, named by its checksum.

use base64::Engine;
use rapport_channels::whatsapp::graph::GraphClient;
use rapport_domain::retry;
use rapport_storage::jobs::{self, Job};
use rapport_storage::media::{self, KIND};
use rapport_storage::secrets::SecretBox;
use rapport_storage::{Db, StorageError, now_ms};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Notify;

/// Largest media file kept (WhatsApp's own limit for documents is 100 MB).
pub const MAX_BYTES: usize = 100 * 1024 * 1024;

struct Settings {
    graph: GraphClient,
    secrets: SecretBox,
    dir: PathBuf,
}

/// Starts the download workers the settings ask for (possibly none).
pub fn start(app: &crate::App) {
    let settings = Arc::new(Settings {
        graph: app.graph.clone(),
        secrets: app.settings.secrets.clone(),
        dir: app.settings.media_dir.clone(),
    });
    let (db, workers) = (app.db.clone(), app.settings.media_workers);
    crate::jobs::spawn_workers(db.clone(), KIND, workers, Arc::new(Notify::new()), move |job| {
        let (db, settings) = (db.clone(), settings.clone());
        async move { fetch(&db, &settings, &job).await }
    });
}

async fn fetch(db: &Db, settings: &Settings, job: &Job) -> Result<(), StorageError> {
    let payload: serde_json::Value = serde_json::from_str(&job.payload_json).unwrap_or_default();
    let Some(media_id) = payload["media_id"].as_str() else {
        return media::failed(db, job, "the queued download has no media id").await;
    };
    let (_, sealed) = jobs::sender(db, job.number_id).await?;
    let Ok(token) = settings.secrets.open(&sealed) else {
        return media::failed(db, job, "the number's access token cannot be read").await;
    };
    let downloaded = async {
        let info = settings.graph.media_info(media_id, &token).await?;
        let bytes = settings.graph.download(&info.url, &token, MAX_BYTES).await?;
        Ok::<_, rapport_channels::whatsapp::graph::GraphError>((info, bytes))
    }
    .await;
    let (info, bytes) = match downloaded {
        Ok(found) => found,
        Err(e) if e.retryable && retry::may_retry(job.attempts) => {
            let delay = retry::delay_ms(job.attempts, rand::random::<f64>());
            return jobs::retry_later(db, job, now_ms() + delay, &e.to_string()).await;
        }
        Err(e) => return media::failed(db, job, &e.title).await,
    };
    let digest = Sha256::digest(&bytes);
    let hex = hex::encode(digest);
    let expected = [info.sha256.as_deref(), payload["sha256"].as_str()];
    if let Some(wrong) = expected.into_iter().flatten().find(|e| !checksum_matches(e, &digest)) {
        return media::failed(db, job, &format!("checksum mismatch: expected {wrong}, got {hex}")).await;
    }
    let relative = format!("{}/{}/{hex}", job.company_id, &hex[..2]);
    if let Err(e) = write_file(&settings.dir.join(&relative), &bytes).await {
        tracing::error!(error = %e, dir = %settings.dir.display(), "cannot write to the media directory");
        let delay = retry::delay_ms(job.attempts, rand::random::<f64>());
        return jobs::retry_later(db, job, now_ms() + delay, &format!("media store: {e}")).await;
    }
    media::stored(db, job, &relative, bytes.len() as i64, &info.mime_type).await
}

/// Meta gives the checksum in hex (media look-up) or base64 (webhooks).
fn checksum_matches(expected: &str, digest: &[u8]) -> bool {
    expected.eq_ignore_ascii_case(&hex::encode(digest))
        || expected == base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Writes through a temporary name, so a crash never leaves half a file under the final name.
async fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let temporary = path.with_extension("part");
    tokio::fs::write(&temporary, bytes).await?;
    tokio::fs::rename(&temporary, path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_accepted_in_hex_or_base64() {
        let digest = Sha256::digest(b"hello");
        assert!(checksum_matches("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", &digest));
        assert!(checksum_matches("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", &digest));
        assert!(!checksum_matches("4654+8g=", &digest));
    }
}
