//! PERF-5: contacts at scale. A generated CSV of customers from Vietnam, Russia and Romania
//! (names in their own scripts, valid mobile numbers typed as people type them, e-mail, a city
//! choice, a budget number and a birthday date, a few rows bad or repeated) goes through the real
//! import path (`rapport import contacts`: stored, queued, run batch by batch); the whole list is
//! exported to CSV and XLSX through the export code the API streams, with the process's peak RSS;
//! then the real server answers the first page of the contacts list with three filter conditions
//! (one on an extended field) and the quick search, for a sales rep and for the admin.

use crate::bench::{PASSWORD, Row, build_tree, login, spread_staff, time_pages};
use crate::contacts::{Queued, mapping, queue_and_run, read_sheet};
use anyhow::{Result, anyhow, bail};
use rapport_domain::fields::FieldType;
use rapport_domain::{Grant, GrantSet, Role};

use rapport_server::hash_password;
use rapport_storage::audit::Actor;
use rapport_storage::contact_fields::{self, FieldSettings};
use rapport_storage::imports::Plan;
use rapport_storage::staff::{self, StaffChanges};
use rapport_storage::{Db, Scope, companies, departments};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Departments per level (13 in all) and staff the contacts are handed to in turn.
const LEVELS: [usize; 3] = [1, 3, 9];
const STAFF: usize = 50;
/// Where the generated file sits under the media folder.
const FILE: &str = "imports/bench-contacts.csv";

pub struct Settings {
    /// Timed requests per query.
    pub requests: usize,
}

/// One bulk step's figures.
pub struct Bulk {
    pub backend: &'static str,
    pub step: String,
    pub rows: u64,
    pub seconds: f64,
    /// Peak resident memory during the step and before it, MB (exports only).
    pub rss: Option<(f64, f64)>,
}

pub struct Figures {
    pub bulk: Vec<Bulk>,
    pub latencies: Vec<Row>,
}

/// The CSV for `rows` customers, written once into `media_dir` and imported on every backend.
pub fn write_csv(media_dir: &Path, rows: u64) -> Result<()> {
    let path = media_dir.join(FILE);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    // Headers in the languages people write them in; the upload's auto-mapping reads them all.
    writeln!(out, "Họ và tên,Số điện thoại,Email,City,Budget,Birthday,Nguồn")?;
    for i in 0..rows {
        let c = customer(i);
        writeln!(out, "{},{},{},{},{},{},{}", c.name, c.phone, c.email, c.city, c.budget, c.birthday, c.source)?;
    }
    out.flush()?;
    Ok(())
}

pub async fn run(backend: &'static str, db: Db, media_dir: &Path, settings: &Settings) -> Result<Figures> {
    let seeded = seed(&db).await?;
    let scope = &seeded.scope;
    let mut bulk = Vec::new();

    // (a) Import, as `rapport import contacts` runs it.
    let sheet = read_sheet(&media_dir.join(FILE)).await?;
    let mapping = mapping(&db, scope, &sheet.headers, &[]).await?;
    let plan = Plan { mapping, staff_ids: seeded.staff.clone(), department_id: None, source: "import".into() };
    let started = Instant::now();
    let queued = Queued { file_name: "bench-contacts.csv", path: FILE, total_rows: sheet.rows, plan };
    let done = queue_and_run(&db, scope, media_dir, queued, false).await?;
    let seconds = started.elapsed().as_secs_f64();
    if done.status != rapport_domain::status::ImportStatus::Done {
        bail!("the import ended {}: {:?}", done.status, done.error);
    }
    tracing::info!(backend, seconds, imported = done.imported, rejected = done.rejected, "imported");
    bulk.push(Bulk {
        backend,
        step: format!("import CSV ({} imported, {} rejected)", done.imported, done.rejected),
        rows: sheet.rows as u64,
        seconds,
        rss: None,
    });
    // On PostgreSQL the import ends by analyzing the table (`imports::analyze_imported`), so the
    // list below is planned with its real contents. SQLite keeps no statistics.

    // (b) Export everything, as the API streams it (all columns).
    for xlsx in [false, true] {
        let export = rapport_app::export::prepare_all(&db, scope, None, None).await?;
        let path = media_dir.join(if xlsx { "export.xlsx" } else { "export.csv" });
        let (db, runtime) = (db.clone(), tokio::runtime::Handle::current());
        let before = reset_peak_rss()?;
        let started = Instant::now();
        let rows = tokio::task::spawn_blocking(move || -> Result<u64> {
            Ok(if xlsx {
                export.write_xlsx(&db, &runtime, &path)?
            } else {
                export.write_csv(&db, &runtime, std::io::BufWriter::new(std::fs::File::create(&path)?))?
            })
        })
        .await??;
        let seconds = started.elapsed().as_secs_f64();
        let peak = peak_rss()?;
        let step = format!("export {}", if xlsx { "XLSX" } else { "CSV" });
        tracing::info!(backend, seconds, rows, "{step}");
        bulk.push(Bulk { backend, step, rows, seconds, rss: Some((peak, before)) });
    }
    for name in ["export.csv", "export.xlsx"] {
        let _ = std::fs::remove_file(media_dir.join(name));
    }

    // (c), (d) Through the real server.
    let config = rapport_app::Settings { send_workers: 0, media_workers: 0, ..rapport_app::Settings::default() };
    let served = crate::bench::Served::start(&db, config).await?;
    let base = served.base.clone();
    let filter = serde_json::json!([
        {"field": "city", "op": "eq", "value": "Hà Nội"},
        {"field": "budget", "op": "gt", "value": 50000},
        {"field": "source", "op": "eq", "value": "facebook"},
    ])
    .to_string();
    // A phone fragment: 7 digits of the phone of the rep's newest customer.
    let rep = login(&base, &seeded.rep).await?;
    let newest = rep.get(format!("{base}/api/v1/contacts?limit=1")).send().await?.json::<serde_json::Value>().await?;
    let phone = newest["items"][0]["phone"].as_str().ok_or_else(|| anyhow!("the rep has no customers"))?;
    let fragment = phone[phone.len() - 7..].to_string();
    let queries: [(&str, Vec<(&str, &str)>); 3] = [
        ("first page, 3 conditions (city, budget, source)", vec![("filter", filter.as_str())]),
        ("quick search, phone fragment", vec![("q", fragment.as_str())]),
        ("quick search, name fragment “thị lan”", vec![("q", "thị lan")]),
    ];
    let mut latencies = Vec::new();
    for (who, client) in [("sales rep", rep), ("admin", login(&base, &seeded.admin).await?)] {
        for (what, params) in &queries {
            let mut all = vec![("limit", "10")];
            all.extend(params.iter().copied());
            let url = reqwest::Url::parse_with_params(&format!("{base}/api/v1/contacts"), &all)?;
            let query = format!("{what} — {who}");
            latencies.push(time_pages(backend, query, &client, url.as_str(), settings.requests).await?);
        }
    }
    served.stop().await;
    db.close().await;
    Ok(Figures { bulk, latencies })
}

struct Seeded {
    scope: Scope,
    staff: Vec<i64>,
    rep: String,
    admin: String,
}

async fn seed(db: &Db) -> Result<Seeded> {
    let hash = hash_password(PASSWORD).map_err(|e| anyhow!("{e}"))?;
    let admin = "admin@contacts.bench";
    let created = companies::create(
        db,
        "Bench Contacts",
        companies::NewAdmin { account: admin, name: "Admin", password_hash: &hash },
    )
    .await?;
    let company_id = created.company_id;
    let root = departments::root(db, company_id).await?;
    let scope = Scope::operator(company_id, root.id, &root.path);
    let actor = Actor { company_id, staff_id: None, source: "bench".into() };
    // A Vietnamese company: phones typed locally are read as Vietnamese.
    let settings = companies::Settings { name: "Bench Contacts".into(), default_country: "VN".into() };
    companies::set_settings(db, &actor, company_id, &settings).await?;
    let levels = build_tree(db, &scope, &actor, root.id, &LEVELS).await?;
    let all: Vec<i64> = levels.iter().flatten().copied().collect();
    let staff_ids = spread_staff(db, &scope, &actor, &all, STAFF, ("agent", "contacts.bench"), &hash).await?;
    // The rep sees only the contacts they answer for (a fiftieth).
    let grants: GrantSet = [Grant::MenuContacts].into_iter().collect();
    let as_rep = StaffChanges { role: Some(Some(Role::SalesRep)), grants: Some(grants), ..Default::default() };
    staff::update(db, &scope, &actor, staff_ids[0], as_rep, None).await?;
    let fields = [
        (
            "city",
            "City",
            FieldType::SingleChoice,
            CITIES.iter().flat_map(|c| c.iter()).map(|c| c.to_string()).collect(),
        ),
        ("budget", "Budget", FieldType::Number, vec![]),
        ("birthday", "Birthday", FieldType::Date, vec![]),
    ];
    for (key, name, field_type, options) in fields {
        let settings = FieldSettings {
            key: key.into(),
            name: name.into(),
            field_type,
            options,
            tip: String::new(),
            required: false,
            public: true,
            enabled: true,
            department_ids: vec![],
        };
        contact_fields::create(db, &scope, &actor, settings).await?;
    }
    Ok(Seeded { scope, staff: staff_ids, rep: "agent0@contacts.bench".into(), admin: admin.into() })
}

/// Resets the kernel's peak-RSS mark to the current RSS; answers that RSS in MB.
fn reset_peak_rss() -> Result<f64> {
    std::fs::write("/proc/self/clear_refs", "5")?;
    status_mb("VmRSS")
}

/// The peak RSS since the last reset, MB.
fn peak_rss() -> Result<f64> {
    status_mb("VmHWM")
}

fn status_mb(key: &str) -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with(key)).ok_or_else(|| anyhow!("no {key} in /proc/self/status"))?;
    let kb: f64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).ok_or_else(|| anyhow!("{line}"))?;
    Ok(kb / 1024.0)
}

pub fn print(title: &str, figures: &Figures) -> Result<()> {
    let mut out = std::io::stdout();
    writeln!(out, "\n{title}")?;
    writeln!(out, "| backend | step | rows | seconds | rows/s | peak RSS MB (before) |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|")?;
    for b in &figures.bulk {
        let rss = b.rss.map_or("—".to_string(), |(peak, before)| format!("{peak:.0} ({before:.0})"));
        writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.0} | {rss} |",
            b.backend,
            b.step,
            b.rows,
            b.seconds,
            b.rows as f64 / b.seconds
        )?;
    }
    crate::bench::print_table("Contacts list and quick search through the API", &figures.latencies)
}

/// The generated customers.
struct Customer {
    name: String,
    phone: String,
    email: String,
    city: &'static str,
    budget: String,
    birthday: String,
    source: &'static str,
}

const VN_FAMILY: [(&str, &str); 12] = [
    ("Nguyễn", "nguyen"),
    ("Trần", "tran"),
    ("Lê", "le"),
    ("Phạm", "pham"),
    ("Hoàng", "hoang"),
    ("Huỳnh", "huynh"),
    ("Phan", "phan"),
    ("Vũ", "vu"),
    ("Võ", "vo"),
    ("Đặng", "dang"),
    ("Bùi", "bui"),
    ("Đỗ", "do"),
];
const VN_MIDDLE: [&str; 6] = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh"];
const VN_GIVEN: [(&str, &str); 18] = [
    ("An", "an"),
    ("Bình", "binh"),
    ("Châu", "chau"),
    ("Dũng", "dung"),
    ("Giang", "giang"),
    ("Hà", "ha"),
    ("Hải", "hai"),
    ("Hương", "huong"),
    ("Lan", "lan"),
    ("Linh", "linh"),
    ("Mai", "mai"),
    ("Nam", "nam"),
    ("Phong", "phong"),
    ("Quân", "quan"),
    ("Thảo", "thao"),
    ("Trang", "trang"),
    ("Tuấn", "tuan"),
    ("Vy", "vy"),
];
const RU_FAMILY: [(&str, &str); 10] = [
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Васильев", "vasiliev"),
    ("Петров", "petrov"),
    ("Соколов", "sokolov"),
    ("Михайлов", "mikhailov"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"),
];
/// Given names; the last six are women's (their family names take `-а`).
const RU_GIVEN: [(&str, &str); 12] = [
    ("Алексей", "aleksei"),
    ("Дмитрий", "dmitry"),
    ("Иван", "ivan"),
    ("Сергей", "sergei"),
    ("Андрей", "andrei"),
    ("Михаил", "mikhail"),
    ("Ольга", "olga"),
    ("Анна", "anna"),
    ("Мария", "maria"),
    ("Екатерина", "ekaterina"),
    ("Наталья", "natalia"),
    ("Елена", "elena"),
];
const RO_FAMILY: [&str; 12] = [
    "Popescu",
    "Ionescu",
    "Popa",
    "Pop",
    "Radu",
    "Dumitru",
    "Stan",
    "Stoica",
    "Gheorghe",
    "Matei",
    "Constantin",
    "Munteanu",
];
const RO_GIVEN: [(&str, &str); 12] = [
    ("Andrei", "andrei"),
    ("Mihai", "mihai"),
    ("Alexandru", "alexandru"),
    ("Ioana", "ioana"),
    ("Elena", "elena"),
    ("Maria", "maria"),
    ("Ana", "ana"),
    ("Cristina", "cristina"),
    ("Ștefan", "stefan"),
    ("Gabriel", "gabriel"),
    ("Răzvan", "razvan"),
    ("Adriana", "adriana"),
];
/// The City field's options, by country (Vietnam, Russia, Romania).
const CITIES: [&[&str]; 3] = [
    &["Hà Nội", "Hồ Chí Minh", "Đà Nẵng"],
    &["Москва", "Санкт-Петербург", "Новосибирск"],
    &["București", "Cluj-Napoca", "Iași", "Timișoara"],
];
const SOURCES: [&str; 5] = ["facebook", "zalo", "website", "referral", ""];
/// Romanian mobile prefixes after +40 (each holds a million numbers).
const RO_PREFIXES: [&str; 8] = ["722", "723", "724", "726", "727", "728", "740", "744"];

/// A well-mixed hash of the row and a salt, so that each column varies independently.
fn mix(i: u64, salt: u64) -> u64 {
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(items: &[T], i: u64, salt: u64) -> T {
    items[(mix(i, salt) % items.len() as u64) as usize]
}

/// The `i`-th row's customer. Rows cycle through the three countries; within a country the
/// `k`-th customer's number is a bijection of `k`, so numbers are unique and look random.
fn customer(i: u64) -> Customer {
    let (country, k) = (i % 3, i / 3);
    let (name, phone, email_name, domain) = match country {
        0 => {
            let (family, family_ascii) = pick(&VN_FAMILY, i, 1);
            let (given, given_ascii) = pick(&VN_GIVEN, i, 2);
            let name = format!("{family} {} {given}", pick(&VN_MIDDLE, i, 3));
            let n = (k * 7_919 + 1_234_567) % 10_000_000;
            // Half typed locally (read as Vietnamese: the company's country), half internationally.
            let phone = if mix(i, 4).is_multiple_of(2) {
                format!("091 {:03} {:04}", n / 10_000, n % 10_000)
            } else {
                format!("+84 91 {:03} {:04}", n / 10_000, n % 10_000)
            };
            (name, phone, format!("{given_ascii}.{family_ascii}"), "example.vn")
        }
        1 => {
            let given_index = (mix(i, 2) % RU_GIVEN.len() as u64) as usize;
            let (given, given_ascii) = RU_GIVEN[given_index];
            let (family, family_ascii) = pick(&RU_FAMILY, i, 1);
            let feminine = if given_index >= 6 { "а" } else { "" };
            let n = (k * 104_729 + 7_654_321) % 10_000_000;
            let phone = format!("+7 (912) {:03}-{:02}-{:02}", n / 10_000, n / 100 % 100, n % 100);
            (format!("{given} {family}{feminine}"), phone, format!("{given_ascii}.{family_ascii}"), "example.ru")
        }
        _ => {
            let (given, given_ascii) = pick(&RO_GIVEN, i, 2);
            let family = pick(&RO_FAMILY, i, 1);
            let prefix = RO_PREFIXES[(k / 1_000_000) as usize % RO_PREFIXES.len()];
            let n = (k * 7_919 + 345_678) % 1_000_000;
            let phone = format!("+40 {prefix} {:03} {:03}", n / 1000, n % 1000);
            (format!("{given} {family}"), phone, format!("{given_ascii}.{}", family.to_lowercase()), "example.ro")
        }
    };
    // One row in 1,000 has an impossible number, one repeats the number three rows up (same
    // country): both are rejected with the reason.
    let phone = match i % 1000 {
        499 => "12345".to_string(),
        999 => customer(i - 3).phone,
        _ => phone,
    };
    let email = if mix(i, 5).is_multiple_of(5) { String::new() } else { format!("{email_name}{}@{domain}", k % 1000) };
    let budget = match mix(i, 6) % 10 {
        0 => String::new(),
        b => ((b * 7 + mix(i, 7) % 200) * 500 % 100_000).to_string(),
    };
    let (year, month, day) = (1960 + mix(i, 8) % 46, 1 + mix(i, 9) % 12, 1 + mix(i, 10) % 28);
    let birthday = match (mix(i, 11) % 8, country) {
        (0, _) => String::new(),
        (_, 0) => format!("{day:02}/{month:02}/{year}"),
        _ => format!("{day:02}.{month:02}.{year}"),
    };
    Customer {
        name,
        phone,
        email,
        city: pick(CITIES[country as usize], i, 12),
        budget,
        birthday,
        source: pick(&SOURCES, i, 13),
    }
}
