//! What the use cases and workers need from the configuration.

use crate::Clock;
use crate::live::Live;
use rapport_storage::secrets::SecretBox;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Seals channel secrets (access tokens, app secrets) at rest.
    pub secrets: SecretBox,
    /// The Graph API base URL (Meta's, or the simulator's).
    pub graph_api_url: String,
    /// Sends per second per number (Meta's default throughput is 80).
    pub sends_per_number_per_second: u32,
    /// Concurrent send workers (0: this instance sends nothing).
    pub send_workers: usize,
    /// Concurrent media download workers (0: this instance downloads nothing).
    pub media_workers: usize,
    /// Where inbound media files and uploads are kept.
    pub media_dir: PathBuf,
    /// Carries live events to browsers: in this process, or through NATS between instances.
    pub live: Live,
    /// The time automation goes by (away messages, cool-downs).
    pub clock: Clock,
}

impl Settings {
    /// Defaults with the given secret key.
    pub fn with_secrets(secrets: SecretBox) -> Self {
        Settings {
            secrets,
            graph_api_url: rapport_channels::whatsapp::graph::DEFAULT_BASE_URL.into(),
            sends_per_number_per_second: 80,
            send_workers: 4,
            media_workers: 2,
            media_dir: std::env::temp_dir().join(format!("rapport-media-{}", std::process::id())),
            live: Live::in_process(),
            clock: Clock::default(),
        }
    }
}

impl Default for Settings {
    /// For tests and benchmarks: a random secret key (nothing outlives the process) and a Graph
    /// API address on this machine that refuses connections, so nothing ever calls out to Meta.
    fn default() -> Self {
        let key = SecretBox::generate_key();
        Settings {
            graph_api_url: "http://127.0.0.1:9".into(),
            ..Settings::with_secrets(SecretBox::from_base64(&key).expect("a generated key is valid"))
        }
    }
}
