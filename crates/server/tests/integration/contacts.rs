//! Customers (CONT-1..6) and extended fields (FIELD-1..2) through the real server on SQLite and
//! PostgreSQL, checked the way a user would: phones typed any way come out in E.164 by the
//! company's country; a second contact with the same phone is refused with a link and the two
//! can be merged; every field type is validated on every write; a sales rep sees only their own
//! customers; the filter and its export agree; a 10,000-row import with 3% broken rows imports
//! exactly the rest and reports exactly the broken ones; notes belong to their authors.

use crate::common::simulated::setup;
use crate::common::{Client, TestServer, ids};
use rapport_storage::{Db, testing};
use rapport_tabular::Sheet;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

struct Company {
    server: TestServer,
    root: i64,
    admin: Client,
    admin_id: i64,
}

async fn company(db: Db) -> Company {
    let server = TestServer::start(db).await;
    let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
    let admin_id = me(&admin).await;
    Company { server, root, admin, admin_id }
}

async fn me(client: &Client) -> i64 {
    let (status, me) = client.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["id"].as_i64().expect("staff id")
}

/// The country local numbers are read in (Settings).
async fn set_country(c: &Company, code: &str) {
    let (status, company) = c.admin.patch("/api/v1/company", json!({"default_country": code})).await;
    assert_eq!((status, &company["default_country"]), (StatusCode::OK, &json!(code.to_uppercase())), "{company}");
}

async fn login(server: &TestServer, account: &str) -> Client {
    let mut client = server.client();
    client.login(account, "staff-password").await;
    client
}

/// Creates a contact, answering it (201 asserted).
async fn contact(client: &Client, body: Value) -> Value {
    let (status, created) = client.post("/api/v1/contacts", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body} → {created}");
    created
}

fn placed(name: &str, phone: &str, department: i64, responsible: i64) -> Value {
    json!({"name": name, "phone": phone, "department_id": department, "responsible_staff_id": responsible})
}

fn person(c: &Company, name: &str, phone: &str) -> Value {
    placed(name, phone, c.root, c.admin_id)
}

async fn create_field(client: &Client, body: Value) -> Value {
    let (status, field) = client.post("/api/v1/fields", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body} → {field}");
    field
}

/// Query-string encoding of a parameter value.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every item of a list in pages of 200.
async fn every(client: &Client, path: &str) -> Vec<Value> {
    client.all_in_pages_of(path, 200).await
}

/// Contacts per source, from the statistics (CONT-5).
async fn count_by_source(client: &Client) -> BTreeMap<String, i64> {
    let (status, body) = client.get("/api/v1/contacts/sources").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .expect("counts")
        .iter()
        .map(|s| (s["source"].as_str().unwrap().to_string(), s["count"].as_i64().unwrap()))
        .collect()
}

/// A file download: status, content type and bytes.
async fn download(client: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = client.http.get(format!("{}{path}", client.base)).send().await.expect("request");
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.bytes().await.expect("body").to_vec())
}

static FILES: AtomicU32 = AtomicU32::new(0);

/// A CSV or XLSX file's headers and rows, read back as an import would read them.
fn read_sheet(bytes: &[u8], extension: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let n = FILES.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("rapport-contacts-test-{}-{n}.{extension}", std::process::id()));
    std::fs::write(&path, bytes).expect("write the file");
    let sheet = Sheet::open(&path).expect("a readable sheet");
    let headers = sheet.headers().to_vec();
    let rows = sheet.map(|row| row.expect("row").cells).collect();
    let _ = std::fs::remove_file(&path);
    (headers, rows)
}

async fn upload(client: &Client, file_name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let mut request =
        client.http.post(format!("{}/api/v1/imports?filename={}", client.base, enc(file_name))).body(bytes);
    if let Some(csrf) = &client.csrf {
        request = request.header("X-CSRF-Token", csrf);
    }
    let response = request.send().await.expect("upload");
    let status = response.status();
    (status, serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or(Value::Null))
}

/// Polls an import until it is done (or failed); answers it and how long it took.
async fn wait_done(client: &Client, id: i64) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let (status, import) = client.get(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{import}");
        match import["status"].as_str() {
            Some("done") => return (import, started.elapsed()),
            Some("failed") => panic!("the import failed: {import}"),
            _ => {}
        }
        assert!(started.elapsed() < Duration::from_secs(180), "the import did not finish: {import}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn error_field(body: &Value) -> Option<&str> {
    body["error"]["field"].as_str()
}

#[tokio::test]
async fn phones_typed_any_way_are_stored_in_e164_by_the_companys_country() {
    for db in testing::all_backends().await {
        let c = company(db).await;
        // Out of the box local numbers are read as US ones.
        let us = contact(&c.admin, person(&c, "Default", "(415) 555-2673")).await;
        assert_eq!(us["phone"], "+14155552673");

        let cases = [
            ("RU", "8 912 345-67-89", "+79123456789"),
            ("RU", "+7 (912) 345-67-80", "+79123456780"),
            ("RU", "8(912)3456781", "+79123456781"),
            ("RO", "0722 123 456", "+40722123456"),
            ("RO", "+40 722 123 457", "+40722123457"),
            ("RO", "0040722123458", "+40722123458"),
            ("VN", "0901 234 567", "+84901234567"),
            ("VN", "+84 90 123 45 68", "+84901234568"),
            ("CN", "138 0013 8000", "+8613800138000"),
            ("CN", "+86 138-0013-8001", "+8613800138001"),
            ("US", "(415) 555-2671", "+14155552671"),
            ("US", "+1 415 555 2672", "+14155552672"),
            ("GB", "07911 123456", "+447911123456"),
            ("GB", "+44 7911 123457", "+447911123457"),
            // An international number is itself whatever the company's country.
            ("RU", "+40 722 123 459", "+40722123459"),
            ("VN", "+44 7911 123458", "+447911123458"),
            ("CN", "+7 912 345 67 82", "+79123456782"),
        ];
        let mut created = vec![us["id"].as_i64().unwrap()];
        for (country, typed, e164) in cases {
            set_country(&c, country).await;
            let stored = contact(&c.admin, person(&c, &format!("{country} {typed}"), typed)).await;
            assert_eq!(stored["phone"], e164, "{typed} in {country}");
            assert_eq!(stored["phone_typed"], typed);
            assert_eq!(stored["wa_id"], &e164[1..]);
            // The card shows it the same way.
            let (status, card) = c.admin.get(&format!("/api/v1/contacts/{}", stored["id"])).await;
            assert_eq!((status, &card["phone"]), (StatusCode::OK, &json!(e164)));
            created.push(stored["id"].as_i64().unwrap());
        }

        // The quick search finds a contact by its phone typed locally.
        set_country(&c, "RU").await;
        let found = c.admin.all(&format!("/api/v1/contacts?q={}", enc("8 912 345-67-89"))).await;
        assert_eq!(found.iter().map(|f| f["phone"].clone()).collect::<Vec<_>>(), [json!("+79123456789")]);

        // What is no number is refused, naming the phone, and nothing is stored.
        for (country, typed) in [("RU", "8 912 345"), ("RO", "0722 12"), ("GB", "call me"), ("US", "+999 123 456 789")]
        {
            set_country(&c, country).await;
            let (status, body) = c.admin.post("/api/v1/contacts", person(&c, "Nobody", typed)).await;
            assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")), "{typed}");
            assert_eq!(body["error"]["code"], "invalid");
            assert!(body["error"]["message"].as_str().unwrap().contains(typed), "{body}");
        }
        let (status, body) = c.admin.post("/api/v1/contacts", person(&c, "Nobody", "")).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")));
        // Only a real country can be the company's; a lower-case code is its upper-case one.
        let (status, body) = c.admin.patch("/api/v1/company", json!({"default_country": "XX"})).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("default_country")));
        set_country(&c, "ro").await;
        let ro = contact(&c.admin, person(&c, "Ro", "0722 123 450")).await;
        assert_eq!(ro["phone"], "+40722123450");
        created.push(ro["id"].as_i64().unwrap());
        created.sort();
        assert_eq!(ids(&every(&c.admin, "/api/v1/contacts").await), created);
    }
}

#[tokio::test]
async fn a_second_contact_with_the_same_phone_is_refused_and_two_can_be_merged() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let admin_id = me(&s.admin).await;
        // The customer first wrote on WhatsApp an hour ago: a contact of their own.
        let hour_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 3600;
        s.simulator.customer_writes_at("447911123456", "Jane", "Hello, is the order ready?", hour_ago).await.unwrap();
        let chats = s.admin.all("/api/v1/conversations").await;
        let chat = chats[0]["id"].as_i64().unwrap();
        let from_whatsapp = chats[0]["contact"]["id"].as_i64().unwrap();
        let place = |name: &str, phone: &str| placed(name, phone, s.root, admin_id);

        create_field(&s.admin, json!({"name": "City", "key": "city", "type": "text"})).await;
        create_field(
            &s.admin,
            json!({"name": "Tier", "key": "tier", "type": "single_choice", "options": ["Gold", "Silver"]}),
        )
        .await;

        // The same phone typed another way is refused, with a link to the contact that has it.
        for typed in ["+44 7911 123456", "+44 (7911) 123-456", "+447911123456"] {
            let (status, body) = s.admin.post("/api/v1/contacts", place("Jane Smith", typed)).await;
            assert_eq!(status, StatusCode::CONFLICT, "{typed}: {body}");
            assert_eq!(body["error"]["code"], "duplicate_contact");
            assert_eq!(body["error"]["existing_id"], from_whatsapp);
            assert_eq!(body["error"]["link"], format!("/contacts/{from_whatsapp}"));
        }
        assert_eq!(s.admin.all("/api/v1/contacts").await.len(), 1, "nothing stored");

        // Staff had entered her under another number with details of their own.
        let mut body = place("Jane Smith", "+44 7911 123459");
        body["email"] = json!("jane@example.co.uk");
        body["fields"] = json!({"city": "Leeds"});
        let manual = contact(&s.admin, body).await;
        let manual_id = manual["id"].as_i64().unwrap();
        // Changing its phone to hers is refused the same way, and changes nothing.
        let (status, body) =
            s.admin.patch(&format!("/api/v1/contacts/{manual_id}"), json!({"phone": "+44 7911 123 456"})).await;
        assert_eq!((status, body["error"]["existing_id"].as_i64()), (StatusCode::CONFLICT, Some(from_whatsapp)));
        let (_, unchanged) = s.admin.get(&format!("/api/v1/contacts/{manual_id}")).await;
        assert_eq!(unchanged["phone"], "+447911123459");

        // The WhatsApp contact has a value and notes of its own.
        let (status, _) = s
            .admin
            .patch(
                &format!("/api/v1/contacts/{from_whatsapp}"),
                json!({"fields": {"tier": "gold", "city": "York"}, "address": "1 Main St"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let mut notes = Vec::new();
        for (on, title) in [(from_whatsapp, "Asked about the order"), (manual_id, "Met at the fair")] {
            let (status, note) =
                s.admin.post(&format!("/api/v1/contacts/{on}/notes"), json!({"title": title, "body": "…"})).await;
            assert_eq!(status, StatusCode::CREATED, "{note}");
            notes.push(note["id"].as_i64().unwrap());
        }

        // Merging: the survivor keeps its own details, takes what it lacks, and inherits the
        // other's notes and conversation; the other is gone.
        let (status, merged) =
            s.admin.post(&format!("/api/v1/contacts/{manual_id}/merge"), json!({"other_id": from_whatsapp})).await;
        assert_eq!(status, StatusCode::OK, "{merged}");
        assert_eq!(merged["id"], manual_id);
        assert_eq!(merged["name"], "Jane Smith");
        assert_eq!(merged["phone"], "+447911123459");
        assert_eq!(merged["email"], "jane@example.co.uk");
        assert_eq!(merged["address"], "1 Main St");
        assert_eq!(merged["fields"], json!({"city": "Leeds", "tier": "Gold"}));
        for path in ["", "/notes", "/timeline"] {
            let (status, _) = s.admin.get(&format!("/api/v1/contacts/{from_whatsapp}{path}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (_, survivor_notes) = s.admin.get(&format!("/api/v1/contacts/{manual_id}/notes")).await;
        let mut moved = ids(survivor_notes["items"].as_array().unwrap());
        notes.sort();
        moved.sort();
        assert_eq!(moved, notes);
        let chats = s.admin.all("/api/v1/conversations").await;
        assert_eq!(
            (chats.len(), chats[0]["id"].as_i64(), chats[0]["contact"]["id"].as_i64()),
            (1, Some(chat), Some(manual_id))
        );
        let (_, timeline) = s.admin.get(&format!("/api/v1/contacts/{manual_id}/timeline")).await;
        let kinds: Vec<_> = timeline["items"].as_array().unwrap().iter().map(|e| e["kind"].clone()).collect();
        assert_eq!(kinds, ["note", "note", "conversation"], "{timeline}");
        assert_eq!(s.admin.all("/api/v1/contacts").await.len(), 1);

        // She writes again: it is the same customer and the same chat, not a new contact.
        s.simulator.customer_writes("447911123456", "Jane", "Any news?").await.unwrap();
        let chats = s.admin.all("/api/v1/conversations").await;
        assert_eq!(
            (chats.len(), chats[0]["id"].as_i64(), chats[0]["contact"]["id"].as_i64()),
            (1, Some(chat), Some(manual_id))
        );
        assert_eq!(ids(&s.admin.all("/api/v1/contacts").await), [manual_id]);

        // The other contact is no more: merging it again or with itself is refused.
        let (status, body) =
            s.admin.post(&format!("/api/v1/contacts/{manual_id}/merge"), json!({"other_id": from_whatsapp})).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("other_id")));
        let (status, body) =
            s.admin.post(&format!("/api/v1/contacts/{manual_id}/merge"), json!({"other_id": manual_id})).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("other_id")));
        let (status, _) =
            s.admin.post(&format!("/api/v1/contacts/{from_whatsapp}/merge"), json!({"other_id": manual_id})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A deleted contact still holds its phone, and an administrator can bring it back.
        let (status, _) = s.admin.delete(&format!("/api/v1/contacts/{manual_id}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(s.admin.all("/api/v1/contacts").await.is_empty());
        let (status, body) = s.admin.post("/api/v1/contacts", place("Again", "+44 7911 123 459")).await;
        assert_eq!((status, body["error"]["existing_id"].as_i64()), (StatusCode::CONFLICT, Some(manual_id)));
        assert_eq!(ids(&s.admin.all("/api/v1/contacts?deleted=true").await), [manual_id]);
        let (status, restored) = s.admin.post(&format!("/api/v1/contacts/{manual_id}/restore"), json!({})).await;
        assert_eq!((status, restored["deleted_at"].is_null()), (StatusCode::OK, true), "{restored}");
        assert_eq!(ids(&s.admin.all("/api/v1/contacts").await), [manual_id]);
    }
}

/// Per field type: key, definition extras, a good value and how it is stored, a second good
/// value and how it is stored, and a bad value.
type FieldCase = (&'static str, Value, Value, Value, Value, Value, Value);

fn field_cases() -> Vec<FieldCase> {
    vec![
        ("f_number", json!({"type": "number"}), json!("1 234,5"), json!(1234.5), json!(42), json!(42), json!("12abc")),
        (
            "f_text",
            json!({"type": "text", "required": true}),
            json!("  Hà Nội "),
            json!("Hà Nội"),
            json!("Москва"),
            json!("Москва"),
            json!("line\nbreak"),
        ),
        (
            "f_textarea",
            json!({"type": "textarea"}),
            json!(" Dòng một\nDòng hai "),
            json!("Dòng một\nDòng hai"),
            json!("x"),
            json!("x"),
            json!("я".repeat(5001)),
        ),
        (
            "f_date",
            json!({"type": "date"}),
            json!("31.12.2024"),
            json!("2024-12-31"),
            json!("2024-02-29"),
            json!("2024-02-29"),
            json!("2024-02-30"),
        ),
        (
            "f_datetime",
            json!({"type": "datetime"}),
            json!("2024-12-31T18:30:00+07:00"),
            json!("2024-12-31T11:30:00Z"),
            json!("2024-12-31 18:30:15"),
            json!("2024-12-31T18:30:15Z"),
            json!("noon"),
        ),
        (
            "f_single",
            json!({"type": "single_choice", "options": ["Vàng", "Bạc", "Đồng"]}),
            json!(" vàng "),
            json!("Vàng"),
            json!("ĐỒNG"),
            json!("Đồng"),
            json!("Kim cương"),
        ),
        (
            "f_multi",
            json!({"type": "multiple_choice", "options": ["Email", "SMS", "Звонок"]}),
            json!("звонок | email"),
            json!(["Email", "Звонок"]),
            json!(["sms"]),
            json!(["SMS"]),
            json!(["Email", "Fax"]),
        ),
        (
            "f_phone",
            json!({"type": "phone"}),
            json!("8 912 345-67-89"),
            json!("+79123456789"),
            json!("+40 722 123 456"),
            json!("+40722123456"),
            json!("call me"),
        ),
        (
            "f_email",
            json!({"type": "email"}),
            json!(" Ann.Lee@Example.COM "),
            json!("Ann.Lee@example.com"),
            json!("иван@почта.рф"),
            json!("иван@почта.рф"),
            json!("ann@"),
        ),
        (
            "f_url",
            json!({"type": "url"}),
            json!(" https://example.com/a?b=1 "),
            json!("https://example.com/a?b=1"),
            json!("HTTP://user@host:8080"),
            json!("HTTP://user@host:8080"),
            json!("example.com"),
        ),
        ("f_yes_no", json!({"type": "yes_no"}), json!("Yes"), json!(true), json!(false), json!(false), json!("maybe")),
    ]
}

#[tokio::test]
async fn every_field_type_is_validated_on_create_and_on_edit() {
    for db in testing::all_backends().await {
        let c = company(db).await;
        set_country(&c, "RU").await;
        let cases = field_cases();
        for (key, extra, ..) in &cases {
            let mut body = json!({"name": key.replace('_', " "), "key": key});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let field = create_field(&c.admin, body).await;
            assert_eq!((&field["key"], &field["type"]), (&json!(key), &extra["type"]));
        }
        let (status, listed) = c.admin.get("/api/v1/fields").await;
        assert_eq!(status, StatusCode::OK);
        let keys: Vec<_> = listed["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
        assert_eq!(keys, cases.iter().map(|c| c.0).collect::<Vec<_>>(), "in the order they were added");

        let values = |pick: fn(&FieldCase) -> &Value| -> Map<String, Value> {
            cases.iter().map(|case| (case.0.to_string(), pick(case).clone())).collect()
        };
        let typed = values(|c| &c.2);
        let stored = values(|c| &c.3);

        // Good values are stored in their canonical form.
        let mut body = person(&c, "Ann Lee", "+7 912 000 00 01");
        body["fields"] = Value::Object(typed.clone());
        let ann = contact(&c.admin, body).await;
        let ann_id = ann["id"].as_i64().unwrap();
        assert_eq!(ann["fields"], Value::Object(stored.clone()));
        let card = format!("/api/v1/contacts/{ann_id}");
        assert_eq!(c.admin.get(&card).await.1["fields"], Value::Object(stored.clone()));

        // One bad value refuses the whole contact, naming the field by its key; nothing is stored.
        for (key, _, _, _, _, _, bad) in &cases {
            let mut fields = typed.clone();
            fields.insert(key.to_string(), bad.clone());
            let mut body = person(&c, "Bad", "+7 912 000 00 02");
            body["fields"] = Value::Object(fields);
            let (status, error) = c.admin.post("/api/v1/contacts", body).await;
            assert_eq!((status, error_field(&error)), (StatusCode::UNPROCESSABLE_ENTITY, Some(*key)), "{bad}: {error}");
            assert_eq!(error["error"]["code"], "invalid");

            let (status, error) = c.admin.patch(&card, json!({"fields": {*key: bad}, "name": "Changed"})).await;
            assert_eq!((status, error_field(&error)), (StatusCode::UNPROCESSABLE_ENTITY, Some(*key)), "{bad}: {error}");
            let (_, now) = c.admin.get(&card).await;
            assert_eq!((&now["name"], &now["fields"]), (&json!("Ann Lee"), &Value::Object(stored.clone())));
        }
        assert_eq!(ids(&c.admin.all("/api/v1/contacts").await), [ann_id]);

        // A required field cannot be left out or emptied; an unknown key is refused by name.
        let (status, error) = c.admin.post("/api/v1/contacts", person(&c, "No city", "+7 912 000 00 03")).await;
        assert_eq!((status, error_field(&error)), (StatusCode::UNPROCESSABLE_ENTITY, Some("f_text")), "{error}");
        for empty in [json!(null), json!("   ")] {
            let (status, error) = c.admin.patch(&card, json!({"fields": {"f_text": empty}})).await;
            assert_eq!((status, error_field(&error)), (StatusCode::UNPROCESSABLE_ENTITY, Some("f_text")), "{error}");
        }
        let mut body = person(&c, "Colourful", "+7 912 000 00 04");
        body["fields"] = json!({"f_text": "x", "colour": "red"});
        let (status, error) = c.admin.post("/api/v1/contacts", body).await;
        assert_eq!((status, error_field(&error)), (StatusCode::UNPROCESSABLE_ENTITY, Some("colour")), "{error}");
        assert_eq!(ids(&c.admin.all("/api/v1/contacts").await), [ann_id]);

        // Edits: each field on its own, the others untouched; an optional one can be cleared.
        let mut expected = stored.clone();
        for (key, _, _, _, good, canonical, _) in &cases {
            let (status, edited) = c.admin.patch(&card, json!({"fields": {*key: good}})).await;
            assert_eq!(status, StatusCode::OK, "{key}: {edited}");
            expected.insert(key.to_string(), canonical.clone());
            assert_eq!(edited["fields"], Value::Object(expected.clone()), "{key}");
        }
        let (_, cleared) = c.admin.patch(&card, json!({"fields": {"f_number": null, "f_multi": []}})).await;
        expected.remove("f_number");
        expected.remove("f_multi");
        assert_eq!(cleared["fields"], Value::Object(expected.clone()));
        assert_eq!(c.admin.get(&card).await.1["fields"], Value::Object(expected.clone()));
        // Editing another detail keeps the phone as it was typed.
        let (_, renamed) = c.admin.patch(&card, json!({"name": "Ann Lee-Smith"})).await;
        assert_eq!((&renamed["phone"], &renamed["phone_typed"]), (&json!("+79120000001"), &json!("+7 912 000 00 01")));

        // A type change is refused while a value would not convert, and nothing changes.
        let fields = c.admin.all("/api/v1/fields").await;
        let field = |key: &str| fields.iter().find(|f| f["key"] == key).unwrap().clone();
        let text = field("f_text");
        let as_number = json!({"name": "f text", "key": "f_text", "type": "number", "required": true});
        let (status, error) = c.admin.put(&format!("/api/v1/fields/{}", text["id"]), as_number).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("values_do_not_convert")),
            "{error}"
        );
        assert_eq!(c.admin.get(&format!("/api/v1/fields/{}", text["id"])).await.1["type"], "text");
        assert_eq!(c.admin.get(&card).await.1["fields"]["f_text"], "Москва");
        // Dropping an option in use is refused the same way.
        let single = field("f_single");
        let fewer = json!({"name": "f single", "key": "f_single", "type": "single_choice", "options": ["Vàng", "Bạc"]});
        let (status, error) = c.admin.put(&format!("/api/v1/fields/{}", single["id"]), fewer).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("values_do_not_convert"))
        );
        assert_eq!(
            c.admin.get(&format!("/api/v1/fields/{}", single["id"])).await.1["options"],
            json!(["Vàng", "Bạc", "Đồng"])
        );
        // Values that do convert are converted with the type.
        let code = create_field(&c.admin, json!({"name": "Code", "key": "code", "type": "text"})).await;
        c.admin.patch(&card, json!({"fields": {"code": "0042"}})).await;
        let (status, changed) = c
            .admin
            .put(&format!("/api/v1/fields/{}", code["id"]), json!({"name": "Code", "key": "code", "type": "number"}))
            .await;
        assert_eq!((status, &changed["type"]), (StatusCode::OK, &json!("number")), "{changed}");
        assert_eq!(c.admin.get(&card).await.1["fields"]["code"], 42);
        let (status, _) = c.admin.patch(&card, json!({"fields": {"code": "forty-two"}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the new type's rules apply at once");

        // Managing fields needs `menu.fields`; public ones also `func.global_fields`.
        c.admin.create_staff(c.root, "clerk@acme.test", &["menu.contacts"]).await;
        c.admin.create_staff(c.root, "fields@acme.test", &["menu.fields"]).await;
        c.admin.create_staff(c.root, "global@acme.test", &["menu.fields", "func.global_fields"]).await;
        c.admin.create_staff(c.root, "nobody@acme.test", &["menu.chats"]).await;
        let clerk = login(&c.server, "clerk@acme.test").await;
        let fields_only = login(&c.server, "fields@acme.test").await;
        let global = login(&c.server, "global@acme.test").await;
        let nobody = login(&c.server, "nobody@acme.test").await;
        let new_field = |key: &str| json!({"name": key, "key": key, "type": "text"});
        assert_eq!(clerk.get("/api/v1/fields").await.0, StatusCode::OK, "contacts staff read the fields");
        assert_eq!(clerk.post("/api/v1/fields", new_field("by_clerk")).await.0, StatusCode::FORBIDDEN);
        assert_eq!(nobody.get("/api/v1/fields").await.0, StatusCode::FORBIDDEN);
        assert_eq!(fields_only.post("/api/v1/fields", new_field("public_one")).await.0, StatusCode::FORBIDDEN);
        let mut limited = new_field("limited_one");
        limited["public"] = json!(false);
        limited["department_ids"] = json!([c.root]);
        let limited = create_field(&fields_only, limited).await;
        assert_eq!((&limited["public"], &limited["department_ids"]), (&json!(false), &json!([c.root])));
        let rename = json!({"name": "Renamed", "key": "f_number", "type": "number"});
        let number_id = field("f_number")["id"].clone();
        assert_eq!(
            fields_only.put(&format!("/api/v1/fields/{number_id}"), rename.clone()).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            fields_only.post(&format!("/api/v1/fields/{number_id}/move"), json!({"direction": "up"})).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(global.put(&format!("/api/v1/fields/{number_id}"), rename).await.0, StatusCode::OK);
        create_field(&global, new_field("public_one")).await;
        let (status, error) = global.post("/api/v1/fields", new_field("public_one")).await;
        assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("field_exists")));
    }
}

#[tokio::test]
async fn a_sales_rep_sees_only_the_customers_they_are_responsible_for() {
    for db in testing::all_backends().await {
        let c = company(db).await;
        let sales = c.admin.create_department(c.root, "Sales").await;
        let mut reps = Vec::new();
        for account in ["rep1@acme.test", "rep2@acme.test"] {
            let id = c.admin.create_staff(sales, account, &[]).await;
            let (status, body) = c.admin.patch(&format!("/api/v1/staff/{id}"), json!({"role": "sales_rep"})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            reps.push((id, login(&c.server, account).await));
        }
        let (rep1, rep1_client) = &reps[0];
        let (rep2, _) = &reps[1];
        c.admin.create_staff(sales, "manager@acme.test", &["menu.contacts", "dept.chats", "dept.staff"]).await;
        c.admin.create_staff(sales, "chats@acme.test", &["menu.chats", "dept.chats"]).await;
        let manager = login(&c.server, "manager@acme.test").await;
        let chats_only = login(&c.server, "chats@acme.test").await;

        let of = placed;
        let mine = contact(&c.admin, of("Mine", "+1 415 555 2681", sales, *rep1)).await["id"].as_i64().unwrap();
        let theirs = contact(&c.admin, of("Theirs", "+1 415 555 2682", sales, *rep2)).await["id"].as_i64().unwrap();
        let admins =
            contact(&c.admin, of("Admin's", "+1 415 555 2683", c.root, c.admin_id)).await["id"].as_i64().unwrap();
        // Only a note the rep must not read.
        c.admin.post(&format!("/api/v1/contacts/{theirs}/notes"), json!({"title": "Secret"})).await;

        assert_eq!(ids(&rep1_client.all("/api/v1/contacts").await), [mine]);
        assert_eq!(ids(&manager.all("/api/v1/contacts").await), {
            let mut v = vec![mine, theirs];
            v.sort();
            v
        });
        assert_eq!(ids(&c.admin.all("/api/v1/contacts").await).len(), 3);
        assert_eq!(count_by_source(rep1_client).await, BTreeMap::from([("system".to_string(), 1)]));
        // Searching does not reach further.
        assert!(rep1_client.all("/api/v1/contacts?q=Theirs").await.is_empty());
        assert!(rep1_client.all(&format!("/api/v1/contacts?responsible_staff_id={rep2}")).await.is_empty());

        // Another's customer answers exactly like one that does not exist.
        for other in [theirs, admins, 999_999] {
            let base = format!("/api/v1/contacts/{other}");
            assert_eq!(rep1_client.get(&base).await.0, StatusCode::NOT_FOUND, "GET {base}");
            assert_eq!(rep1_client.patch(&base, json!({"name": "Mine now"})).await.0, StatusCode::NOT_FOUND);
            assert_eq!(rep1_client.delete(&base).await.0, StatusCode::NOT_FOUND);
            assert_eq!(rep1_client.get(&format!("{base}/notes")).await.0, StatusCode::NOT_FOUND);
            assert_eq!(
                rep1_client.post(&format!("{base}/notes"), json!({"title": "Hi"})).await.0,
                StatusCode::NOT_FOUND
            );
            assert_eq!(rep1_client.get(&format!("{base}/timeline")).await.0, StatusCode::NOT_FOUND);
            assert_eq!(
                rep1_client.post(&format!("{base}/merge"), json!({"other_id": mine})).await.0,
                StatusCode::NOT_FOUND
            );
            let (status, body) =
                rep1_client.post(&format!("/api/v1/contacts/{mine}/merge"), json!({"other_id": other})).await;
            assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("other_id")));
        }
        let (_, still) = c.admin.get(&format!("/api/v1/contacts/{theirs}")).await;
        assert_eq!((&still["name"], still["deleted_at"].is_null()), (&json!("Theirs"), true));
        assert_eq!(
            c.admin.get(&format!("/api/v1/contacts/{theirs}/notes")).await.1["items"].as_array().unwrap().len(),
            1
        );

        // Their own customer they keep: edit, note; a new one goes to themselves only.
        assert_eq!(
            rep1_client.patch(&format!("/api/v1/contacts/{mine}"), json!({"name": "Mine!"})).await.0,
            StatusCode::OK
        );
        let (status, body) =
            rep1_client.post("/api/v1/contacts", of("For rep2", "+1 415 555 2684", sales, *rep2)).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("responsible_staff_id")));
        let (status, body) =
            rep1_client.patch(&format!("/api/v1/contacts/{mine}"), json!({"responsible_staff_id": rep2})).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("responsible_staff_id")));
        // A colleague's customer's phone is refused without naming the contact.
        let (status, body) = rep1_client.post("/api/v1/contacts", of("Dup", "+1 415 555 2682", sales, *rep1)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate_contact")));
        assert!(body["error"]["existing_id"].is_null() && body["error"]["link"].is_null(), "{body}");
        let new = contact(rep1_client, of("New", "+1 415 555 2685", sales, *rep1)).await["id"].as_i64().unwrap();
        let mut expected = vec![mine, new];
        expected.sort();
        assert_eq!(ids(&rep1_client.all("/api/v1/contacts").await), expected);
        // Deleted contacts are an administrator's to see.
        assert_eq!(rep1_client.get("/api/v1/contacts?deleted=true").await.0, StatusCode::FORBIDDEN);

        // The export holds the same rows as the list.
        let (status, _, csv) = download(rep1_client, "/api/v1/exports/contacts?columns=name,phone").await;
        assert_eq!(status, StatusCode::OK);
        let (_, rows) = read_sheet(&csv, "csv");
        assert_eq!(rows, [["New", "+14155552685"], ["Mine!", "+14155552681"]]);

        // Without `menu.contacts` the list and the card are closed.
        assert_eq!(chats_only.get("/api/v1/contacts").await.0, StatusCode::FORBIDDEN);
        assert_eq!(chats_only.get(&format!("/api/v1/contacts/{mine}")).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            chats_only.post("/api/v1/contacts", of("X", "+1 415 555 2686", sales, *rep1)).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(download(&chats_only, "/api/v1/exports/contacts").await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            upload(&chats_only, "c.csv", b"name,phone\nA,+14155552687\n".to_vec()).await.0,
            StatusCode::FORBIDDEN
        );

        // A sales rep also granted their department's chats still sees only their own
        // customers (PERM-5), while the manager of the department sees them all.
        let (_, grants) = c.admin.get(&format!("/api/v1/staff/{rep1}/grants")).await;
        let mut grants = grants["grants"].as_array().unwrap().clone();
        grants.push(json!("dept.chats"));
        let (status, body) = c.admin.put(&format!("/api/v1/staff/{rep1}/grants"), json!({"grants": grants})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rep1_client = login(&c.server, "rep1@acme.test").await;
        assert_eq!(ids(&rep1_client.all("/api/v1/contacts").await), expected);
        assert_eq!(rep1_client.get(&format!("/api/v1/contacts/{theirs}")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(ids(&manager.all("/api/v1/contacts").await), {
            let mut v = vec![mine, theirs, new];
            v.sort();
            v
        });
    }
}

#[tokio::test]
async fn a_sales_rep_sees_the_card_of_a_new_customer_offered_to_them() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let mut reps = Vec::new();
        for account in ["ana@acme.test", "bo@acme.test"] {
            let id = s.admin.create_staff(s.root, account, &["menu.chats", "dept.chats"]).await;
            let (status, body) = s.admin.patch(&format!("/api/v1/staff/{id}"), json!({"role": "sales_rep"})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            reps.push((id, login(&s.server, account).await));
        }
        let (ana, ana_client) = &reps[0];
        let (_, bo_client) = &reps[1];
        let (status, body) = s
            .admin
            .put(
                &format!("/api/v1/numbers/{}/distribution", s.number),
                json!({"mode": "first_responder", "staff_ids": [ana]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let own = |name: &str, phone: &str| placed(name, phone, s.root, *ana);
        contact(&s.admin, own("Zoe", "+84 91 234 5001")).await;
        contact(&s.admin, own("Linh", "+84 91 234 5002")).await;
        s.simulator.customer_writes("84901234567", "Lan", "Chào shop").await.unwrap();
        let customer = s.admin.all("/api/v1/conversations").await[0]["contact"]["id"].as_i64().unwrap();
        contact(&s.admin, own("Minh", "+84 91 234 5003")).await;

        // Offered to Ana and claimed by nobody yet: she sees the card beside the chat; Bo,
        // to whom nothing is offered, does not.
        let names =
            |items: Vec<Value>| items.iter().map(|i| i["name"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
        // Her own customers and the offered one are one list, in every order and however
        // the pages (two at a time) fall between them.
        assert_eq!(names(ana_client.all("/api/v1/contacts").await), ["Minh", "Lan", "Linh", "Zoe"]);
        assert_eq!(names(ana_client.all("/api/v1/contacts?sort=name").await), ["Lan", "Linh", "Minh", "Zoe"]);
        assert_eq!(
            names(ana_client.all("/api/v1/contacts?sort=name&order=desc").await),
            ["Zoe", "Minh", "Linh", "Lan"]
        );
        assert_eq!(names(ana_client.all("/api/v1/contacts?q=l").await), ["Lan", "Linh"]);
        assert!(ids(&ana_client.all("/api/v1/contacts").await).contains(&customer));
        assert_eq!(ana_client.get(&format!("/api/v1/contacts/{customer}")).await.0, StatusCode::OK);
        let (status, timeline) = ana_client.get(&format!("/api/v1/contacts/{customer}/timeline")).await;
        assert_eq!((status, timeline["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
        assert!(bo_client.all("/api/v1/contacts").await.is_empty());
        assert_eq!(bo_client.get(&format!("/api/v1/contacts/{customer}")).await.0, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_filter_and_its_export_find_exactly_the_matching_contacts() {
    for db in testing::all_backends().await {
        let c = company(db).await;
        set_country(&c, "VN").await;
        create_field(
            &c.admin,
            json!({"name": "Tier", "key": "tier", "type": "single_choice", "options": ["Gold", "Silver", "Bronze"]}),
        )
        .await;
        create_field(&c.admin, json!({"name": "Score", "key": "score", "type": "number"})).await;
        create_field(&c.admin, json!({"name": "Birthday", "key": "birthday", "type": "date"})).await;

        // name, tier, score, birthday, whether the filter below matches it.
        let people = [
            ("Anna", Some("Gold"), Some("10"), Some("1990-05-01"), true),
            ("Bảo", Some("silver"), Some("50"), Some("31.12.1999"), true),
            ("Chi", Some("Bronze"), Some("30"), Some("1980-01-01"), false),
            ("Dũng", Some("Gold"), Some("51"), Some("1985-01-01"), false),
            ("Emil", Some("Silver"), Some("25"), Some("2000-01-01"), false),
            ("Fang", Some("Gold"), Some("9,5"), Some("1970-01-01"), false),
            ("Giang", None, Some("20"), Some("1990-01-01"), false),
            ("Hoa", Some("Gold"), Some("30"), None, false),
            ("Ion", Some("GOLD"), Some("42.5"), Some("1999-01-01"), true),
            ("Kim", Some("Silver"), None, Some("1995-06-15"), false),
        ];
        let mut by_name = BTreeMap::new();
        for (i, (name, tier, score, birthday, _)) in people.iter().enumerate() {
            let mut fields = Map::new();
            for (key, value) in [("tier", tier), ("score", score), ("birthday", birthday)] {
                if let Some(v) = value {
                    fields.insert(key.into(), json!(v));
                }
            }
            let mut body = person(&c, name, &format!("090 123 45{i:02}"));
            body["fields"] = Value::Object(fields);
            by_name.insert(*name, contact(&c.admin, body).await);
        }
        let filter = json!([
            {"field": "tier", "op": "any_of", "value": ["gold", "Silver"]},
            {"field": "score", "op": "between", "value": ["10", 50]},
            {"field": "birthday", "op": "lt", "value": "01.01.2000"},
        ])
        .to_string();
        let list = c.admin.all(&format!("/api/v1/contacts?filter={}", enc(&filter))).await;
        let expected: BTreeSet<_> =
            people.iter().filter(|p| p.4).map(|p| by_name[p.0]["id"].as_i64().unwrap()).collect();
        assert_eq!(ids(&list).into_iter().collect::<BTreeSet<_>>(), expected);
        // Other shapes of condition.
        let names = |items: &[Value]| -> BTreeSet<String> {
            items.iter().map(|i| i["name"].as_str().unwrap().to_string()).collect()
        };
        let cases = [
            (json!([{"field": "birthday", "op": "empty"}]), vec!["Hoa"]),
            (json!([{"field": "tier", "op": "ne", "value": "gold"}]), vec!["Bảo", "Chi", "Emil", "Giang", "Kim"]),
            (
                json!([
                    {"field": "score", "op": "gt", "value": "30"},
                    {"field": "name", "op": "contains", "value": "N"},
                ]),
                vec!["Dũng", "Ion"],
            ),
            (json!([{"field": "phone", "op": "eq", "value": "0901234502"}]), vec!["Chi"]),
            (
                json!([{"field": "birthday", "op": "between", "value": ["1990-01-01", "1995-06-15"]}]),
                vec!["Anna", "Giang", "Kim"],
            ),
        ];
        for (conditions, want) in cases {
            let got = names(&c.admin.all(&format!("/api/v1/contacts?filter={}", enc(&conditions.to_string()))).await);
            assert_eq!(got, want.into_iter().map(String::from).collect::<BTreeSet<_>>(), "{conditions}");
        }

        // A filter naming an unknown field or a wrong operator is refused by name.
        let refusals = [
            (json!([{"field": "colour", "op": "eq", "value": "red"}]), "filter.colour"),
            (json!([{"field": "tier", "op": "gt", "value": "Gold"}]), "filter.tier"),
            (json!([{"field": "name", "op": "like", "value": "A%"}]), "filter.name"),
            (json!([{"field": "score", "op": "eq", "value": "many"}]), "filter.score"),
            (json!([{"field": "tier", "op": "eq", "value": "Platinum"}]), "filter.tier"),
            (json!({"field": "tier"}), "filter"),
        ];
        for (conditions, field) in refusals {
            let path = format!("/api/v1/contacts?filter={}", enc(&conditions.to_string()));
            let (status, body) = c.admin.get(&path).await;
            assert_eq!(
                (status, error_field(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{conditions}: {body}"
            );
            let (status, _, _) =
                download(&c.admin, &format!("/api/v1/exports/contacts?filter={}", enc(&conditions.to_string()))).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the export refuses it too");
        }
        let (status, body) = c
            .admin
            .get(&format!("/api/v1/contacts?filter={}", enc("[{\"field\":\"colour\",\"op\":\"eq\",\"value\":1}]")))
            .await;
        assert!(body["error"]["message"].as_str().unwrap().contains("colour"), "{status} {body}");

        // The export is the filtered list: same rows in the same order, headed by the labels.
        let listed: Vec<Vec<String>> = list
            .iter()
            .map(|i| {
                vec![
                    i["name"].as_str().unwrap().to_string(),
                    i["phone"].as_str().unwrap().to_string(),
                    i["responsible_name"].as_str().unwrap().to_string(),
                    i["source"].as_str().unwrap().to_string(),
                ]
            })
            .collect();
        let (status, content_type, csv) =
            download(&c.admin, &format!("/api/v1/exports/contacts?filter={}&format=csv", enc(&filter))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let (headers, rows) = read_sheet(&csv, "csv");
        assert_eq!(headers, ["Name", "Phone", "Responsible", "Source", "Created"]);
        assert_eq!(rows.iter().map(|r| r[..4].to_vec()).collect::<Vec<_>>(), listed);
        assert_eq!(
            rows.iter().map(|r| r[4].clone()).collect::<Vec<_>>(),
            list.iter().map(|i| i["created_at"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        );

        let columns = "name,phone,tier,score,birthday";
        let (status, content_type, xlsx) = download(
            &c.admin,
            &format!("/api/v1/exports/contacts?filter={}&format=xlsx&columns={columns}", enc(&filter)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.contains("spreadsheetml"), "{content_type}");
        assert!(xlsx.len() > 100 && xlsx.starts_with(b"PK"), "an XLSX file is a zip");
        let (headers, rows) = read_sheet(&xlsx, "xlsx");
        assert_eq!(headers, ["Name", "Phone", "Tier", "Score", "Birthday"]);
        let expected: Vec<Vec<String>> = list
            .iter()
            .map(|i| {
                let f = &i["fields"];
                vec![
                    i["name"].as_str().unwrap().to_string(),
                    i["phone"].as_str().unwrap().to_string(),
                    f["tier"].as_str().unwrap().to_string(),
                    f["score"].to_string(),
                    f["birthday"].as_str().unwrap().to_string(),
                ]
            })
            .collect();
        assert_eq!(rows, expected);
        assert!(rows.iter().any(|r| r == &["Ion", "+84901234508", "Gold", "42.5", "1999-01-01"]), "{rows:?}");

        // Without a filter: everything, sorted as asked.
        let (_, _, csv) = download(&c.admin, "/api/v1/exports/contacts?columns=name&sort=name&order=desc").await;
        let (headers, rows) = read_sheet(&csv, "csv");
        assert_eq!(headers, ["Name"]);
        let mut all: Vec<_> = people.iter().map(|p| vec![p.0.to_string()]).collect();
        all.sort();
        all.reverse();
        assert_eq!(rows, all);
        let (status, _, _) = download(&c.admin, "/api/v1/exports/contacts?format=pdf").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// A broken import row: how it is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Broken {
    BadPhone,
    NoName,
    BadDate,
    UnknownChoice,
    DuplicatePhone,
}

const ROWS: usize = 10_000;
const HEADERS: [&str; 6] = ["Họ tên", "Số điện thoại", "Email", "Ngày sinh", "Hạng", "Ghi chú"];

fn local_phone(i: usize) -> String {
    let digits = format!("090{i:07}");
    match i % 3 {
        0 => digits,
        1 => format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..]),
        _ => format!("+84 {} {}", &digits[1..3], &digits[3..]),
    }
}

/// 10,000 rows, semicolon-separated with Excel's BOM; records 13, 46 and 81 of every hundred
/// (counting from 0) are broken, in turn one of the five ways. Answers the file and, by
/// spreadsheet row number, how each broken row is broken.
/// The last cell of every row of [`import_file`].
const NOTE: &str = "x, y; \"quoted\"";

fn import_file() -> (Vec<u8>, BTreeMap<usize, Broken>) {
    let kinds = [Broken::BadPhone, Broken::NoName, Broken::BadDate, Broken::UnknownChoice, Broken::DuplicatePhone];
    let tiers = ["vàng", "BẠC", "Đồng", ""];
    let mut text = String::from("\u{feff}");
    text.push_str(&HEADERS.join(";"));
    text.push_str("\r\n");
    let mut broken = BTreeMap::new();
    for i in 0..ROWS {
        let row = i + 2;
        let mut name = format!("Khách hàng {i}");
        let mut phone = local_phone(i);
        let email = if i % 2 == 0 { format!("khach{i}@example.vn") } else { String::new() };
        let mut birthday =
            if i % 5 == 4 { String::new() } else { format!("{:02}.{:02}.{}", i % 28 + 1, i % 12 + 1, 1950 + i % 50) };
        let mut tier = tiers[i % 4].to_string();
        if [13, 46, 81].contains(&(i % 100)) {
            let kind = kinds[broken.len() % kinds.len()];
            match kind {
                Broken::BadPhone => phone = "090 123".into(),
                Broken::NoName => name = "  ".into(),
                Broken::BadDate => birthday = "30.02.1990".into(),
                Broken::UnknownChoice => tier = "Kim cương".into(),
                // The row before, typed another way.
                Broken::DuplicatePhone => phone = format!("+84 90 {:07}", i - 1),
            }
            broken.insert(row, kind);
        }
        text.push_str(
            &[name, phone, email, birthday, tier, NOTE.replace('"', "\"\"")]
                .map(|cell| if cell.contains([';', '"']) { format!("\"{cell}\"") } else { cell })
                .join(";"),
        );
        text.push_str("\r\n");
    }
    (text.into_bytes(), broken)
}

#[tokio::test]
async fn an_import_of_ten_thousand_rows_takes_the_good_ones_and_reports_the_broken_ones() {
    for db in testing::all_backends().await {
        let c = company(db).await;
        set_country(&c, "VN").await;
        create_field(&c.admin, json!({"name": "Ngày sinh", "key": "birthday", "type": "date"})).await;
        create_field(
            &c.admin,
            json!({"name": "Hạng", "key": "tier", "type": "single_choice", "options": ["Vàng", "Bạc", "Đồng"]}),
        )
        .await;
        let sales = c.admin.create_department(c.root, "Sales").await;
        let a = c.admin.create_staff(c.root, "a@acme.test", &[]).await;
        let b = c.admin.create_staff(sales, "b@acme.test", &[]).await;
        let (file, broken) = import_file();
        assert_eq!(broken.len(), ROWS * 3 / 100);

        // Uploading reads the headers and suggests a mapping; nothing is imported yet.
        let (status, uploaded) = upload(&c.admin, "contacts.csv", file.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{uploaded}");
        let id = uploaded["id"].as_i64().unwrap();
        assert_eq!(uploaded["status"], "mapping");
        assert_eq!(uploaded["headers"], json!(HEADERS));
        assert_eq!(uploaded["total_rows"], ROWS);
        let mapping = json!(["name", "phone", "email", "birthday", "tier", null]);
        assert_eq!(uploaded["mapping"], mapping);
        assert_eq!(
            uploaded["preview"][0],
            json!(["Khách hàng 0", "0900000000", "khach0@example.vn", "01.01.1950", "vàng", NOTE])
        );
        assert!(count_by_source(&c.admin).await.is_empty());

        // Name and phone must be mapped; the staff must be real.
        let (status, body) = c
            .admin
            .post(
                &format!("/api/v1/imports/{id}/start"),
                json!({"mapping": ["name", null, "email"], "staff_ids": [a, b]}),
            )
            .await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("mapping")), "{body}");
        let (status, body) = c
            .admin
            .post(&format!("/api/v1/imports/{id}/start"), json!({"mapping": mapping, "staff_ids": [a, 999_999]}))
            .await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("staff_ids")), "{body}");

        // The last column, with quotes, a comma and a semicolon, fills the address (on
        // PostgreSQL it reaches the table through COPY's CSV, which must keep it intact).
        let mapping = json!(["name", "phone", "email", "birthday", "tier", "address"]);
        let (status, started) = c
            .admin
            .post(&format!("/api/v1/imports/{id}/start"), json!({"mapping": mapping, "staff_ids": [a, b]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let (done, took) = wait_done(&c.admin, id).await;
        eprintln!("{:?}: 10,000 rows imported in {took:?}", c.server.db.backend());
        assert_eq!(
            (&done["imported"], &done["rejected"], &done["processed_rows"], &done["total_rows"]),
            (&json!(9_700), &json!(300), &json!(ROWS), &json!(ROWS)),
            "{done}"
        );
        let (status, body) =
            c.admin.post(&format!("/api/v1/imports/{id}/start"), json!({"mapping": mapping, "staff_ids": [a]})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("import_started")));
        assert_eq!(count_by_source(&c.admin).await, BTreeMap::from([("import".to_string(), 9_700)]));
        let first = c.admin.all("/api/v1/contacts?q=khach0@example.vn").await;
        assert_eq!((first.len(), &first[0]["address"]), (1, &json!(NOTE)));

        // The report lists exactly the broken rows, each with its column and reason.
        let (status, content_type, report) = download(&c.admin, &format!("/api/v1/imports/{id}/rejections")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let (headers, rows) = read_sheet(&report, "csv");
        assert_eq!(headers[..3], ["row", "column", "reason"]);
        assert_eq!(headers[3..], HEADERS);
        let reported: Vec<usize> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
        assert_eq!(reported, broken.keys().copied().collect::<Vec<_>>());
        for r in &rows {
            let number: usize = r[0].parse().unwrap();
            let (column, reason) = (r[1].as_str(), r[2].as_str());
            let i = number - 2;
            let ok = match broken[&number] {
                Broken::BadPhone => column == "Số điện thoại" && reason.contains("`090 123`"),
                Broken::NoName => column == "Họ tên" && reason == "is required",
                Broken::BadDate => column == "Ngày sinh" && reason.contains("`30.02.1990` is not a date"),
                Broken::UnknownChoice => column == "Hạng" && reason.contains("`Kim cương` is not one of the choices"),
                Broken::DuplicatePhone => {
                    column == "Số điện thoại"
                        && (reason == format!("duplicate: row {} has this phone number", number - 1)
                            || reason.starts_with("duplicate: contact #"))
                }
            };
            assert!(ok, "row {number} ({:?}): {column} / {reason}", broken[&number]);
            // The row's own cells follow, to fix and import again.
            assert_eq!(
                r[3],
                if broken[&number] == Broken::NoName { "  ".to_string() } else { format!("Khách hàng {i}") }
            );
        }

        // The contacts: normalised, typed values canonical, handed in turn to both staff, each
        // in their department.
        let columns = "name,phone,email,birthday,tier,source,responsible_staff_id,department_id";
        let (_, _, export) =
            download(&c.admin, &format!("/api/v1/exports/contacts?columns={columns}&sort=phone")).await;
        let (_, rows) = read_sheet(&export, "csv");
        assert_eq!(rows.len(), 9_700);
        let mut per_staff = BTreeMap::new();
        for r in &rows {
            *per_staff.entry((r[6].clone(), r[7].clone())).or_insert(0) += 1;
        }
        assert_eq!(
            per_staff.keys().cloned().collect::<Vec<_>>(),
            [("a@acme.test".to_string(), "Acme".to_string()), ("b@acme.test".to_string(), "Sales".to_string())]
        );
        // In turn over the imported contacts: rejected rows do not unbalance the split.
        let counts: Vec<i32> = per_staff.values().copied().collect();
        assert_eq!(counts, [4_850, 4_850], "evenly: {per_staff:?}");
        assert_eq!(
            rows[0],
            [
                "Khách hàng 0",
                "+84900000000",
                "khach0@example.vn",
                "1950-01-01",
                "Vàng",
                "import",
                "a@acme.test",
                "Acme"
            ]
            .map(String::from)
        );
        assert_eq!(rows[1][..5], ["Khách hàng 1", "+84900000001", "", "1951-02-02", "Bạc"].map(String::from));
        assert_eq!(rows[3][..5], ["Khách hàng 3", "+84900000003", "", "1953-04-04", ""].map(String::from));
        let by_phone = json!([{"field": "phone", "op": "eq", "value": "090 000 0002"}]).to_string();
        let found = c.admin.all(&format!("/api/v1/contacts?filter={}", enc(&by_phone))).await;
        assert_eq!(found.len(), 1);
        let found = &found[0];
        assert_eq!(
            (&found["phone"], &found["phone_typed"], &found["fields"]),
            (&json!("+84900000002"), &json!("+84 90 0000002"), &json!({"birthday": "1952-03-03", "tier": "Đồng"}))
        );

        // The same file again adds nobody.
        let (status, again) = upload(&c.admin, "contacts.csv", file).await;
        assert_eq!(status, StatusCode::CREATED);
        let again = again["id"].as_i64().unwrap();
        let (status, _) = c
            .admin
            .post(&format!("/api/v1/imports/{again}/start"), json!({"mapping": mapping, "staff_ids": [b]}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (done, _) = wait_done(&c.admin, again).await;
        let history = c.admin.all("/api/v1/imports").await;
        assert_eq!(ids(&history), [id, again]);
        assert!(history.iter().all(|i| i["status"] == "done" && i["file_name"] == "contacts.csv"));
        assert_eq!((&done["imported"], &done["rejected"]), (&json!(0), &json!(ROWS)), "{done}");
        assert_eq!(count_by_source(&c.admin).await, BTreeMap::from([("import".to_string(), 9_700)]));
        let (_, _, report) = download(&c.admin, &format!("/api/v1/imports/{again}/rejections")).await;
        let (_, rows) = read_sheet(&report, "csv");
        assert_eq!(rows.len(), ROWS);
        assert!(
            rows.iter()
                .filter(|r| !broken.contains_key(&r[0].parse().unwrap()))
                .all(|r| r[2].starts_with("duplicate: contact #"))
        );
    }
}

#[tokio::test]
async fn notes_are_their_authors_and_the_timeline_mixes_them_with_chats() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let hour_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 3600;
        s.simulator.customer_writes_at("84901234567", "Lan", "Chào shop", hour_ago).await.unwrap();
        let chat = &s.admin.all("/api/v1/conversations").await[0];
        let customer = chat["contact"]["id"].as_i64().unwrap();
        let notes = format!("/api/v1/contacts/{customer}/notes");
        s.admin.create_staff(s.root, "colleague@acme.test", &["menu.contacts", "dept.chats"]).await;
        let colleague = login(&s.server, "colleague@acme.test").await;

        let (status, admins) = s.admin.post(&notes, json!({"title": "Called her", "body": "Wants the blue one"})).await;
        assert_eq!(status, StatusCode::CREATED, "{admins}");
        assert_eq!((&admins["author_name"], &admins["contact_id"]), (&json!("Admin"), &json!(customer)));
        let (status, theirs) = colleague.post(&notes, json!({"title": "Sent the catalogue"})).await;
        assert_eq!(status, StatusCode::CREATED, "{theirs}");
        let (status, body) = colleague.post(&notes, json!({"title": "  ", "body": "no title"})).await;
        assert_eq!((status, error_field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("title")));

        // Edit and delete one's own; another's is refused and stays as it was.
        let theirs_path = format!("{notes}/{}", theirs["id"]);
        let admins_path = format!("{notes}/{}", admins["id"]);
        let (status, edited) =
            colleague.patch(&theirs_path, json!({"title": "Sent the catalogue (PDF)", "body": "by e-mail"})).await;
        assert_eq!(
            (status, &edited["title"], &edited["body"]),
            (StatusCode::OK, &json!("Sent the catalogue (PDF)"), &json!("by e-mail"))
        );
        assert_eq!(colleague.patch(&admins_path, json!({"title": "Mine now"})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(colleague.delete(&admins_path).await.0, StatusCode::FORBIDDEN);
        assert_eq!(s.admin.patch(&theirs_path, json!({"title": "Corrected"})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(colleague.patch(&format!("{notes}/999999"), json!({"title": "x"})).await.0, StatusCode::NOT_FOUND);
        let (_, listed) = colleague.get(&notes).await;
        let titles: Vec<_> = listed["items"].as_array().unwrap().iter().map(|n| n["title"].clone()).collect();
        assert_eq!(titles, ["Sent the catalogue (PDF)", "Called her"], "newest first, nothing changed by others");

        // The timeline: notes and the chat, latest first.
        let (status, timeline) = colleague.get(&format!("/api/v1/contacts/{customer}/timeline")).await;
        assert_eq!(status, StatusCode::OK);
        let items = timeline["items"].as_array().unwrap();
        let kinds: Vec<_> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["note", "note", "conversation"], "{timeline}");
        assert_eq!(items[0]["note"]["id"], theirs["id"]);
        assert_eq!(items[2]["conversation"]["id"], chat["id"]);
        assert_eq!(items[2]["conversation"]["last_message_text"], "Chào shop");
        let at = |e: &Value| {
            time::OffsetDateTime::parse(e["at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        assert!(items.windows(2).all(|w| at(&w[0]) >= at(&w[1])), "{timeline}");

        assert_eq!(colleague.delete(&theirs_path).await.0, StatusCode::NO_CONTENT);
        assert_eq!(colleague.delete(&theirs_path).await.0, StatusCode::NOT_FOUND);
        let (_, timeline) = s.admin.get(&format!("/api/v1/contacts/{customer}/timeline")).await;
        let kinds: Vec<_> = timeline["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["note", "conversation"]);

        // A deleted contact's notes and card are gone with it.
        assert_eq!(s.admin.delete(&format!("/api/v1/contacts/{customer}")).await.0, StatusCode::NO_CONTENT);
        assert_eq!(colleague.get(&notes).await.0, StatusCode::NOT_FOUND);
        assert_eq!(colleague.post(&notes, json!({"title": "Late"})).await.0, StatusCode::NOT_FOUND);
    }
}

/// `00` is the international prefix in most of the world: with the default country left as it
/// is (US, which dials 011), `0084…` is the Vietnamese number it means, so a second contact
/// typed that way is the duplicate it is.
#[tokio::test]
async fn a_number_typed_with_00_is_read_as_international_and_found_as_a_duplicate() {
    for db in testing::all_backends().await {
        let c = company(db).await;
        let first = contact(&c.admin, person(&c, "Lan", "0084912345678")).await;
        assert_eq!(first["phone"], "+84912345678", "{first}");
        let (status, body) = c.admin.post("/api/v1/contacts", person(&c, "Lan again", "+84 91 234 56 78")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate_contact")));
        assert_eq!(body["error"]["existing_id"], first["id"]);
    }
}
