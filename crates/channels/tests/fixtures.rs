//! Every real webhook envelope in `../shared/fixtures/whatsapp/` is read without loss.

use rapport_channels::whatsapp::webhook::{self, Envelope};
use rapport_domain::message::DeliveryStatus;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/whatsapp")
}

/// (sample name, envelope bytes) for every webhook envelope in the fixtures.
fn envelopes() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["pywa", "java-api"] {
        let mut files: Vec<_> = std::fs::read_dir(fixtures_dir().join(dir))
            .expect("the shared fixtures sit beside the repository")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("response_") {
                continue; // Graph API answers, not webhooks.
            }
            let value: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            if dir == "pywa" {
                for (sample, envelope) in value.as_object().unwrap() {
                    out.push((format!("{dir}/{name}:{sample}"), serde_json::to_vec(envelope).unwrap()));
                }
            } else {
                out.push((format!("{dir}/{name}"), std::fs::read(&file).unwrap()));
            }
        }
    }
    out
}

fn count(value: &Value, key: &str) -> usize {
    value["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["changes"].as_array().into_iter().flatten())
        .map(|c| c["value"][key].as_array().map_or(0, Vec::len))
        .sum()
}

fn parse(name: &str) -> Envelope {
    let (_, bytes) = envelopes().into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no sample {name}"));
    webhook::parse(&bytes).unwrap()
}

#[test]
fn every_envelope_is_read_without_loss() {
    let all = envelopes();
    assert!(all.len() >= 80, "found {} envelopes", all.len());
    for (name, bytes) in all {
        let raw: Value = serde_json::from_slice(&bytes).unwrap();
        let envelope = webhook::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let messages: Vec<_> = envelope.changes.iter().flat_map(|c| &c.messages).collect();
        let echoes: Vec<_> = envelope.changes.iter().flat_map(|c| &c.echoes).collect();
        let statuses: Vec<_> = envelope.changes.iter().flat_map(|c| &c.statuses).collect();
        assert_eq!(messages.len(), count(&raw, "messages"), "{name}: messages");
        assert_eq!(echoes.len(), count(&raw, "message_echoes"), "{name}: echoes");
        assert_eq!(statuses.len(), count(&raw, "statuses"), "{name}: statuses");
        for m in messages.iter().chain(&echoes) {
            assert!(!m.wamid.is_empty() && m.timestamp > 0, "{name}: id and time");
            assert_eq!(m.raw["id"].as_str(), Some(m.wamid.as_str()), "{name}: raw kept");
            assert!(m.wa_id.is_some() || m.user_id.is_some(), "{name}: the customer is identified");
        }
        let changes = envelope.changes.len();
        assert!(changes > 0, "{name}: has changes");
        for change in &envelope.changes {
            let empty = change.messages.is_empty() && change.echoes.is_empty() && change.statuses.is_empty();
            assert_eq!(empty, change.other.is_some(), "{name}: a change is either messages or kept whole");
        }
    }
}

#[test]
fn message_kinds_read_into_readable_text_and_references() {
    let first = |name: &str| parse(name).changes.remove(0).messages.remove(0);
    let text = first("pywa/message.json:text");
    assert_eq!((text.kind.as_str(), text.text.as_deref()), ("text", Some("Body Text")));
    assert_eq!(text.wa_id.as_deref(), Some("972987654321"));
    assert_eq!(text.user_id.as_deref(), Some("US.13491208655302741918"), "business-scoped user id from contacts");
    let image = first("pywa/message.json:image");
    assert_eq!(image.kind, "image");
    let media = image.media.expect("media");
    assert!(media.id.is_some() && media.mime_type.is_some() && media.sha256.is_some());
    let document = first("java-api/documentMessage.json");
    assert!(document.media.unwrap().filename.is_some());
    let reaction = first("pywa/message.json:reaction");
    assert!(reaction.target.is_some() && reaction.text.is_some());
    let unreaction = first("pywa/message.json:unreaction_empty");
    assert_eq!((unreaction.kind.as_str(), unreaction.text), ("reaction", None), "an emptied reaction removes it");
    let reply = first("pywa/message.json:reply");
    assert!(reply.reply_to.is_some());
    let location = first("pywa/message.json:chosen_location");
    assert!(location.text.is_some());
    let contacts = first("java-api/contactMessage.json");
    assert!(contacts.text.is_some(), "shared contacts show their names");
    let revoke = first("pywa/deleted_message.json:revoke");
    assert_eq!(revoke.kind, "revoke");
    let edit = first("pywa/edited_message.json:image");
    assert_eq!(edit.kind, "edit");
    assert!(edit.target.is_some());
    let unsupported = first("pywa/message.json:unsupported");
    assert_eq!(unsupported.kind, "unsupported");
    let button = first("pywa/callback_button.json:quick_reply");
    assert!(button.text.is_some());
}

#[test]
fn statuses_keep_order_rank_and_errors() {
    let failed = parse("pywa/message_status.json:failed").changes.remove(0).statuses.remove(0);
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.error_code, Some(130472));
    assert!(failed.error_title.is_some());
    let window = parse("java-api/reEngagementMessageError.json").changes.remove(0).statuses.remove(0);
    assert_eq!(window.error_code, Some(131047), "the 24-hour window error");
    assert!(DeliveryStatus::Read.rank() > DeliveryStatus::Delivered.rank());
    assert!(DeliveryStatus::Delivered.rank() > DeliveryStatus::Sent.rank());
    assert!(DeliveryStatus::Failed.rank() > DeliveryStatus::Read.rank());
    assert_eq!(DeliveryStatus::parse("warning").rank(), 0);
}

#[test]
fn account_events_are_kept_whole_and_bad_bodies_refused() {
    let event = parse("java-api/qualityUpdate.json").changes.remove(0);
    assert_eq!(event.field, "phone_number_quality_update");
    assert!(event.other.is_some());
    assert!(webhook::parse(b"not json").is_err());
    assert!(webhook::parse(b"{\"object\":\"whatsapp_business_account\",\"entry\":[").is_err(), "truncated");
    assert!(webhook::parse(b"[1,2]").is_err());
    assert_eq!(webhook::parse(b"{}").unwrap(), Envelope::default());
}

#[test]
fn graph_api_answers_are_read_like_meta_sends_them() {
    use rapport_channels::whatsapp::graph::GraphError;
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(fixtures_dir().join("java-api").join(name)).unwrap()).unwrap()
    };
    let sent = read("response_message.json");
    assert!(sent["messages"][0]["id"].as_str().unwrap().starts_with("wamid."));
    let error = GraphError::from_response(400, &read("response_phoneNumberNotFoundError.json"));
    assert_eq!(error.code, 100);
    assert!(!error.retryable, "a bad parameter is permanent");
    assert!(!error.title.is_empty());
}
