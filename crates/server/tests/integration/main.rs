//! The server's integration tests: the real server on a real port (`common`), over SQLite and,
//! with `RAPPORT_TEST_POSTGRES_URL`, PostgreSQL. One test binary, so the server links once.

mod common;

mod api;
mod auto_reply;
mod contacts;
mod inbox;
mod live;
mod search;
mod send;
mod texts;
mod whatsapp;
mod write_first;
