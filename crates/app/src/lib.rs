//! Rapport's application layer: the use cases and the background workers. Every entry point —
//! the API, the pages, the command line — calls these, so a rule shared by several of them
//! (who may send, how a message is queued, how an import runs) is written once, here.
//!
//! - [`App`]: the handles a use case needs (database, send queue, live events, settings).
//! - [`Workers`]: what runs in the background; the binary starts them explicitly.
//! - Use cases: [`send`], [`customers`], [`import`], [`export`], [`auto_reply`], [`notify`].
//! - Workers: [`ingest`] (webhook group commit), [`outbox`] (sends), [`media`] (downloads),
//!   [`import`], [`search_index`], reminders in [`notify`], [`housekeeping`]; [`jobs`] is
//!   their shared loop.
//! - [`live`]: live events to browsers, in process or through NATS.
//! - [`i18n`]: the translation catalogue, shared by pages and exports.

pub mod auto_reply;
mod clock;
pub mod customers;
mod error;
pub mod export;
pub mod housekeeping;
pub mod i18n;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod media;
pub mod notify;
pub mod outbox;
pub mod search_index;
pub mod send;
mod settings;

pub use clock::{Clock, rfc3339};
pub use error::{Error, Result};
pub use settings::Settings;

use rapport_channels::whatsapp::graph::GraphClient;
use rapport_storage::Db;
use std::sync::Arc;
use tokio::sync::Notify;

/// The application: what every use case works with. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub i18n: Arc<i18n::Catalogs>,
    /// Batches webhook writes into shared transactions.
    pub ingestor: ingest::Ingestor,
    /// Wakes the send workers.
    pub outbox: outbox::Outbox,
    /// For calls outside the queue (mark-as-read).
    pub graph: GraphClient,
    /// Wakes the import worker when an import is queued.
    pub imports: Arc<Notify>,
}

/// The background work of one instance, not yet running: [`Workers::start`] starts it.
#[must_use = "nothing is ingested or sent until the workers are started"]
pub struct Workers {
    app: App,
    ingest_queue: ingest::Queue,
}

impl App {
    /// The application over `db`. Nothing runs in the background until the returned
    /// [`Workers`] are started.
    pub fn new(db: Db, settings: Settings) -> (App, Workers) {
        let graph = GraphClient::new(&settings.graph_api_url);
        let (ingestor, ingest_queue) = ingest::Ingestor::new();
        let app = App {
            db,
            settings: Arc::new(settings),
            i18n: Arc::new(i18n::Catalogs::load()),
            ingestor,
            outbox: outbox::Outbox::default(),
            graph,
            imports: Arc::new(Notify::new()),
        };
        (app.clone(), Workers { app, ingest_queue })
    }
}

impl Workers {
    /// Starts, inside the Tokio runtime, everything this instance does in the background:
    /// webhook ingestion (with auto replies), the send and media workers (as many as the
    /// settings say, possibly none), the import worker, notification reminders, the sweep of
    /// expired sessions and login counters and, on SQLite, the chat-history indexer. They run until the database is closed.
    pub fn start(self) {
        let Workers { app, ingest_queue } = self;
        let live = app.settings.live.clone();
        notify::start_reminders(app.db.clone(), live.clone());
        housekeeping::start(app.db.clone());
        search_index::start(app.db.clone());
        outbox::start(&app);
        media::start(&app);
        import::start(app.db.clone(), app.settings.media_dir.clone(), app.imports.clone());
        let replier = auto_reply::AutoReplier::new(&app);
        ingest::start(app.db.clone(), live, replier, ingest_queue);
    }
}
