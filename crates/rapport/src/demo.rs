//! The operator's company set-up and the demo company.

use anyhow::{Context, Result, anyhow, bail};
use rapport_domain::values::{Account, NAME_MAX, Password, required_text};
use rapport_domain::{Grant, GrantSet, Role};
use rapport_server::hash_password;
use rapport_simulator::Simulator;
use rapport_storage::audit::Actor;
use rapport_storage::departments::{self, NewDepartment};
use rapport_storage::numbers::{self, NewNumber};
use rapport_storage::secrets::SecretBox;
use rapport_storage::staff::{self, NewStaff, StaffChanges};
use rapport_storage::templates;
use rapport_storage::{Db, Scope, companies};

/// Every demo account's password.
pub const PASSWORD: &str = "rapport-demo";

/// `rapport admin create-company`: validates like the API does, then creates the company.
pub async fn create_company(db: &Db, name: &str, account: &str, admin_name: &str, password: &str) -> Result<i64> {
    let name = required_text("name", name, NAME_MAX)?;
    let account = Account::parse(account)?;
    let admin_name = required_text("admin-name", admin_name, NAME_MAX)?;
    let password = Password::parse("admin-password", password)?;
    let hash = hash_password(password.expose()).map_err(|e| anyhow!("{e}"))?;
    let created = companies::create(
        db,
        &name,
        companies::NewAdmin { account: account.as_str(), name: &admin_name, password_hash: &hash },
    )
    .await
    .with_context(|| format!("creating company {name}"))?;
    Ok(created.company_id)
}

pub(crate) fn operator_actor(company_id: i64) -> Actor {
    Actor { company_id, staff_id: None, source: "command line".into() }
}

pub(crate) async fn operator_scope(db: &Db, company_id: i64) -> Result<Scope> {
    let root = departments::root(db, company_id).await?;
    Ok(Scope::operator(company_id, root.id, &root.path))
}

/// `rapport admin reset-password`.
pub async fn reset_password(db: &Db, account: &str, password: &str) -> Result<()> {
    let account = Account::parse(account)?;
    let password = Password::parse("password", password)?;
    let Some((id, company_id)) = staff::id_by_account(db, account.as_str()).await? else {
        bail!("no account `{}`", account.as_str());
    };
    let hash = hash_password(password.expose()).map_err(|e| anyhow!("{e}"))?;
    let scope = operator_scope(db, company_id).await?;
    let changes = StaffChanges { password_hash: Some(hash), ..Default::default() };
    staff::update(db, &scope, &operator_actor(company_id), id, changes, None).await?;
    tracing::info!(account = account.as_str(), "password reset; the account's sessions have ended");
    Ok(())
}

/// What the demo seeded.
pub struct Demo {
    pub company_id: i64,
    /// Where the simulated WhatsApp number lives, and who owns it.
    pub sales_department: i64,
    pub sales_head: i64,
    /// (account, what it can do), to print.
    pub logins: Vec<(String, String)>,
}

/// Creates the demo company: a four-level department tree and about twenty staff with varied
/// grants.
pub async fn seed(db: &Db) -> Result<Demo> {
    let company_id = create_company(db, "Acme Trading", "admin@acme.test", "Alice Admin", PASSWORD).await?;
    let scope = operator_scope(db, company_id).await?;
    let actor = operator_actor(company_id);
    let root = scope.viewer.department_id;
    let dept = |parent: i64, name: &'static str, intro: &'static str| {
        let (db, scope, actor) = (db.clone(), scope.clone(), actor.clone());
        async move {
            let new = NewDepartment { parent_id: parent, name, introduction: intro };
            departments::create(&db, &scope, &actor, new).await.map(|d| d.id)
        }
    };
    let sales = dept(root, "Sales", "Everyone who sells").await?;
    let east = dept(sales, "Sales East", "Eastern region").await?;
    let east_a = dept(east, "East Team A", "Key accounts").await?;
    let east_b = dept(east, "East Team B", "New business").await?;
    let west = dept(sales, "Sales West", "Western region").await?;
    let west_a = dept(west, "West Team A", "").await?;
    let support = dept(root, "Support", "Customer care").await?;
    let tier1 = dept(support, "Tier 1", "First line").await?;
    let marketing = dept(root, "Marketing", "").await?;

    use Grant::*;
    let manager: &[Grant] = &[
        MenuStaff,
        MenuDepartments,
        MenuNumbers,
        MenuChats,
        MenuChatHistory,
        MenuReports,
        DeptStaff,
        SubdeptStaff,
        DeptChats,
        SubdeptChats,
        DeptNumbers,
        SubdeptNumbers,
        FuncWorkspace,
        FuncChatHistory,
        FuncSetAuthorization,
        ScopeOwnGrantsOnly,
    ];
    let lead: &[Grant] = &[MenuStaff, MenuChats, DeptStaff, DeptChats, FuncWorkspace];
    let agent: &[Grant] = &[MenuChats, MenuContacts, MenuTexts, FuncWorkspace];
    let people: &[(&str, &str, i64, &[Grant], Option<Role>, &str)] = &[
        (
            "sam.sales@acme.test",
            "Sam Sales (head of sales)",
            sales,
            manager,
            Some(Role::Manager),
            "head of Sales: sees Sales and every team below",
        ),
        ("erin.east@acme.test", "Erin East", east, manager, Some(Role::Manager), "manager of Sales East and its teams"),
        ("walt.west@acme.test", "Walt West", west, manager, Some(Role::Manager), "manager of Sales West"),
        ("anna.a@acme.test", "Anna (East A lead)", east_a, lead, None, "team lead: sees her own team"),
        ("ben.a@acme.test", "Ben", east_a, agent, Some(Role::SalesRep), "sales rep"),
        ("cleo.a@acme.test", "Cleo", east_a, agent, Some(Role::SalesRep), "sales rep"),
        ("dan.b@acme.test", "Dan (East B lead)", east_b, lead, None, "team lead"),
        ("eve.b@acme.test", "Eve", east_b, agent, Some(Role::SalesRep), "sales rep"),
        ("finn.b@acme.test", "Finn", east_b, agent, Some(Role::SalesRep), "sales rep"),
        ("gina.w@acme.test", "Gina", west_a, agent, Some(Role::SalesRep), "sales rep"),
        ("hugo.w@acme.test", "Hugo", west_a, agent, Some(Role::SalesRep), "sales rep"),
        ("ivy.w@acme.test", "Ivy", west, agent, Some(Role::SalesRep), "sales rep"),
        (
            "quinn.qc@acme.test",
            "Quinn (quality control)",
            sales,
            &[MenuChats, MenuChatHistory],
            Some(Role::QualityControl),
            "quality control: reads, never writes",
        ),
        ("sue.support@acme.test", "Sue Support", support, manager, Some(Role::Manager), "head of Support"),
        ("tom.t1@acme.test", "Tom", tier1, agent, None, "support agent"),
        ("uma.t1@acme.test", "Uma", tier1, agent, None, "support agent"),
        ("vic.t1@acme.test", "Vic", tier1, agent, None, "support agent (disabled)"),
        (
            "mia.marketing@acme.test",
            "Mia Marketing",
            marketing,
            &[MenuContacts, MenuReports, DeptStaff],
            None,
            "marketing",
        ),
        ("noah.marketing@acme.test", "Noah", marketing, &[MenuContacts], None, "marketing"),
    ];
    let hash = hash_password(PASSWORD).map_err(|e| anyhow!("{e}"))?;
    let mut logins = vec![("admin@acme.test".to_string(), "company admin: every permission".to_string())];
    let mut sales_head = 0;
    for (account, name, department_id, grants, role, what) in people {
        let new =
            NewStaff { department_id: *department_id, account, name, nickname: "", notes: "", password_hash: &hash };
        let created = staff::create(db, &scope, &actor, new).await?;
        let grants: GrantSet = grants.iter().copied().collect();
        let changes = StaffChanges {
            grants: Some(role.map_or(grants, |r| grants.union(r.preset()))),
            role: Some(*role),
            status: (account.starts_with("vic.")).then_some(rapport_domain::status::StaffStatus::Disabled),
            ..Default::default()
        };
        staff::update(db, &scope, &actor, created.id, changes, None).await?;
        if account.starts_with("sam.") {
            sales_head = created.id;
        }
        logins.push((account.to_string(), what.to_string()));
    }
    departments::set_default_grants(db, &scope, &actor, tier1, agent.iter().copied().collect()).await?;
    Ok(Demo { company_id, sales_department: sales, sales_head, logins })
}

/// The simulated number's credentials (the simulator plays Meta for it).
fn simulated_account() -> rapport_simulator::Account {
    rapport_simulator::Account {
        phone_number_id: "106540352242922".into(),
        display_phone_number: "+44 7700 900000".into(),
        waba_id: "102290129340398".into(),
        access_token: "EAAG-demo-token".into(),
        app_secret: "demo-app-secret".into(),
    }
}

/// Starts the Cloud API simulator and connects the demo company's Sales number to it; the
/// simulator posts webhooks to the server listening on `listen`.
pub async fn connect_simulated_number(db: &Db, secrets: &SecretBox, demo: &Demo, listen: &str) -> Result<Simulator> {
    let account = simulated_account();
    let simulator = Simulator::start(account.clone(), "127.0.0.1:0").await?;
    simulator.set_webhook_url(&format!("http://{listen}/webhooks/whatsapp"));
    let scope = operator_scope(db, demo.company_id).await?;
    let new = NewNumber {
        phone_number_id: &account.phone_number_id,
        waba_id: &account.waba_id,
        display_phone_number: &account.display_phone_number,
        verified_name: "Acme Trading Sales",
        access_token: &account.access_token,
        app_secret: &account.app_secret,
        verify_token: "acme-demo",
        owner_staff_id: Some(demo.sales_head),
        department_id: demo.sales_department,
        sync: rapport_domain::sync::SyncFilter::All,
    };
    let actor = operator_actor(demo.company_id);
    numbers::create(db, &scope, &actor, secrets, new).await?;
    let components =
        serde_json::json!([{"type": "BODY", "text": "Hello {{1}}, your order {{2}} is ready for pickup."}]);
    let template = templates::TemplateFields {
        waba_id: &account.waba_id,
        name: "order_ready",
        language: "en_US",
        category: "UTILITY",
        status: rapport_domain::template::APPROVED,
        components_json: &components.to_string(),
        parameter_count: rapport_domain::template::parameter_count(&components) as i64,
    };
    templates::create(db, demo.company_id, &actor, template).await?;
    Ok(simulator)
}

/// Customers writing in, every few seconds, in the languages the product serves.
pub async fn customer_traffic(simulator: Simulator) {
    const CUSTOMERS: &[(&str, &str)] = &[
        ("447700900101", "Oliver Smith"),
        ("8613800138000", "王芳"),
        ("84912345678", "Nguyễn Văn An"),
        ("40722123456", "Andrei Popescu"),
        ("79123456789", "Мария Иванова"),
    ];
    const TEXTS: &[&str] = &[
        "Hello, is the blue jacket still available in size M?",
        "你好，请问这件外套还有货吗？",
        "Chào bạn, áo khoác này còn size M không?",
        "Bună ziua, mai aveți geaca albastră pe mărimea M?",
        "Здравствуйте, синяя куртка ещё есть в размере M?",
        "Can you deliver by Friday?",
        "Thanks, I'll take it!",
    ];
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    for i in 0usize.. {
        let (wa_id, name) = CUSTOMERS[i % CUSTOMERS.len()];
        let text = if i < CUSTOMERS.len() { TEXTS[i] } else { TEXTS[i % TEXTS.len()] };
        let written = if i % 4 == 3 {
            // A wholesale customers' group the shop's number is in.
            simulator.customer_writes_in_group("120363025246125486", wa_id, name, text).await
        } else {
            simulator.customer_writes(wa_id, name, text).await
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "the simulated customer could not write");
        }
        tokio::time::sleep(std::time::Duration::from_secs(if i < CUSTOMERS.len() { 1 } else { 20 })).await;
    }
}
