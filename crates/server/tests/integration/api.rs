//! The API driven over HTTP on a real port, on SQLite and (when configured) PostgreSQL.

use crate::common::{TestServer, ids};
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::json;

/// Login, a four-level tree built through the API, staff with different grants in several
/// departments, and for every viewer exactly the staff and departments the rules allow.
#[tokio::test]
async fn each_viewer_sees_exactly_their_scope() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let (_, other_root, other_admin) = server.company("Other", "admin@other.test").await;
        // root > sales > east > east_a ; root > support
        let sales = admin.create_department(root, "Sales").await;
        let east = admin.create_department(sales, "Sales East").await;
        let east_a = admin.create_department(east, "East Team A").await;
        let support = admin.create_department(root, "Support").await;
        let head = admin.create_staff(sales, "head@acme.test", &["menu.staff", "dept.staff", "subdept.staff"]).await;
        let east_mgr = admin.create_staff(east, "east@acme.test", &["menu.staff", "subdept.staff"]).await;
        let lead = admin.create_staff(east_a, "lead@acme.test", &["menu.staff", "dept.staff"]).await;
        let rep = admin.create_staff(east_a, "rep@acme.test", &["menu.staff"]).await;
        let helper =
            admin.create_staff(support, "helper@acme.test", &["menu.staff", "dept.staff", "subdept.staff"]).await;
        let colleague = admin.create_staff(sales, "colleague@acme.test", &[]).await;
        let stranger = other_admin.create_staff(other_root, "stranger@other.test", &["menu.staff"]).await;

        let (_, me) = admin.get("/api/v1/me").await;
        let admin_id = me["id"].as_i64().unwrap();
        let everyone = {
            let mut v = vec![admin_id, head, east_mgr, lead, rep, helper, colleague];
            v.sort();
            v
        };
        assert_eq!(ids(&admin.all("/api/v1/staff").await), everyone);

        let sorted = |mut v: Vec<i64>| {
            v.sort();
            v
        };
        let cases = [
            ("head@acme.test", sorted(vec![head, colleague, east_mgr, lead, rep]), sorted(vec![sales, east, east_a])),
            ("east@acme.test", sorted(vec![east_mgr, lead, rep]), sorted(vec![east, east_a])),
            ("lead@acme.test", sorted(vec![lead, rep]), vec![east_a]),
            ("rep@acme.test", vec![rep], vec![east_a]),
            ("helper@acme.test", vec![helper], vec![support]),
        ];
        for (account, staff, departments) in cases {
            let mut viewer = server.client();
            viewer.login(account, "staff-password").await;
            assert_eq!(ids(&viewer.all("/api/v1/staff").await), staff, "staff visible to {account}");
            let (status, body) = viewer.get("/api/v1/departments").await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(ids(body["items"].as_array().unwrap()), departments, "departments visible to {account}");
            // Everything outside the scope answers exactly like something that does not exist.
            for hidden in everyone.iter().filter(|id| !staff.contains(id)) {
                let (status, body) = viewer.get(&format!("/api/v1/staff/{hidden}")).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{account} reading staff {hidden}");
                assert_eq!(body["error"]["code"], "not_found");
                let (status, _) = viewer.patch(&format!("/api/v1/staff/{hidden}"), json!({"name": "x"})).await;
                assert_eq!(status, StatusCode::NOT_FOUND);
            }
            let (status, _) = viewer.get(&format!("/api/v1/staff/{stranger}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "another company's staff");
            let (status, _) = viewer.get(&format!("/api/v1/staff/{}", 10_000_000)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "a staff id that does not exist");
        }
        // Another company's ids answer 404 to the admin too, for every kind of object.
        for path in [
            format!("/api/v1/staff/{stranger}"),
            format!("/api/v1/staff/{stranger}/grants"),
            format!("/api/v1/departments/{other_root}"),
            format!("/api/v1/departments/{other_root}/default-grants"),
        ] {
            let (status, _) = admin.get(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, _) = admin.delete(&format!("/api/v1/departments/{other_root}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The filters: text, department with and without sub-departments, status.
        let got = admin.all(&format!("/api/v1/staff?department_id={east}&include_subdepartments=true")).await;
        assert_eq!(ids(&got), sorted(vec![east_mgr, lead, rep]));
        let got = admin.all(&format!("/api/v1/staff?department_id={east}")).await;
        assert_eq!(ids(&got), vec![east_mgr]);
        assert_eq!(ids(&admin.all("/api/v1/staff?q=LEAD").await), vec![lead]);
    }
}

#[tokio::test]
async fn a_member_disabled_mid_session_is_logged_out_and_cannot_log_in() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let id = admin.create_staff(root, "agent@acme.test", &["menu.staff"]).await;
        let mut agent = server.client();
        agent.login("agent@acme.test", "staff-password").await;
        assert_eq!(agent.get("/api/v1/me").await.0, StatusCode::OK);
        let (status, body) = admin.patch(&format!("/api/v1/staff/{id}"), json!({"status": "disabled"})).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("disabled")));
        let (status, body) = agent.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthenticated");
        let (status, body) = server.client().try_login("agent@acme.test", "staff-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body["error"]["message"].as_str().unwrap().contains("disabled"), "{body}");
        // Enabled again, the account logs in.
        admin.patch(&format!("/api/v1/staff/{id}"), json!({"status": "enabled"})).await;
        server.client().login("agent@acme.test", "staff-password").await;
    }
}

#[tokio::test]
async fn state_changing_calls_need_the_csrf_token_and_logout_ends_the_session() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, mut admin) = server.company("Acme", "admin@acme.test").await;
        let csrf = admin.csrf.take();
        let (status, body) = admin.post("/api/v1/departments", json!({"name": "Sales", "parent_id": root})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf_failed")));
        admin.csrf = Some("wrong".into());
        assert_eq!(
            admin.post("/api/v1/departments", json!({"name": "Sales", "parent_id": root})).await.0,
            StatusCode::FORBIDDEN
        );
        admin.csrf = csrf;
        assert_eq!(admin.get("/api/v1/departments").await.1["items"].as_array().unwrap().len(), 1, "nothing created");
        assert_eq!(admin.post("/api/v1/auth/logout", json!({})).await.0, StatusCode::NO_CONTENT);
        assert_eq!(admin.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(server.client().get("/api/v1/staff").await.0, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_with_a_clear_wait() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        server.company("Acme", "admin@acme.test").await;
        let mut client = server.client();
        for _ in 0..4 {
            assert_eq!(client.try_login("admin@acme.test", "wrong-password").await.0, StatusCode::UNAUTHORIZED);
        }
        let (status, body) = client.try_login("admin@acme.test", "wrong-password").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("try again in 30 s"), "{message}");
        // Even the right password waits until the lock ends.
        assert_eq!(client.try_login("admin@acme.test", "admin-password").await.0, StatusCode::TOO_MANY_REQUESTS);
        let rows = rapport_storage::audit::list(&server.db, 1, None, 50).await.unwrap().items;
        assert_eq!(rows.iter().filter(|r| r.action == "auth.login_failed").count(), 5, "every failure is audited");
    }
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let sales = admin.create_department(root, "Sales").await;
        let east = admin.create_department(sales, "East").await;
        let member = admin.create_staff(east, "member@acme.test", &[]).await;
        let staff_before = admin.all("/api/v1/staff").await;
        let depts_before = admin.get("/api/v1/departments").await.1;

        let expect =
            |(status, body): (StatusCode, serde_json::Value), want: StatusCode, code: &str, field: Option<&str>| {
                assert_eq!(status, want, "{body}");
                assert_eq!(body["error"]["code"], code, "{body}");
                if let Some(field) = field {
                    assert_eq!(body["error"]["field"], field, "{body}");
                }
                assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
            };
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        expect(
            admin.post("/api/v1/departments", json!({"name": "  ", "parent_id": root})).await,
            unprocessable,
            "invalid",
            Some("name"),
        );
        expect(
            admin.post("/api/v1/departments", json!({"name": "x".repeat(65), "parent_id": root})).await,
            unprocessable,
            "invalid",
            Some("name"),
        );
        expect(
            admin.post("/api/v1/departments", json!({"name": "Nowhere", "parent_id": 999_999})).await,
            unprocessable,
            "invalid",
            Some("parent_id"),
        );
        expect(
            admin.patch(&format!("/api/v1/departments/{sales}"), json!({"parent_id": east})).await,
            unprocessable,
            "invalid",
            Some("parent_id"),
        );
        expect(
            admin.patch(&format!("/api/v1/departments/{sales}"), json!({"parent_id": sales})).await,
            unprocessable,
            "invalid",
            Some("parent_id"),
        );
        expect(
            admin.delete(&format!("/api/v1/departments/{root}")).await,
            StatusCode::CONFLICT,
            "root_cannot_be_deleted",
            None,
        );
        expect(
            admin.delete(&format!("/api/v1/departments/{sales}")).await,
            StatusCode::CONFLICT,
            "department_has_subdepartments",
            None,
        );
        expect(
            admin.delete(&format!("/api/v1/departments/{east}")).await,
            StatusCode::CONFLICT,
            "department_has_staff",
            None,
        );
        let new_staff = |account: &str, name: &str, password: &str| json!({"account": account, "name": name, "password": password, "department_id": sales});
        expect(
            admin.post("/api/v1/staff", new_staff("member@acme.test", "Dup", "long-enough")).await,
            StatusCode::CONFLICT,
            "account_taken",
            None,
        );
        expect(
            admin.post("/api/v1/staff", new_staff("MEMBER@acme.test", "Dup", "long-enough")).await,
            StatusCode::CONFLICT,
            "account_taken",
            None,
        );
        expect(
            admin.post("/api/v1/staff", new_staff("", "No account", "long-enough")).await,
            unprocessable,
            "invalid",
            Some("account"),
        );
        expect(
            admin.post("/api/v1/staff", new_staff("x@acme.test", "", "long-enough")).await,
            unprocessable,
            "invalid",
            Some("name"),
        );
        expect(
            admin.post("/api/v1/staff", new_staff("x@acme.test", &"n".repeat(65), "long-enough")).await,
            unprocessable,
            "invalid",
            Some("name"),
        );
        expect(
            admin.post("/api/v1/staff", new_staff("x@acme.test", "X", "short")).await,
            unprocessable,
            "invalid",
            Some("password"),
        );
        expect(
            admin
                .post("/api/v1/staff", json!({"account": "x@acme.test", "name": "X", "password": "long-enough"}))
                .await,
            unprocessable,
            "invalid",
            Some("body"),
        );
        expect(admin.post("/api/v1/staff", json!({"account": "x@acme.test", "name": "X", "password": "long-enough", "department_id": sales, "admin": true})).await, unprocessable, "invalid", Some("body"));
        expect(
            admin.patch(&format!("/api/v1/staff/{member}"), json!({"account": "other@acme.test"})).await,
            unprocessable,
            "invalid",
            Some("account"),
        );
        expect(
            admin.patch(&format!("/api/v1/staff/{member}"), json!({"status": "sleeping"})).await,
            unprocessable,
            "invalid",
            Some("status"),
        );
        expect(
            admin
                .put(&format!("/api/v1/staff/{member}/grants"), json!({"grants": ["menu.staff", "menu.everything"]}))
                .await,
            unprocessable,
            "invalid",
            Some("grants"),
        );
        // Malformed JSON.
        let response = admin
            .http
            .post(format!("{}/api/v1/staff", admin.base))
            .header("X-CSRF-Token", admin.csrf.clone().unwrap())
            .header("Content-Type", "application/json")
            .body("{\"account\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "malformed_request");
        // Wrong current password.
        let change = json!({"current_password": "nope-nope", "new_password": "brand-new-pass", "confirm_password": "brand-new-pass"});
        expect(admin.put("/api/v1/me/password", change).await, unprocessable, "invalid", Some("current_password"));
        let mismatch = json!({"current_password": "admin-password", "new_password": "brand-new-pass", "confirm_password": "other-new-pass"});
        expect(admin.put("/api/v1/me/password", mismatch).await, unprocessable, "invalid", Some("confirm_password"));
        server.client().login("admin@acme.test", "admin-password").await;

        assert_eq!(admin.all("/api/v1/staff").await, staff_before, "no staff record changed");
        assert_eq!(admin.get("/api/v1/departments").await.1, depts_before, "no department changed");
    }
}

#[tokio::test]
async fn granting_follows_set_authorization_and_own_grants_only() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let sales = admin.create_department(root, "Sales").await;
        let east = admin.create_department(sales, "East").await;
        let granter_grants =
            ["menu.staff", "menu.chats", "subdept.staff", "func.set_authorization", "scope.own_grants_only"];
        let granter = admin.create_staff(sales, "granter@acme.test", &granter_grants).await;
        let target = admin.create_staff(east, "target@acme.test", &["menu.reports"]).await;
        let outsider = admin.create_staff(root, "outsider@acme.test", &[]).await;
        let plain = admin.create_staff(sales, "plain@acme.test", &["menu.staff", "subdept.staff"]).await;
        let mut g = server.client();
        g.login("granter@acme.test", "staff-password").await;
        let grants_of = |id: i64| format!("/api/v1/staff/{id}/grants");

        let (status, body) = g.put(&grants_of(target), json!({"grants": ["menu.reports", "menu.chats"]})).await;
        assert_eq!(status, StatusCode::OK, "a held grant may be given: {body}");
        let (status, body) =
            g.put(&grants_of(target), json!({"grants": ["menu.reports", "menu.chats", "menu.numbers"]})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body["error"]["message"].as_str().unwrap().contains("menu.numbers"), "{body}");
        let (status, _) = g.put(&grants_of(target), json!({"grants": ["menu.chats"]})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a grant not held may not be taken away either");
        let (status, _) = g.put(&grants_of(granter), json!({"grants": granter_grants})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "never one's own authorization");
        let (status, _) = g.put(&grants_of(outsider), json!({"grants": []})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "only staff in the granter's scope");
        let (_, body) = admin.get(&grants_of(target)).await;
        assert_eq!(body["grants"], json!(["menu.chats", "menu.reports"]), "only the allowed change happened");

        let mut p = server.client();
        p.login("plain@acme.test", "staff-password").await;
        let (status, _) = p.put(&grants_of(target), json!({"grants": []})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "without func.set_authorization");
        let (status, _) = p.patch(&format!("/api/v1/staff/{target}"), json!({"role": "manager"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a role is a grant preset, so it needs set authorization");
        let _ = plain;

        // Roles add their preset to the grants.
        let (status, body) = admin.patch(&format!("/api/v1/staff/{target}"), json!({"role": "quality_control"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["role"], "quality_control");
        assert!(body["grants"].as_array().unwrap().contains(&json!("dept.chats")));
        let (_, body) = admin.patch(&format!("/api/v1/staff/{target}"), json!({"role": null})).await;
        assert_eq!(body["role"], serde_json::Value::Null);

        // Department defaults follow the same rule and reach new staff.
        let (status, _) =
            g.put(&format!("/api/v1/departments/{east}/default-grants"), json!({"grants": ["menu.numbers"]})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "granter lacks menu.departments");
        let (status, _) = admin
            .put(
                &format!("/api/v1/departments/{east}/default-grants"),
                json!({"grants": ["menu.chats", "func.workspace"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = admin
            .post("/api/v1/staff", json!({"account": "fresh@acme.test", "name": "Fresh", "password": "staff-password", "department_id": east}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["grants"], json!(["menu.chats", "func.workspace"]));
    }
}

#[tokio::test]
async fn own_profile_password_and_avatar() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        admin.create_staff(root, "me@acme.test", &[]).await;
        let mut me = server.client();
        me.login("me@acme.test", "staff-password").await;
        let mut elsewhere = server.client();
        elsewhere.login("me@acme.test", "staff-password").await;

        let (status, body) =
            me.patch("/api/v1/me", json!({"name": "Real Name", "nickname": "Nick", "memo": "line 1\nline 2"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["name"].as_str(), body["nickname"].as_str()), (Some("Real Name"), Some("Nick")));
        let (status, _) = me.get("/api/v1/staff").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "no menu.staff grant");

        let change = json!({"current_password": "staff-password", "new_password": "a-new-password", "confirm_password": "a-new-password"});
        assert_eq!(me.put("/api/v1/me/password", change).await.0, StatusCode::NO_CONTENT);
        assert_eq!(me.get("/api/v1/me").await.0, StatusCode::OK, "this session stays");
        assert_eq!(elsewhere.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "other sessions end");
        assert_eq!(server.client().try_login("me@acme.test", "staff-password").await.0, StatusCode::UNAUTHORIZED);
        server.client().login("me@acme.test", "a-new-password").await;

        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let upload = |bytes: Vec<u8>, content_type: &'static str| {
            me.http
                .put(format!("{}/api/v1/me/avatar", me.base))
                .header("X-CSRF-Token", me.csrf.clone().unwrap())
                .header("Content-Type", content_type)
                .body(bytes)
                .send()
        };
        assert_eq!(
            upload(b"<svg></svg>".to_vec(), "image/svg+xml").await.unwrap().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let mut big = png.clone();
        big.resize(1024 * 1024 + 1, 0);
        assert_eq!(upload(big, "image/png").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(upload(png.clone(), "image/png").await.unwrap().status(), StatusCode::NO_CONTENT);
        let (_, body) = me.get("/api/v1/me").await;
        let url = body["avatar_url"].as_str().expect("avatar url").to_string();
        let served = me.http.get(format!("{}{url}", me.base)).send().await.unwrap();
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().to_vec(), png);

        // One's own password changes only with the current one (AUTH-2): the staff routes refuse
        // it even to an administrator, and the password stays as it was.
        let admin_id = admin.get("/api/v1/me").await.1["id"].as_i64().unwrap();
        for (status, body) in [
            admin.patch(&format!("/api/v1/staff/{admin_id}"), json!({"password": "admin-password-2"})).await,
            admin.put(&format!("/api/v1/staff/{admin_id}/password"), json!({"password": "admin-password-2"})).await,
        ] {
            assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
        }
        assert_eq!(admin.get("/api/v1/me").await.0, StatusCode::OK);
        server.client().login("admin@acme.test", "admin-password").await;
    }
}

#[tokio::test]
async fn administrative_actions_are_audited_and_readable_with_the_settings_menu() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let sales = admin.create_department(root, "Sales").await;
        admin.patch(&format!("/api/v1/departments/{sales}"), json!({"name": "Sales & Marketing"})).await;
        let member = admin.create_staff(sales, "member@acme.test", &["menu.staff"]).await;
        let (status, body) = admin.get("/api/v1/audit-log?limit=10").await;
        assert_eq!(status, StatusCode::OK);
        let actions: Vec<&str> =
            body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["staff.grants", "staff.create", "department.update", "department.create"]);
        let rename = &body["items"][2];
        assert_eq!(rename["before"]["name"], "Sales");
        assert_eq!(rename["after"]["name"], "Sales & Marketing");
        assert_eq!(rename["actor_name"], "Admin");
        assert_eq!(rename["target_id"], sales);
        let mut m = server.client();
        m.login("member@acme.test", "staff-password").await;
        assert_eq!(m.get("/api/v1/audit-log").await.0, StatusCode::FORBIDDEN);
        let _ = member;
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let server = TestServer::start(testing::sqlite().await.unwrap()).await;
    let (status, doc) = server.client().get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/departments",
        "/api/v1/departments/{id}",
        "/api/v1/departments/{id}/default-grants",
        "/api/v1/staff",
        "/api/v1/staff/{id}",
        "/api/v1/staff/{id}/grants",
        "/api/v1/staff/{id}/password",
        "/api/v1/audit-log",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(doc["paths"]["/api/v1/departments/{id}"]["delete"]["responses"]["409"].is_object());
    let (status, body) = server.client().get("/api/v1/no-such-route").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn nobody_takes_over_or_mints_an_account_more_powerful_than_their_own() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let admin_id = admin.get("/api/v1/me").await.1["id"].as_i64().unwrap();
        admin.create_staff(root, "hr@acme.test", &["menu.staff", "dept.staff"]).await;
        let peer = admin.create_staff(root, "peer@acme.test", &["menu.staff"]).await;
        let mut hr = server.client();
        hr.login("hr@acme.test", "staff-password").await;
        let (status, body) =
            hr.put(&format!("/api/v1/staff/{admin_id}/password"), json!({"password": "taken-over-1"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("func.set_authorization"));
        assert_eq!(
            hr.patch(&format!("/api/v1/staff/{admin_id}"), json!({"status": "disabled"})).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            hr.patch(&format!("/api/v1/staff/{admin_id}"), json!({"password": "taken-over-1"})).await.0,
            StatusCode::FORBIDDEN
        );
        server.client().login("admin@acme.test", "admin-password").await;
        // An account within one's own grants can be managed.
        assert_eq!(
            hr.put(&format!("/api/v1/staff/{peer}/password"), json!({"password": "new-peer-pass"})).await.0,
            StatusCode::NO_CONTENT
        );
        // A department whose new staff would receive grants the creator lacks: no new accounts there.
        admin.put(&format!("/api/v1/departments/{root}/default-grants"), json!({"grants": ["menu.reports"]})).await;
        let new = json!({"account": "minted@acme.test", "name": "Minted", "password": "minted-pass-1", "department_id": root});
        assert_eq!(hr.post("/api/v1/staff", new).await.0, StatusCode::FORBIDDEN);
    }
}

/// PostgreSQL's text cannot hold NUL: any text with one is refused as invalid input on every
/// route, before it reaches storage (it answered 500 on PostgreSQL).
#[tokio::test]
async fn a_nul_character_in_any_text_is_invalid_input_and_changes_nothing() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db.clone()).await;
        let (_, root, admin) =
            server.company("Acme", &format!("nul-{:?}@acme.test", db.backend()).to_lowercase()).await;
        let mut stranger = server.client();
        let (status, body) = stranger.try_login("ad\u{0}min@acme.test", "admin-password").await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("account")));
        let (status, body) = admin.post("/api/v1/departments", json!({"name": "Sa\u{0}les", "parent_id": root})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
        let departments = admin.all("/api/v1/departments").await;
        assert_eq!(departments.len(), 1, "nothing was created: {departments:?}");
        let (status, _) = admin.get("/api/v1/staff?q=a%00b").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// Sent before the page's script has loaded, the login form still posts: the password never
/// lands in the address bar, the history or a proxy's log.
#[tokio::test]
async fn the_login_form_posts_even_without_its_script() {
    let db = testing::sqlite().await.expect("database");
    let server = TestServer::start(db).await;
    let page = reqwest::get(format!("{}/login", server.base)).await.unwrap().text().await.unwrap();
    let form = page.split("<form").nth(1).and_then(|rest| rest.split('>').next()).expect("a form");
    assert!(form.contains(r#"method="post""#), "{form}");
    assert!(form.contains(r#"action="/api/v1/auth/login""#), "{form}");
}

/// Every page and API answer says: scripts from this origin only, never framed by another
/// site, never stored in a cache; over https the session cookie is a `__Host-` cookie.
#[tokio::test]
async fn answers_carry_the_security_headers_and_https_sessions_a_host_only_cookie() {
    let db = testing::sqlite().await.expect("database");
    let server = TestServer::start(db).await;
    server.company("Acme", "headers@acme.test").await;
    let http = reqwest::Client::new();
    for path in ["/login", "/api/v1/me"] {
        let response = http.get(format!("{}{path}", server.base)).send().await.unwrap();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let csp = header("content-security-policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
    let login = |https: bool| {
        let request = http
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({"account": "headers@acme.test", "password": "admin-password"}));
        if https { request.header("x-forwarded-proto", "https") } else { request }
    };
    let cookie = |response: &reqwest::Response| response.headers()["set-cookie"].to_str().unwrap().to_string();
    let plain = cookie(&login(false).send().await.unwrap());
    assert!(plain.starts_with("rapport_session=") && !plain.contains("Secure"), "{plain}");
    let secure = cookie(&login(true).send().await.unwrap());
    assert!(secure.starts_with("__Host-rapport_session=") && secure.contains("Secure"), "{secure}");
    assert!(secure.contains("Path=/") && !secure.contains("Domain"), "{secure}");
}

/// An account or password longer than any can be is refused before it is looked up, hashed,
/// throttled or audited.
#[tokio::test]
async fn overlong_logins_are_refused_before_anything_is_stored() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db.clone()).await;
        let account = format!("long-{:?}@acme.test", db.backend()).to_lowercase();
        let (_, _, admin) = server.company("Acme", &account).await;
        let mut client = server.client();
        let (status, body) = client.try_login(&"a".repeat(10_000), "password").await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("account")));
        // The administrator's own account: a failed login there would be audited in the company.
        let (status, body) = client.try_login(&account, &"p".repeat(129)).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
        let log = admin.all("/api/v1/audit-log").await;
        assert!(log.iter().all(|e| e["action"] != "auth.login_failed"), "{log:?}");
    }
}
