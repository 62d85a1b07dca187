//! Configuration: `rapport.toml` (optional), then `RAPPORT_*` / `DATABASE_URL` environment
//! variables, which win.

use anyhow::{Context, Result};
use rapport_storage::Db;
use rapport_storage::secrets::SecretBox;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    secret_key: Option<String>,
    secret_key_file: Option<String>,
    graph_api_url: Option<String>,
    sends_per_number_per_second: Option<u32>,
    media_dir: Option<String>,
    nats_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`RAPPORT_LISTEN`, default `127.0.0.1:8080`).
    pub listen: String,
    /// `sqlite://path` or `postgres://...` (`DATABASE_URL`, default a SQLite file under `./data`).
    pub database_url: String,
    /// The address users reach the server at (`RAPPORT_PUBLIC_URL`); https makes cookies `Secure`.
    pub public_url: Option<String>,
    /// Log filter (`RAPPORT_LOG`, default `info`).
    pub log: String,
    /// Base64 key sealing channel secrets (`RAPPORT_SECRET_KEY`); when unset, the key is kept
    /// in `secret_key_file` (`RAPPORT_SECRET_KEY_FILE`, default `data/secret.key`), created on
    /// first start.
    pub secret_key: Option<String>,
    pub secret_key_file: String,
    /// The Graph API base URL (`RAPPORT_GRAPH_API_URL`, default Meta's; the simulator's in the demo).
    pub graph_api_url: String,
    /// Sends per second per number (`RAPPORT_SENDS_PER_NUMBER_PER_SECOND`, default 80).
    pub sends_per_number_per_second: u32,
    /// Where inbound media is kept (`RAPPORT_MEDIA_DIR`, default `data/media`).
    pub media_dir: String,
    /// NATS server for live events between several instances (`NATS_URL`); unset: in process.
    pub nats_url: Option<String>,
}

const DEFAULT_DATABASE: &str = "sqlite://data/rapport.db";

impl Config {
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let file = match path {
            Some(p) => read(p)?,
            None if Path::new("rapport.toml").exists() => read(Path::new("rapport.toml"))?,
            None => FileConfig::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Config {
            listen: env("RAPPORT_LISTEN").or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: env("DATABASE_URL").or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE.into()),
            public_url: env("RAPPORT_PUBLIC_URL").or(file.public_url),
            log: env("RAPPORT_LOG").or(file.log).unwrap_or_else(|| "info".into()),
            secret_key: env("RAPPORT_SECRET_KEY").or(file.secret_key),
            secret_key_file: env("RAPPORT_SECRET_KEY_FILE")
                .or(file.secret_key_file)
                .unwrap_or_else(|| "data/secret.key".into()),
            graph_api_url: env("RAPPORT_GRAPH_API_URL")
                .or(file.graph_api_url)
                .unwrap_or_else(|| rapport_channels::whatsapp::graph::DEFAULT_BASE_URL.into()),
            sends_per_number_per_second: match env("RAPPORT_SENDS_PER_NUMBER_PER_SECOND") {
                Some(v) => v.parse().context("RAPPORT_SENDS_PER_NUMBER_PER_SECOND must be a whole number")?,
                None => file.sends_per_number_per_second.unwrap_or(80),
            },
            media_dir: env("RAPPORT_MEDIA_DIR").or(file.media_dir).unwrap_or_else(|| "data/media".into()),
            nats_url: env("NATS_URL").or(file.nats_url),
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// Opens (and migrates) the configured database. A SQLite file (and its folder, when
    /// created here) is for this user only: SQLite gives its journal files the same mode.
    pub async fn open_database(&self) -> Result<Db> {
        let file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|path| Path::new(path.split('?').next().unwrap_or(path)).to_path_buf());
        if let Some(dir) = file.as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir)?;
        }
        let db = Db::connect(&self.database_url).await.with_context(|| format!("opening {}", self.database_url))?;
        if let Some(file) = file.filter(|f| f.exists()) {
            make_private(&file, 0o600)?;
        }
        Ok(db)
    }
}

impl Config {
    /// The key that seals channel secrets: configured, or read from (or first written to) the key file.
    pub fn secrets(&self) -> Result<SecretBox> {
        let key = match &self.secret_key {
            Some(key) => key.clone(),
            None => {
                let path = Path::new(&self.secret_key_file);
                if !path.exists() {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        private_dir(dir)?;
                    }
                    write_private(path, &SecretBox::generate_key())?;
                    tracing::info!(path = %path.display(), "generated the secret key; back it up with the database");
                }
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
            }
        };
        SecretBox::from_base64(&key).context("the secret key")
    }
}

/// Writes a file only its owner can read.
/// Creates `dir` (and missing parents) readable by this user only; an existing folder is left
/// as its owner set it.
pub fn private_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("creating {}", dir.display()))
}

fn make_private(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

fn read(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("exists").permissions().mode() & 0o777
    }

    /// Another local user can read neither the database nor the folder it was created in.
    #[tokio::test]
    async fn a_new_sqlite_database_and_its_folder_are_for_this_user_only() {
        let root = std::env::temp_dir().join(format!("rapport-private-{}", std::process::id()));
        let dir = root.join("data");
        let file = dir.join("rapport.db");
        let config =
            Config { database_url: format!("sqlite://{}", file.display()), ..Config::load(None).expect("config") };
        let db = config.open_database().await.expect("database");
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
        db.close().await;
        std::fs::remove_dir_all(root).expect("clean up");
    }
}
