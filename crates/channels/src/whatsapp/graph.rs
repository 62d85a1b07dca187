//! The Graph API client for outbound WhatsApp messages (WA-3): `POST
//! /{version}/{phone-number-id}/messages` with the number's bearer token, and Meta's error
//! envelope read into "retry later" or "give up" so the send queue knows what to do.

use serde_json::{Value, json};
use std::time::Duration;

/// Meta's Graph API; overridden by `RAPPORT_GRAPH_API_URL` (the simulator, a proxy).
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_VERSION: &str = "v21.0";

#[derive(Clone, Debug)]
pub struct GraphClient {
    base_url: String,
    version: String,
    http: reqwest::Client,
}

/// What can be sent. Built from what an agent typed; turned into Meta's JSON by [`Outbound::to_json`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    Text {
        body: String,
    },
    Template {
        name: String,
        language: String,
        parameters: Vec<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// An emoji on one of the conversation's messages; an empty emoji removes it.
    Reaction {
        message_id: String,
        emoji: String,
    },
    /// An attachment (`image`, `video`, `audio`, `document`, `sticker`) still to be uploaded.
    Media {
        kind: String,
        upload: PendingUpload,
        caption: Option<String>,
    },
}

/// A local file to upload to Meta before the message that carries it is sent.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PendingUpload {
    /// Relative to the media directory.
    pub path: String,
    pub mime_type: String,
    pub filename: String,
}

/// The key under which a queued payload names its pending upload.
pub const PENDING_UPLOAD: &str = "_upload";

impl Outbound {
    /// The WhatsApp message type.
    pub fn kind(&self) -> &str {
        match self {
            Outbound::Text { .. } => "text",
            Outbound::Template { .. } => "template",
            Outbound::Location { .. } => "location",
            Outbound::Reaction { .. } => "reaction",
            Outbound::Media { kind, .. } => kind,
        }
    }
}

/// What `GET /{media-id}` answers.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    /// Hex SHA-256 of the file.
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// A failed send, as Meta or the network reported it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{title} (code {code})")]
pub struct GraphError {
    /// Meta's error code (`130429` rate limit, `131047` outside the 24-hour window, `100`
    /// bad parameter ...); 0 for network failures and answers without an error envelope.
    pub code: i64,
    pub title: String,
    /// Worth trying again later (rate limits, Meta's temporary failures, 5xx, timeouts).
    pub retryable: bool,
}

/// Codes Meta documents as temporary: throttling and transient service errors.
const RETRYABLE_CODES: &[i64] = &[1, 2, 4, 17, 80007, 130429, 131000, 131016, 131056, 133004];

impl GraphError {
    fn network(e: &reqwest::Error) -> GraphError {
        GraphError { code: 0, title: format!("network error: {e}"), retryable: true }
    }

    fn refused(title: String) -> GraphError {
        GraphError { code: 0, title, retryable: false }
    }

    /// Reads Meta's `{"error":{"code","message","error_data":{"details"}}}`.
    pub fn from_response(status: u16, body: &Value) -> GraphError {
        let error = &body["error"];
        let code = error["code"].as_i64().unwrap_or(0);
        let title = error["error_data"]["details"]
            .as_str()
            .or_else(|| error["message"].as_str())
            .map(String::from)
            .unwrap_or_else(|| format!("HTTP {status}"));
        GraphError { code, title, retryable: status >= 500 || status == 429 || RETRYABLE_CODES.contains(&code) }
    }
}

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient<'a> {
    /// A customer, by WhatsApp id.
    Individual(&'a str),
    /// A group chat the number is in, by group id.
    Group(&'a str),
}

impl Outbound {
    /// Meta's request body for sending this to `to`, optionally as a reply.
    pub fn to_json(&self, to: Recipient<'_>, reply_to: Option<&str>) -> Value {
        let (recipient_type, to) = match to {
            Recipient::Individual(wa_id) => ("individual", wa_id),
            Recipient::Group(group_id) => ("group", group_id),
        };
        let mut body = json!({"messaging_product": "whatsapp", "recipient_type": recipient_type, "to": to});
        match self {
            Outbound::Text { body: text } => {
                body["type"] = json!("text");
                body["text"] = json!({"preview_url": false, "body": text});
            }
            Outbound::Template { name, language, parameters } => {
                body["type"] = json!("template");
                let mut template = json!({"name": name, "language": {"code": language}});
                if !parameters.is_empty() {
                    let params: Vec<Value> = parameters.iter().map(|p| json!({"type": "text", "text": p})).collect();
                    template["components"] = json!([{"type": "body", "parameters": params}]);
                }
                body["template"] = template;
            }
            Outbound::Location { latitude, longitude, name, address } => {
                body["type"] = json!("location");
                let mut location = json!({"latitude": latitude, "longitude": longitude});
                if let Some(name) = name {
                    location["name"] = json!(name);
                }
                if let Some(address) = address {
                    location["address"] = json!(address);
                }
                body["location"] = location;
            }
            Outbound::Reaction { message_id, emoji } => {
                body["type"] = json!("reaction");
                body["reaction"] = json!({"message_id": message_id, "emoji": emoji});
            }
            Outbound::Media { kind, upload, caption } => {
                body["type"] = json!(kind);
                let mut media = json!({});
                if let Some(caption) = caption.as_ref().filter(|_| kind != "audio" && kind != "sticker") {
                    media["caption"] = json!(caption);
                }
                if kind == "document" {
                    media["filename"] = json!(upload.filename);
                }
                body[kind.as_str()] = media;
                // Replaced by Meta's media id once the worker has uploaded the file.
                body[PENDING_UPLOAD] = json!(upload);
            }
        }
        if let Some(id) = reply_to {
            body["context"] = json!({"message_id": id});
        }
        body
    }
}

impl GraphClient {
    pub fn new(base_url: &str) -> GraphClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        GraphClient { base_url: base_url.trim_end_matches('/').to_string(), version: DEFAULT_VERSION.into(), http }
    }

    /// Sends a message; answers Meta's message id (wamid).
    pub async fn send(&self, phone_number_id: &str, token: &str, body: &Value) -> Result<String, GraphError> {
        let url = format!("{}/{}/{}/messages", self.base_url, self.version, path_id(phone_number_id)?);
        let response =
            self.http.post(url).bearer_auth(token).json(body).send().await.map_err(|e| GraphError::network(&e))?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(GraphError::from_response(status, &answer));
        }
        answer["messages"][0]["id"].as_str().map(String::from).ok_or_else(|| GraphError {
            code: 0,
            title: "the Graph API accepted the message but returned no message id".into(),
            retryable: false,
        })
    }

    /// Looks up a media id: where to download it, its type, size and checksum.
    pub async fn media_info(&self, media_id: &str, token: &str) -> Result<MediaInfo, GraphError> {
        let url = format!("{}/{}/{}", self.base_url, self.version, path_id(media_id)?);
        let response = self.http.get(url).bearer_auth(token).send().await.map_err(|e| GraphError::network(&e))?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(GraphError::from_response(status, &answer));
        }
        serde_json::from_value(answer).map_err(|e| GraphError {
            code: 0,
            title: format!("the media look-up answered in an unexpected shape: {e}"),
            retryable: false,
        })
    }

    /// Downloads media bytes (with the bearer token, as Meta requires), refusing more than `max_bytes`.
    pub async fn download(&self, url: &str, token: &str, max_bytes: usize) -> Result<Vec<u8>, GraphError> {
        let mut response = self.http.get(url).bearer_auth(token).send().await.map_err(|e| GraphError::network(&e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(GraphError::from_response(status, &Value::Null));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| GraphError::network(&e))? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(GraphError {
                    code: 0,
                    title: format!("the media is larger than {max_bytes} bytes"),
                    retryable: false,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Uploads a file to send (`POST /{phone-number-id}/media`); answers Meta's media id.
    pub async fn upload(
        &self,
        phone_number_id: &str,
        token: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let url = format!("{}/{}/{}/media", self.base_url, self.version, path_id(phone_number_id)?);
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_string())
            .mime_str(mime_type)
            .map_err(|e| GraphError { code: 0, title: format!("bad media type: {e}"), retryable: false })?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_string())
            .part("file", part);
        let response =
            self.http.post(url).bearer_auth(token).multipart(form).send().await.map_err(|e| GraphError::network(&e))?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(GraphError::from_response(status, &answer));
        }
        answer["id"].as_str().map(String::from).ok_or_else(|| GraphError {
            code: 0,
            title: "the upload was accepted but no media id came back".into(),
            retryable: false,
        })
    }

    /// The WhatsApp Business Account's templates as Meta lists them (every page).
    pub async fn templates(&self, waba_id: &str, token: &str) -> Result<Vec<Value>, GraphError> {
        let mut url = format!("{}/{}/{}/message_templates?limit=100", self.base_url, self.version, path_id(waba_id)?);
        let mut all = Vec::new();
        for _ in 0..50 {
            let response = self.http.get(&url).bearer_auth(token).send().await.map_err(|e| GraphError::network(&e))?;
            let status = response.status().as_u16();
            let page: Value = response.json().await.unwrap_or(Value::Null);
            if !(200..300).contains(&status) {
                return Err(GraphError::from_response(status, &page));
            }
            all.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["paging"]["next"].as_str() {
                // The token goes with every page: follow only pages of the same Graph API.
                Some(next) if same_origin(&self.base_url, next) => url = next.to_string(),
                Some(next) => {
                    return Err(GraphError::refused(format!("the next page is not on the Graph API: {next}")));
                }
                None => break,
            }
        }
        Ok(all)
    }

    /// Marks a customer's message as read (blue ticks on their side).
    pub async fn mark_read(&self, phone_number_id: &str, token: &str, wamid: &str) -> Result<(), GraphError> {
        let url = format!("{}/{}/{}/messages", self.base_url, self.version, path_id(phone_number_id)?);
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
        let response =
            self.http.post(url).bearer_auth(token).json(&body).send().await.map_err(|e| GraphError::network(&e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(GraphError::from_response(status, &response.json().await.unwrap_or(Value::Null)))
        }
    }
}

/// A Graph object id as one segment of a URL path: letters, digits, `_` and `-` only, so a
/// stored or reported id can never reach another path or carry a query.
fn path_id(id: &str) -> Result<&str, GraphError> {
    let fits =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits { Ok(id) } else { Err(GraphError::refused(format!("`{id}` is not a Graph API id"))) }
}

/// Whether `url` is on the Graph API at `base` (same scheme, host and port).
fn same_origin(base: &str, url: &str) -> bool {
    url.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_and_next_pages_stay_on_the_graph_api() {
        for id in ["106540352242922", "pn_1", "waba-2"] {
            assert!(super::path_id(id).is_ok(), "{id}");
        }
        for id in ["", "1/../../me", "1?fields=access_token", "1#x", "a b", "%2e%2e"] {
            assert!(super::path_id(id).is_err(), "{id}");
        }
        let base = "https://graph.facebook.com";
        assert!(super::same_origin(base, "https://graph.facebook.com/v21.0/1/message_templates?after=x"));
        for next in [
            "https://graph.facebook.com.evil.test/v21.0/1",
            "https://evil.test/https://graph.facebook.com/",
            "http://graph.facebook.com/x",
        ] {
            assert!(!super::same_origin(base, next), "{next}");
        }
    }

    use super::*;

    #[test]
    fn text_and_template_bodies_have_metas_shape() {
        let text = Outbound::Text { body: "Hi".into() }.to_json(Recipient::Individual("4477"), Some("wamid.1"));
        assert_eq!(
            text,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4477", "type": "text",
                   "text": {"preview_url": false, "body": "Hi"}, "context": {"message_id": "wamid.1"}})
        );
        let template =
            Outbound::Template { name: "order_update".into(), language: "en_US".into(), parameters: vec!["42".into()] }
                .to_json(Recipient::Individual("4477"), None);
        assert_eq!(template["template"]["language"]["code"], "en_US");
        assert_eq!(template["template"]["components"][0]["parameters"][0], json!({"type": "text", "text": "42"}));
    }

    #[test]
    fn a_group_message_names_the_group_as_recipient() {
        let text = Outbound::Text { body: "Hi all".into() }.to_json(Recipient::Group("120363025246125486"), None);
        assert_eq!(text["recipient_type"], "group");
        assert_eq!(text["to"], "120363025246125486");
    }

    #[test]
    fn location_and_reaction_bodies_have_metas_shape() {
        let location =
            Outbound::Location { latitude: 51.5, longitude: -0.12, name: Some("Shop".into()), address: None }
                .to_json(Recipient::Individual("4477"), None);
        assert_eq!(location["location"], json!({"latitude": 51.5, "longitude": -0.12, "name": "Shop"}));
        let reaction = Outbound::Reaction { message_id: "wamid.1".into(), emoji: "👍".into() }
            .to_json(Recipient::Individual("4477"), None);
        assert_eq!(reaction["type"], "reaction");
        assert_eq!(reaction["reaction"], json!({"message_id": "wamid.1", "emoji": "👍"}));
    }

    #[test]
    fn errors_are_classified_for_retry() {
        let rate = GraphError::from_response(400, &json!({"error": {"code": 130429, "message": "Rate limit hit"}}));
        assert!(rate.retryable);
        let window = GraphError::from_response(
            400,
            &json!({"error": {"code": 131047, "message": "Re-engagement message",
            "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}}),
        );
        assert!(!window.retryable);
        assert_eq!(window.code, 131047);
        assert!(window.title.contains("24 hours"));
        let bad = GraphError::from_response(400, &json!({"error": {"code": 100, "message": "Invalid parameter"}}));
        assert!(!bad.retryable);
        assert!(GraphError::from_response(503, &Value::Null).retryable);
    }
}
