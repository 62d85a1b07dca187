//! `rapport`: one binary to serve, migrate, administer, demo and benchmark Rapport.

mod bench;
mod bench_auto_reply;
mod bench_contacts;
mod bench_inbox;
mod bench_live;
mod bench_webhooks;
mod config;
mod contacts;
mod demo;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use rapport_app::live::Live;
use rapport_app::{App, Settings};
use rapport_server::{AppState, ServerConfig};
use rapport_storage::Db;
use std::io::Write;
use std::path::PathBuf;

// An import allocates every cell on the reading thread and frees it on the writing one; glibc's
// allocator spent a fifth of an import's time on that (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "rapport", version, about = "Rapport — a self-hosted WhatsApp social CRM")]
struct Cli {
    /// Configuration file (default: `rapport.toml` in the working directory, if present).
    #[arg(long, global = true, env = "RAPPORT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Operator commands.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Start on a fresh SQLite file with a demo company, printing the logins.
    Demo {
        /// Where the demo database lives; it is recreated on every start.
        #[arg(long, default_value = "data/demo.db")]
        database: PathBuf,
    },
    /// Run the WhatsApp Cloud API simulator: a fake Graph API, and customers writing to a
    /// Rapport webhook at a chosen rate.
    Simulator(SimulatorArgs),
    /// Import customers from a spreadsheet.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export customers to a spreadsheet.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Run a benchmark and print its table.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(clap::Args)]
struct SimulatorArgs {
    /// Where the fake Graph API listens (point `RAPPORT_GRAPH_API_URL` at it).
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: String,
    /// Rapport's webhook URL.
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/whatsapp")]
    webhook_url: String,
    #[arg(long, default_value = "106540352242922")]
    phone_number_id: String,
    #[arg(long, default_value = "102290129340398")]
    waba_id: String,
    #[arg(long, default_value = "EAAG-simulated-token")]
    access_token: String,
    #[arg(long, default_value = "simulated-app-secret")]
    app_secret: String,
    /// Customer messages per second (0: only answer sends).
    #[arg(long, default_value_t = 0.2)]
    messages_per_second: f64,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import contacts from a CSV or XLSX file into a company, in the foreground, as the
    /// server's import does (every row checked like the contact form; rejected rows reported).
    Contacts(contacts::ImportArgs),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Export a company's contacts (all, or as a filter narrows them) to CSV or XLSX.
    Contacts(contacts::ExportArgs),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a company with its top-level department and first admin; prints the company id.
    CreateCompany {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_account: String,
        /// The admin's password; else `RAPPORT_ADMIN_PASSWORD`, else a line read from standard
        /// input (so it need not stand in the shell's history or the process list).
        #[arg(long, env = "RAPPORT_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// The admin's display name (default: "Administrator").
        #[arg(long, default_value = "Administrator")]
        admin_name: String,
    },
    /// Set a new password for an account; its sessions end.
    ResetPassword {
        #[arg(long)]
        account: String,
        /// The new password; else `RAPPORT_PASSWORD`, else a line read from standard input.
        #[arg(long, env = "RAPPORT_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve => {
            let db = config.open_database().await?;
            serve(&config, db).await
        }
        Command::Migrate => {
            config.open_database().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Admin(AdminCommand::CreateCompany { name, admin_account, admin_password, admin_name }) => {
            let db = config.open_database().await?;
            let admin_password = password_or_stdin(admin_password, std::io::stdin().lock())?;
            let id = demo::create_company(&db, &name, &admin_account, &admin_name, &admin_password).await?;
            writeln!(std::io::stdout(), "{id}")?;
            Ok(())
        }
        Command::Admin(AdminCommand::ResetPassword { account, password }) => {
            let db = config.open_database().await?;
            let password = password_or_stdin(password, std::io::stdin().lock())?;
            demo::reset_password(&db, &account, &password).await
        }
        Command::Demo { database } => {
            if let Some(dir) = database.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
            }
            let db = Db::connect(&format!("sqlite://{}", database.display())).await?;
            let seeded = demo::seed(&db).await?;
            let simulator = demo::connect_simulated_number(&db, &config.secrets()?, &seeded, &config.listen).await?;
            let config = config::Config { graph_api_url: simulator.base_url().to_string(), ..config };
            tokio::spawn(demo::customer_traffic(simulator.clone()));
            let mut out = std::io::stdout();
            writeln!(
                out,
                "\nRapport demo at http://{}/ — every demo account's password is `{}`\n",
                config.listen,
                demo::PASSWORD
            )?;
            for (account, what) in &seeded.logins {
                writeln!(out, "  {account:<28} {what}")?;
            }
            writeln!(
                out,
                "\n  WhatsApp: the simulated number +44 7700 900000 (Sales) receives customer messages from the Cloud API simulator at {}\n",
                simulator.base_url()
            )?;
            serve(&config, db).await
        }
        Command::Simulator(args) => {
            let account = rapport_simulator::Account {
                phone_number_id: args.phone_number_id,
                display_phone_number: "+44 7700 900000".into(),
                waba_id: args.waba_id,
                access_token: args.access_token,
                app_secret: args.app_secret,
            };
            let simulator = rapport_simulator::Simulator::start(account, &args.listen).await?;
            simulator.set_webhook_url(&args.webhook_url);
            tracing::info!(graph_api = simulator.base_url(), webhook = %args.webhook_url, "simulator running");
            if args.messages_per_second > 0.0 {
                let pause = std::time::Duration::from_secs_f64(1.0 / args.messages_per_second);
                for i in 0u64.. {
                    let customer = format!("4477009{:05}", i % 1000);
                    if let Err(e) = simulator
                        .customer_writes(&customer, &format!("Customer {}", i % 1000), &format!("Message {i}"))
                        .await
                    {
                        tracing::warn!(error = %e, "could not deliver a customer message");
                    }
                    tokio::time::sleep(pause).await;
                }
            }
            shutdown_signal().await;
            Ok(())
        }
        Command::Import(ImportCommand::Contacts(args)) => {
            let db = config.open_database().await?;
            contacts::import(&db, std::path::Path::new(&config.media_dir), args).await
        }
        Command::Export(ExportCommand::Contacts(args)) => {
            let db = config.open_database().await?;
            contacts::export(&db, args).await
        }
        Command::Bench(command) => bench::run(command).await,
    }
}

/// A password given as an argument (or its environment variable), else the first line of
/// `input` without its line break.
fn password_or_stdin(given: Option<String>, mut input: impl std::io::BufRead) -> Result<String> {
    if let Some(password) = given {
        return Ok(password);
    }
    let mut line = String::new();
    input.read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(
        !password.is_empty(),
        "no password: give --admin-password / --password, its environment variable, or a line on standard input"
    );
    Ok(password)
}

/// The application over `db` with its background workers started, as the server serves it.
fn start(db: Db, settings: Settings, server: ServerConfig) -> AppState {
    let (app, workers) = App::new(db, settings);
    workers.start();
    AppState::new(app, server)
}

async fn serve(config: &Config, db: Db) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, backend = ?db.backend(), "serving");
    let live = match &config.nats_url {
        None => Live::in_process(),
        Some(url) => {
            let live = Live::nats(url).await.map_err(|e| anyhow::anyhow!("connecting to NATS at {url}: {e}"))?;
            tracing::info!(url, "live events go through NATS");
            live
        }
    };
    config::private_dir(std::path::Path::new(&config.media_dir))?;
    let settings = Settings {
        live,
        graph_api_url: config.graph_api_url.clone(),
        sends_per_number_per_second: config.sends_per_number_per_second,
        media_dir: config.media_dir.clone().into(),
        ..Settings::with_secrets(config.secrets()?)
    };
    let server_config = ServerConfig { secure_cookies: config.secure_cookies(), ..ServerConfig::default() };
    let state = start(db.clone(), settings, server_config);
    rapport_server::serve(listener, state, shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::password_or_stdin;

    #[test]
    fn a_password_comes_from_the_argument_or_else_a_line_of_standard_input() {
        assert_eq!(password_or_stdin(Some("given".into()), &b"ignored\n"[..]).unwrap(), "given");
        assert_eq!(password_or_stdin(None, &b"from stdin\r\nmore\n"[..]).unwrap(), "from stdin");
        assert!(password_or_stdin(None, &b""[..]).is_err());
        assert!(password_or_stdin(None, &b"\n"[..]).is_err());
    }
}
