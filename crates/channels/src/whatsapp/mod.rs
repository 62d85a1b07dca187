//! The WhatsApp Business Cloud API: webhook signatures and webhook envelopes.

pub mod graph;
pub mod signature;
pub mod webhook;
