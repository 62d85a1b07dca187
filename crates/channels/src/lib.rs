//! Channel adapters: how messages come in from, and go out to, the messaging networks.
//! Nothing here touches the database; the server hands parsed events to storage.

pub mod whatsapp;
