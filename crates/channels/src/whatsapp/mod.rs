//! The WhatsApp Business Cloud API: webhook signatures and webhook envelopes.

pub mod signature;
pub mod webhook;
