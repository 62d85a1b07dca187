//! Group commit for webhook ingestion: concurrent webhook requests hand their deliveries to
//! one writer, which stores everything waiting in a single transaction and then answers each
//! request. Every request still gets its 200 only after its data is durable, but a busy
//! server pays one commit for many requests.

use crate::auto_reply::AutoReplier;
use crate::live::Live;
use rapport_storage::Db;
use rapport_storage::inbound::{self, Delivery, Outcome};
use std::ops::Range;
use tokio::sync::{mpsc, oneshot};

/// Most requests folded into one transaction.
const MAX_BATCH: usize = 256;

pub(crate) struct Job {
    deliveries: Vec<Delivery>,
    done: oneshot::Sender<Result<(), String>>,
}

#[derive(Clone)]
pub struct Ingestor {
    jobs: mpsc::Sender<Job>,
}

/// The writer's end of the ingestion channel, until [`start`] hands it to the writer.
pub struct Queue(mpsc::Receiver<Job>);

impl Ingestor {
    /// The ingestor and the queue its writer will read once started.
    pub fn new() -> (Ingestor, Queue) {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        (Ingestor { jobs }, Queue(queue))
    }

    /// Stores the deliveries durably (together with whatever else is waiting).
    pub async fn submit(&self, deliveries: Vec<Delivery>) -> crate::Result<()> {
        let stopped = || crate::Error::Internal("ingestion stopped".into());
        let (done, answer) = oneshot::channel();
        self.jobs.send(Job { deliveries, done }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?.map_err(crate::Error::Internal)
    }
}

/// Starts the one writer that stores what webhook requests submit.
pub fn start(db: Db, live: Live, replier: AutoReplier, queue: Queue) {
    tokio::spawn(write_batches(db, live, replier, queue.0));
}

async fn write_batches(db: Db, live: Live, replier: AutoReplier, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut all = Vec::new();
        let mut answers: Vec<(oneshot::Sender<Result<(), String>>, Range<usize>)> = Vec::with_capacity(jobs.len());
        for job in jobs {
            let start = all.len();
            all.extend(job.deliveries);
            answers.push((job.done, start..all.len()));
        }
        match inbound::ingest(&db, &all).await {
            Ok(outcome) => {
                answers.into_iter().for_each(|(done, _)| drop(done.send(Ok(()))));
                // Beside the writer, so the next batch does not wait for it.
                after_ingest(&db, &live, &replier, outcome);
            }
            // One bad request must not fail the others: retry each alone.
            Err(e) if answers.len() > 1 => {
                tracing::warn!(error = %e, requests = answers.len(), "batched ingestion failed; retrying one by one");
                for (done, range) in answers {
                    match inbound::ingest(&db, &all[range]).await {
                        Ok(outcome) => {
                            let _ = done.send(Ok(()));
                            after_ingest(&db, &live, &replier, outcome);
                        }
                        Err(e) => drop(done.send(Err(e.to_string()))),
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "ingestion failed");
                answers.into_iter().for_each(|(done, _)| drop(done.send(Err(e.to_string()))));
            }
        }
    }
}

/// What follows a durable batch: live events and notifications, and auto replies.
fn after_ingest(db: &Db, live: &Live, replier: &AutoReplier, mut outcome: Outcome) {
    let messages = std::mem::take(&mut outcome.customer_messages);
    if !messages.is_empty() {
        let replier = replier.clone();
        tokio::spawn(async move { replier.answer(&messages).await });
    }
    tokio::spawn(crate::notify::after_ingest(db.clone(), live.clone(), outcome));
}
