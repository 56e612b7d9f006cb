//! The admin area's lists over HTTP, against known data: orders (found by number and by part of
//! an email, narrowed by status, sorted, paged) and one order with its lines, payment and
//! history; accounts by email and role; audit entries by what they touch. Bad filters are
//! refused with a clear error.

use app::types::{
    AdminUser, AuditEntry, ListPage, Money, OrderDetail, OrderList, OrderStatus, PaymentStatus,
};
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    get_json as get, paid_guest_order, signed_in_admin, stocked_variant, TestApp, TestDb,
};

async fn list(app: &TestApp, token: &str, query: &str) -> OrderList {
    get(app, token, &format!("/api/admin/orders?{query}")).await.expect("a page of orders")
}

fn numbers(list: &OrderList) -> Vec<i64> {
    list.items.iter().map(|order| order.number).collect()
}

#[tokio::test]
async fn staff_find_filter_sort_and_page_orders_and_open_one() {
    let db = TestDb::migrated().await;
    stocked_variant(&db, "MUG", 20).await;
    stocked_variant(&db, "TEAPOT", 5).await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;

    let first = paid_guest_order(&app, "MUG", "ada@example.com").await;
    let second = paid_guest_order(&app, "TEAPOT", "grace@example.com").await;
    let third = paid_guest_order(&app, "MUG", "ada.l@example.org").await;
    // The teapot's order is refunded in full: it becomes refunded.
    let detail: OrderDetail =
        get(&app, &admin, &format!("/api/admin/orders/detail?order_id={second}")).await.unwrap();
    let response = app
        .client
        .post(app.url("/api/admin/orders/refund"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .form(&[
            ("order_id", second.to_string()),
            ("amount", Money::plain(detail.summary.total.minor)),
            ("reason", "broken lid".to_owned()),
            ("idempotency_key", "admin-orders-refund".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());

    let all = list(&app, &admin, "").await;
    let by_id = |id: Uuid| all.items.iter().find(|order| order.id == id).unwrap().number;
    let (n1, n2, n3) = (by_id(first), by_id(second), by_id(third));
    assert_eq!((all.total, all.page), (3, 1));
    assert_eq!(numbers(&all), [n3, n2, n1], "newest first by default");
    assert_eq!(numbers(&list(&app, &admin, "sort=oldest").await), [n1, n2, n3]);

    // Part of an email (case-insensitive, its wildcards literal), or a number with or without '#'.
    assert_eq!(numbers(&list(&app, &admin, "search=ADA").await), [n3, n1]);
    assert_eq!(numbers(&list(&app, &admin, "search=%25").await), Vec::<i64>::new());
    assert_eq!(numbers(&list(&app, &admin, &format!("search=%23{n2}")).await), [n2]);
    assert_eq!(numbers(&list(&app, &admin, &format!("search={n1}")).await), [n1]);

    // One status; a page past the end is empty but still counts what matches.
    let refunded = list(&app, &admin, "status=refunded").await;
    assert_eq!((numbers(&refunded), refunded.total), (vec![n2], 1));
    assert_eq!(refunded.items[0].status, OrderStatus::Refunded);
    let paid = list(&app, &admin, "status=paid&search=ada&sort=oldest").await;
    assert_eq!(numbers(&paid), [n1, n3]);
    let beyond = list(&app, &admin, "page=2").await;
    assert_eq!((beyond.items.len(), beyond.total, beyond.page), (0, 3, 2));
    assert_eq!(list(&app, &admin, "page=-4").await.page, 1, "pages count from 1");

    // By total, either way (the fixture's prices are not assumed).
    let largest = list(&app, &admin, "sort=largest_total").await;
    let totals: Vec<i64> = largest.items.iter().map(|order| order.total.minor).collect();
    assert!(totals.windows(2).all(|pair| pair[0] >= pair[1]), "{totals:?}");
    let smallest = list(&app, &admin, "sort=smallest_total").await;
    let totals: Vec<i64> = smallest.items.iter().map(|order| order.total.minor).collect();
    assert!(totals.windows(2).all(|pair| pair[0] <= pair[1]), "{totals:?}");

    // An unknown status is refused, not read as "any".
    let (status, body) = get::<OrderList>(&app, &admin, "/api/admin/orders?status=lost")
        .await
        .expect_err("an unknown status");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // One order: its line, its payment and the history up to the refund.
    let detail: OrderDetail =
        get(&app, &admin, &format!("/api/admin/orders/detail?order_id={second}")).await.unwrap();
    assert_eq!(detail.summary.email, "grace@example.com");
    assert_eq!(detail.lines.len(), 1);
    assert_eq!(detail.lines[0].sku, "TEAPOT");
    assert_eq!(detail.payments.len(), 1);
    assert_eq!(detail.payments[0].status, PaymentStatus::Succeeded);
    let moves: Vec<OrderStatus> = detail.history.iter().map(|change| change.to).collect();
    assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Paid, OrderStatus::Refunded]);
    let (status, _) = get::<OrderDetail>(
        &app,
        &admin,
        &format!("/api/admin/orders/detail?order_id={}", Uuid::new_v4()),
    )
    .await
    .expect_err("no such order");
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_find_accounts_by_email_and_role_and_audit_entries_by_what_they_touch() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    for email in ["ada@example.com", "grace@example.org", "ada.b@example.org"] {
        let response = app
            .client
            .post(app.url("/api/auth/register"))
            .json(
                &serde_json::json!({ "email": email, "password": "a long and unusual passphrase" }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let emails = |list: &ListPage<AdminUser>| -> Vec<String> {
        list.items.iter().map(|user| user.email.clone()).collect()
    };
    let users: ListPage<AdminUser> = get(&app, &admin, "/api/admin/users").await.unwrap();
    assert_eq!(users.total, 4, "three customers and the admin");
    assert_eq!(emails(&users)[0], "ada.b@example.org", "newest first");
    let adas: ListPage<AdminUser> = get(&app, &admin, "/api/admin/users?search=ADA").await.unwrap();
    assert_eq!(emails(&adas), ["ada.b@example.org", "ada@example.com"]);
    let admins: ListPage<AdminUser> =
        get(&app, &admin, "/api/admin/users?role=admin").await.unwrap();
    assert_eq!(emails(&admins), ["admin@example.com"]);
    let none: ListPage<AdminUser> =
        get(&app, &admin, "/api/admin/users?search=ada&role=staff").await.unwrap();
    assert_eq!((none.items.len(), none.total), (0, 0));
    let (status, _) = get::<ListPage<AdminUser>>(&app, &admin, "/api/admin/users?role=owner")
        .await
        .expect_err("an unknown role");
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Grace becomes staff: an audit entry found by its action, by her account's id and by the
    // actor's email, not by an unrelated word.
    let grace = users.items.iter().find(|user| user.email == "grace@example.org").unwrap().id;
    let response = app
        .client
        .post(app.url("/api/admin/users/role"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .form(&[("user_id", grace.to_string()), ("role", "staff".to_owned())])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    // Two role changes: Grace's just now, and the admin's own when the command created it.
    let found: ListPage<AuditEntry> =
        get(&app, &admin, "/api/admin/audit?search=role.update").await.unwrap();
    assert_eq!(found.total, 2);
    assert_eq!(found.items[0].entity_id, grace.to_string(), "newest first");
    assert_eq!(found.items[1].actor, None, "the server command's");
    let by_id: ListPage<AuditEntry> =
        get(&app, &admin, &format!("/api/admin/audit?search={grace}")).await.unwrap();
    assert_eq!(by_id.total, 1);
    let by_actor: ListPage<AuditEntry> =
        get(&app, &admin, "/api/admin/audit?search=admin%40example").await.unwrap();
    assert!(by_actor.total >= 1);
    let nothing: ListPage<AuditEntry> =
        get(&app, &admin, "/api/admin/audit?search=refund").await.unwrap();
    assert_eq!((nothing.items.len(), nothing.total), (0, 0));
    let beyond: ListPage<AuditEntry> = get(&app, &admin, "/api/admin/audit?page=9").await.unwrap();
    assert_eq!((beyond.items.len(), beyond.page), (0, 9));
}
