//! Customers and extended fields on every configured backend: duplicates, merge, soft delete,
//! scoped visibility, and the filter builder's SQL held to the domain's reference meaning.

mod common;

use common::{company, member, scope_of};
use proptest::prelude::*;
use rapport_domain::Grant;
use rapport_domain::contact_filter::{self, ContactRecord, Filter, RawCondition};
use rapport_domain::fields::{FieldDef, FieldType};
use rapport_storage::contact_fields::{self, FieldSettings};
use rapport_storage::contacts::{self, Contact, ContactInput, Cursor, ListQuery, Sort};
use rapport_storage::departments::{self, NewDepartment};
use rapport_storage::{Db, Scope, StorageError, contact_notes, testing};
use serde_json::{Map, Value, json};

fn input(name: &str, phone: &str, department_id: i64, responsible: Option<i64>) -> ContactInput {
    ContactInput {
        name: name.into(),
        phone: phone.into(),
        phone_typed: phone.into(),
        department_id,
        responsible_staff_id: responsible,
        email: String::new(),
        address: String::new(),
        source: "system".into(),
        fields: Map::new(),
    }
}

fn account(db: &Db, name: &str) -> String {
    format!("{name}-{:?}@acme", db.backend())
}

#[tokio::test]
async fn a_second_contact_with_the_same_phone_is_refused_and_merging_moves_everything() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &account(&db, "dup")).await;
        let ann = contacts::create(&db, &c.scope, &c.actor, input("Ann", "+79123456789", c.root, None)).await.unwrap();
        let again = contacts::create(&db, &c.scope, &c.actor, input("Ann B", "+79123456789", c.root, None)).await;
        assert!(matches!(again, Err(StorageError::DuplicateContact(id)) if id == ann.id), "{again:?}");
        // A second record of the same person under another number, with details Ann lacks.
        let mut other = input("Ann (work)", "+79123450000", c.root, None);
        other.email = "ann@example.com".into();
        other.fields.insert("city".into(), json!("Kazan"));
        let other = contacts::create(&db, &c.scope, &c.actor, other).await.unwrap();
        contact_notes::create(&db, &c.scope, &c.actor, other.id, "Called", "wants a quote").await.unwrap();
        // Editing Ann onto the other's phone is refused too, naming the other.
        let clash = contacts::update(&db, &c.scope, &c.actor, ann.id, input("Ann", "+79123450000", c.root, None)).await;
        assert!(matches!(clash, Err(StorageError::DuplicateContact(id)) if id == other.id), "{clash:?}");

        let merged = contacts::merge(&db, &c.scope, &c.actor, ann.id, other.id).await.unwrap();
        assert_eq!(merged.name, "Ann");
        assert_eq!(merged.phone, "+79123456789");
        assert_eq!(merged.email, "ann@example.com");
        assert_eq!(merged.fields["city"], json!("Kazan"));
        let notes = contact_notes::list(&db, &c.scope, ann.id).await.unwrap();
        assert_eq!(notes.iter().map(|n| n.title.as_str()).collect::<Vec<_>>(), ["Called"]);
        assert!(matches!(contacts::get(&db, &c.scope, other.id).await, Err(StorageError::NotFound)));
        // The merged-away phone is free again.
        contacts::create(&db, &c.scope, &c.actor, input("New", "+79123450000", c.root, None)).await.unwrap();
    }
}

#[tokio::test]
async fn a_deleted_contact_leaves_the_list_and_comes_back_when_restored() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &account(&db, "del")).await;
        let ann = contacts::create(&db, &c.scope, &c.actor, input("Ann", "+40722123456", c.root, None)).await.unwrap();
        contacts::delete(&db, &c.scope, &c.actor, ann.id).await.unwrap();
        let live = |deleted| ListQuery { limit: 10, deleted, ..ListQuery::default() };
        assert!(contacts::list(&db, &c.scope, &live(false)).await.unwrap().items.is_empty());
        assert_eq!(contacts::list(&db, &c.scope, &live(true)).await.unwrap().items.len(), 1);
        assert!(matches!(contacts::get(&db, &c.scope, ann.id).await, Err(StorageError::NotFound)));
        // Its phone still belongs to it: a new contact with it is refused, pointing at it.
        let again = contacts::create(&db, &c.scope, &c.actor, input("Ann", "+40722123456", c.root, None)).await;
        assert!(matches!(again, Err(StorageError::DuplicateContact(id)) if id == ann.id));
        contacts::restore(&db, &c.scope, &c.actor, ann.id).await.unwrap();
        assert_eq!(contacts::list(&db, &c.scope, &live(false)).await.unwrap().items.len(), 1);
    }
}

#[tokio::test]
async fn staff_see_their_own_customers_and_those_their_chat_reach_covers() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &account(&db, "scope")).await;
        let dept = |name: &'static str, parent: i64| {
            let (db, c) = (&db, &c);
            async move {
                departments::create(db, &c.scope, &c.actor, NewDepartment { parent_id: parent, name, introduction: "" })
                    .await
                    .unwrap()
                    .id
            }
        };
        let sales = dept("Sales", c.root).await;
        let east = dept("East", sales).await;
        let support = dept("Support", c.root).await;
        let manager = member(&db, &c, sales, &account(&db, "manager"), &[Grant::DeptChats, Grant::SubdeptChats]).await;
        let rep = member(&db, &c, east, &account(&db, "rep"), &[]).await;
        let helper = member(&db, &c, support, &account(&db, "helper"), &[]).await;
        let mut phone = 79123450000_i64;
        let mut add = async |name: &str, department: i64, responsible: Option<i64>| {
            phone += 1;
            contacts::create(&db, &c.scope, &c.actor, input(name, &format!("+{phone}"), department, responsible))
                .await
                .unwrap()
                .id
        };
        let reps_own = add("rep's own", east, Some(rep)).await;
        let east_pool = add("east pool", east, None).await;
        // Kept in Support but handled by the rep: the manager reaches it through the rep.
        let handled_by_rep = add("handled by rep", support, Some(rep)).await;
        let support_own = add("support's", support, Some(helper)).await;
        let root_pool = add("root pool", c.root, None).await;

        let ids = async |staff_id: i64| {
            let scope = scope_of(&db, c.scope.company_id(), staff_id).await;
            let page = contacts::list(&db, &scope, &ListQuery { limit: 50, ..ListQuery::default() }).await.unwrap();
            let mut ids: Vec<i64> = page.items.iter().map(|x| x.id).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(rep).await, [reps_own, handled_by_rep]);
        assert_eq!(ids(manager).await, [reps_own, east_pool, handled_by_rep]);
        assert_eq!(ids(helper).await, [support_own]);
        assert_eq!(ids(c.actor.staff_id.unwrap()).await, [reps_own, east_pool, handled_by_rep, support_own, root_pool]);
        // Out of scope reads exactly like missing.
        let rep_scope = scope_of(&db, c.scope.company_id(), rep).await;
        assert!(matches!(contacts::get(&db, &rep_scope, support_own).await, Err(StorageError::NotFound)));
    }
}

// ---- The filter builder against the reference meaning ----

fn catalogue() -> Vec<FieldSettings> {
    let field = |key: &str, field_type: FieldType, options: &[&str]| FieldSettings {
        key: key.into(),
        name: key.into(),
        field_type,
        options: options.iter().map(|o| o.to_string()).collect(),
        tip: String::new(),
        required: false,
        public: true,
        enabled: true,
        department_ids: Vec::new(),
    };
    vec![
        field("city", FieldType::SingleChoice, &["Hà Nội", "Saigon", "Huế"]),
        field("tags", FieldType::MultipleChoice, &["vip", "new", "wholesale"]),
        field("budget", FieldType::Number, &[]),
        field("birthday", FieldType::Date, &[]),
        field("met_at", FieldType::DateTime, &[]),
        field("note", FieldType::Text, &[]),
        field("subscribed", FieldType::YesNo, &[]),
        field("mobile", FieldType::Phone, &[]),
    ]
}

const NAMES: [&str; 8] = ["Ivan", "ivan petrov", "Иван", "Nguyễn An", "ANNA", "anna_b", "50% off", "Zoë"];
const NOTES: [&str; 5] = ["call back", "Call Monday", "10%_discount", "wholesale", "ĐÃ gọi"];
const BUDGETS: [f64; 5] = [0.0, 12.0, 12.5, -3.0, 1000.0];
const DAYS: [&str; 4] = ["1990-01-31", "1990-02-01", "2001-12-31", "2024-02-29"];
const TIMES: [&str; 3] = ["2024-05-01T08:00:00Z", "2024-05-01T23:59:59Z", "2023-01-01T00:00:00Z"];

/// A deterministic mix of values, each column empty now and then.
fn sample_contact(i: usize, department: i64, staff: &[i64]) -> ContactInput {
    let pick = |n: usize, salt: usize| (i * 7 + salt * 13 + i / 3) % n;
    let mut fields = Map::new();
    let mut set = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            fields.insert(key.to_string(), v);
        }
    };
    let cities = ["Hà Nội", "Saigon", "Huế"];
    set("city", (pick(4, 1) < 3).then(|| json!(cities[pick(3, 2)])));
    let tags: Vec<&str> = ["vip", "new", "wholesale"]
        .into_iter()
        .enumerate()
        .filter(|(k, _)| (i >> k) & 1 == 1)
        .map(|(_, t)| t)
        .collect();
    set("tags", (!tags.is_empty()).then(|| json!(tags)));
    set(
        "budget",
        (pick(6, 3) < 5).then(|| {
            let b = BUDGETS[pick(5, 4)];
            if b.fract() == 0.0 { json!(b as i64) } else { json!(b) }
        }),
    );
    set("birthday", (pick(5, 5) < 4).then(|| json!(DAYS[pick(4, 6)])));
    set("met_at", (pick(4, 7) < 3).then(|| json!(TIMES[pick(3, 8)])));
    set("note", (pick(6, 9) < 5).then(|| json!(NOTES[pick(5, 10)])));
    set("subscribed", (pick(3, 11) < 2).then(|| json!(pick(2, 12) == 0)));
    set("mobile", (pick(3, 13) == 0).then(|| json!(format!("+8491234{:04}", i))));
    ContactInput {
        name: NAMES[pick(8, 14)].into(),
        phone: format!("+7912{:07}", 3_000_000 + i),
        phone_typed: String::new(),
        department_id: department,
        responsible_staff_id: (pick(4, 15) < 3).then(|| staff[pick(staff.len(), 16)]),
        email: if pick(3, 17) == 0 { String::new() } else { format!("{}@Example.com", NAMES[pick(8, 18)].len()) },
        address: ["", "12 Lê Lợi", "Moscow, Tverskaya 1"][pick(3, 19)].into(),
        source: ["system", "import", "whatsapp"][pick(3, 20)].into(),
        fields,
    }
}

fn record(c: &Contact) -> ContactRecord {
    ContactRecord {
        name: c.name.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        address: c.address.clone(),
        source: c.source.clone(),
        responsible_staff_id: c.responsible_staff_id,
        department_id: c.department_id,
        created_at: c.created_at,
        fields: c.fields.clone(),
    }
}

/// Conditions drawn from the values the sample holds, so that filters do match something.
fn raw_condition(staff: Vec<i64>, departments: Vec<i64>) -> impl Strategy<Value = RawCondition> {
    let text_value = prop::sample::select(vec![
        "ivan",
        "IVAN",
        "Иван",
        "an",
        "50%",
        "_b",
        "Nguyễn An",
        "call",
        "10%_",
        "wholesale",
        "đã",
        "ĐÃ",
        "12 L",
        "example.com",
        "import",
        "7912300",
        "+7 912",
        "84912",
        "",
    ]);
    let field = prop::sample::select(vec![
        "name",
        "phone",
        "email",
        "address",
        "source",
        "responsible_staff_id",
        "department_id",
        "created_at",
        "city",
        "tags",
        "budget",
        "birthday",
        "met_at",
        "note",
        "subscribed",
        "mobile",
    ]);
    (field, 0..7usize, text_value, 0..5usize, 0..5usize, prop::bool::ANY).prop_map(
        move |(field, op, text, a, b, flag)| {
            let ops = allowed_ops(field);
            let op = ops[op % ops.len()];
            let value = match (field, op) {
                (_, "empty" | "not_empty") => Value::Null,
                ("responsible_staff_id", "any_of") => json!([staff[a % staff.len()], staff[b % staff.len()]]),
                ("responsible_staff_id", _) => json!(staff[a % staff.len()]),
                ("department_id", "any_of") => json!([departments[a % departments.len()]]),
                ("department_id", _) => json!(departments[a % departments.len()]),
                ("city", "any_of") => {
                    let (first, second) = (["hà nội", "Saigon", "Huế"][a % 3], ["Huế", "saigon"][b % 2]);
                    json!([first, second])
                }
                ("city", _) => json!(["Hà Nội", "saigon", "Huế"][a % 3]),
                ("tags", _) => {
                    let tag = ["vip", "new", "wholesale"][a % 3];
                    json!([tag])
                }
                ("budget", "between") => {
                    json!([BUDGETS[a.min(b)].min(BUDGETS[a.max(b)]), BUDGETS[a.max(b)].max(BUDGETS[a.min(b)])])
                }
                ("budget", _) => json!(BUDGETS[a]),
                ("birthday", "between") => json!([DAYS[a.min(b) % 4], DAYS[a.max(b) % 4]]),
                ("birthday", _) => json!(DAYS[a % 4]),
                ("met_at", "between") => json!(["2023-06-01T00:00:00Z", TIMES[a % 2]]),
                ("met_at", _) => json!(TIMES[a % 3]),
                ("created_at", "between") => json!(["2000-01-01", "2099-12-31"]),
                ("created_at", _) => json!(if flag { "2000-01-01" } else { "2099-12-31" }),
                ("subscribed", _) => json!(flag),
                ("mobile", "eq" | "ne") => json!(format!("+8491234{:04}", a * 7)),
                ("phone", "eq" | "ne") => json!(format!("+7912{:07}", 3_000_000 + a * 11)),
                ("name", "eq" | "ne") => json!(NAMES[a]),
                ("note", "eq" | "ne") => json!(NOTES[a]),
                (_, _) => json!(text),
            };
            RawCondition { field: field.into(), op: op.into(), value }
        },
    )
}

/// The operators the field takes (the parser refuses others; a few of those are drawn too).
fn allowed_ops(field: &str) -> &'static [&'static str] {
    match field {
        "responsible_staff_id" | "city" => &["eq", "ne", "any_of", "empty", "not_empty"],
        "department_id" => &["eq", "ne", "any_of"],
        "created_at" => &["eq", "gt", "lt", "between"],
        "tags" => &["any_of", "empty", "not_empty", "contains"],
        "budget" | "birthday" | "met_at" => &["eq", "ne", "gt", "lt", "between", "empty", "not_empty"],
        "subscribed" => &["eq", "empty", "not_empty"],
        _ => &["eq", "ne", "contains", "starts_with", "empty", "not_empty", "gt"],
    }
}

fn all_ids(db: &Db, scope: &Scope, filter: &Filter, sort: Option<Sort>, limit: u64) -> Vec<i64> {
    let handle = tokio::runtime::Handle::current();
    let mut ids = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let query = ListQuery {
            filter: filter.clone(),
            sort: sort.clone(),
            cursor: cursor.clone(),
            limit,
            ..ListQuery::default()
        };
        let page = tokio::task::block_in_place(|| handle.block_on(contacts::list(db, scope, &query))).unwrap();
        ids.extend(page.items.iter().map(|c| c.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_sql_answers_what_the_reference_filter_answers() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &account(&db, "filter")).await;
        let other_dept = departments::create(
            &db,
            &c.scope,
            &c.actor,
            NewDepartment { parent_id: c.root, name: "East", introduction: "" },
        )
        .await
        .unwrap()
        .id;
        let staff = vec![
            member(&db, &c, c.root, &account(&db, "s1"), &[]).await,
            member(&db, &c, other_dept, &account(&db, "s2"), &[]).await,
        ];
        let mut defs: Vec<FieldDef> = Vec::new();
        for settings in catalogue() {
            defs.push(contact_fields::create(&db, &c.scope, &c.actor, settings).await.unwrap().def());
        }
        let mut stored = Vec::new();
        for i in 0..90 {
            let department = if i % 4 == 0 { other_dept } else { c.root };
            stored
                .push(contacts::create(&db, &c.scope, &c.actor, sample_contact(i, department, &staff)).await.unwrap());
        }
        let records: Vec<(i64, ContactRecord)> = stored.iter().map(|c| (c.id, record(c))).collect();
        let departments = vec![c.root, other_dept];
        let sorts = ["name", "budget", "birthday", "city", "subscribed", "responsible_staff_id", "created_at", "note"];
        // Filters that select some contacts but not all: the cases that tell SQL from reference.
        let telling = std::sync::atomic::AtomicUsize::new(0);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(160));
        runner
            .run(
                &(
                    prop::collection::vec(raw_condition(staff.clone(), departments.clone()), 1..4),
                    0..sorts.len(),
                    prop::bool::ANY,
                ),
                |(raw, sort_at, descending)| {
                    let Ok(filter) = contact_filter::parse(&raw, &defs, "VN") else { return Ok(()) };
                    let mut expected: Vec<i64> = records
                        .iter()
                        .filter(|(_, r)| contact_filter::matches(&filter, r))
                        .map(|(id, _)| *id)
                        .collect();
                    // Newest first, in pages of 7.
                    let mut got = all_ids(&db, &c.scope, &filter, None, 7);
                    expected.sort_by(|a, b| b.cmp(a));
                    if !expected.is_empty() && expected.len() < records.len() {
                        telling.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    prop_assert_eq!(&got, &expected, "{:?} on {:?}", raw, db.backend());
                    // Any sort pages through the same rows, each once.
                    let column = contact_filter::parse_sort(sorts[sort_at], &defs).unwrap();
                    got = all_ids(&db, &c.scope, &filter, Some(Sort { column, descending }), 4);
                    got.sort_by(|a, b| b.cmp(a));
                    prop_assert_eq!(&got, &expected, "sorted by {} on {:?}", sorts[sort_at], db.backend());
                    Ok(())
                },
            )
            .unwrap();
        let telling = telling.into_inner();
        // Typically 55-90; below 40 the generator has stopped drawing useful filters.
        assert!(telling >= 40, "only {telling} of 160 filters selected some but not all contacts");
    }
}

/// An import writes several batches in one transaction on SQLite: what a batch writes counts
/// for the next one (duplicates, the turn of the staff, the lease), and nothing counts until
/// the commit — a worker that stops mid-transaction leaves the import to resume where the last
/// commit ended.
#[tokio::test]
async fn import_batches_in_one_transaction_see_each_other_and_count_only_when_committed() {
    use rapport_storage::imports::{self, Allocation, BatchContext, Plan, ValidRow};
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &account(&db, "batches")).await;
        let a = member(&db, &c, c.root, &account(&db, "batches-a"), &[]).await;
        let b = member(&db, &c, c.root, &account(&db, "batches-b"), &[]).await;
        let mapping = vec![Some("name".to_string()), Some("phone".to_string())];
        let created = imports::create(&db, &c.scope, "f.csv", "f.csv", &mapping, 4).await.unwrap();
        let plan = Plan { mapping, staff_ids: vec![a, b], department_id: None, source: "import".into() };
        imports::start(&db, &c.scope, &c.actor, created.id, plan).await.unwrap();
        let import = imports::claim(&db, rapport_storage::now_ms() + 60_000).await.unwrap().unwrap();
        let allocation = Allocation {
            staff_ids: vec![a, b],
            departments: imports::departments_of(&db, import.company_id, &[a, b]).await.unwrap(),
            department_id: None,
            fallback_department: c.root,
        };
        let row = |n: i64, name: &str, phone: &str| {
            ValidRow::new(db.backend(), import.id, n, vec![name.into(), phone.into()], &input(name, phone, 0, None))
        };
        let batches = || {
            vec![
                (vec![row(2, "An", "+84901000001"), row(3, "Bình \"Bee\", Jr.", "+84901000002")], 4),
                (vec![row(4, "An again", "+84901000001"), row(5, "Chi", "+84901000003")], 6),
            ]
        };
        let write_all = |held: i64| {
            let (db, import, allocation) = (&db, &import, &allocation);
            async move {
                let tx = db.begin().await.unwrap();
                let mut outcomes = Vec::new();
                let mut held = held;
                for (rows, next_row) in batches() {
                    let lease = held + 1;
                    let ctx = BatchContext { held_until: held, lease_until: lease, phone_column: "Phone", allocation };
                    outcomes.push(imports::write_batch(db, &tx, import, &ctx, rows, vec![], next_row).await.unwrap());
                    held = lease;
                }
                (tx, outcomes)
            }
        };
        let held = import.locked_until.unwrap();
        let all = ListQuery { limit: 10, ..ListQuery::default() };

        // Stopped before the commit: nothing happened.
        let (tx, _) = write_all(held).await;
        drop(tx);
        let after = imports::get(&db, &c.scope, import.id).await.unwrap();
        assert_eq!((after.next_row, after.imported, after.rejected), (import.next_row, 0, 0));
        assert!(contacts::list(&db, &c.scope, &all).await.unwrap().items.is_empty());

        // Committed: the second batch saw the first batch's contacts and the staff's turn.
        let (tx, outcomes) = write_all(held).await;
        imports::commit_batches(&db, tx).await.unwrap();
        let counts: Vec<(i64, i64)> = outcomes.iter().map(|o| (o.imported, o.rejected)).collect();
        assert_eq!(counts, [(2, 0), (1, 1)]);
        let after = imports::get(&db, &c.scope, import.id).await.unwrap();
        assert_eq!((after.next_row, after.imported, after.rejected), (6, 3, 1));
        let mut listed = contacts::list(&db, &c.scope, &all).await.unwrap().items;
        listed.sort_by_key(|contact| contact.phone.clone());
        let placed: Vec<(&str, Option<i64>)> =
            listed.iter().map(|contact| (contact.name.as_str(), contact.responsible_staff_id)).collect();
        assert_eq!(placed, [("An", Some(a)), ("Bình \"Bee\", Jr.", Some(b)), ("Chi", Some(a))]);
        let rejected = imports::rejections(&db, &c.scope, import.id).await.unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!((rejected[0].row_number, rejected[0].column_name.as_str()), (4, "Phone"));
        assert!(rejected[0].reason.starts_with("duplicate: contact #"), "{}", rejected[0].reason);
    }
}
