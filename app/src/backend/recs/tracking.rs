//! What the shop's own pages and JSON API record of what a shopper does, server side: a
//! product's view (with the search result or recommendation it was opened from), an add to the
//! cart, a search. The browser's `POST /api/events` is the other way in; both queue on the same
//! [`EventWriter`](super::events::EventWriter), so recording never waits for the database.
//!
//! - [`record`], for an axum handler: the request's headers, the signed-in user, the actions;
//!   answers the visitor cookie to set when the browser has none yet.
//! - [`record_in_server_fn`]: the same for a server function, from the request in Leptos
//!   context, the cookie set on the response.
//! - [`product_opened`], [`cart_add`], [`search`], [`impressions`]: the actions.
//!
//! A browser sending Global Privacy Control or Do Not Track has nothing recorded and gets no
//! visitor cookie. Purchases are not events: paid orders are their record.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use uuid::Uuid;

use super::events::{self, EventKind, IncomingEvent};
use crate::backend::shopper::{self, VISITOR_COOKIE};
use crate::backend::state::AppState;
use crate::types::{LinkSource, RecommendationRow, SearchQuery};

/// Records `actions` of a request with `headers`, done by `user_id` when signed in. Answers the
/// `Set-Cookie` that gives a browser without a visitor id the one they were recorded under.
pub fn record(
    state: &AppState,
    headers: &HeaderMap,
    user_id: Option<Uuid>,
    actions: Vec<IncomingEvent>,
) -> Option<HeaderValue> {
    if actions.is_empty() || events::not_tracked(headers) {
        return None;
    }
    let known = shopper::visitor(headers);
    let visitor = known.unwrap_or_else(Uuid::new_v4);
    queue(state, visitor, user_id, actions);
    known.is_none().then(|| shopper::visitor_cookie(&state.auth, visitor))
}

/// [`record`] for the request a server function runs in, the cookie set on its response.
/// Without a request (the route listing at start-up) there is nobody to record.
pub async fn record_in_server_fn(actions: Vec<IncomingEvent>) {
    use leptos::prelude::use_context;

    let (Some(state), Some(parts), Some(response)) = (
        use_context::<AppState>(),
        use_context::<axum::http::request::Parts>(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if actions.is_empty() || events::not_tracked(&parts.headers) {
        return;
    }
    let user_id = crate::backend::auth::request::maybe_user().await.map(|user| user.id);
    if let Some(visitor) = shopper::visitor(&parts.headers) {
        return queue(&state, visitor, user_id, actions);
    }
    // Several server functions may render one page, each recording for the same new browser:
    // the later ones take the id the response already gives it, or the page's events would be
    // split between visitors and the browser keep only the last cookie. Deciding under the
    // lock makes that hold for functions resolving on other threads too.
    let mut response = response.0.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let visitor = match visitor_being_set(&response.headers) {
        Some(visitor) => visitor,
        None => {
            let visitor = Uuid::new_v4();
            response.headers.append(SET_COOKIE, shopper::visitor_cookie(&state.auth, visitor));
            visitor
        }
    };
    drop(response);
    queue(&state, visitor, user_id, actions);
}

/// A product's page was opened: its view, and the click on the search result or the
/// recommendation the link came from.
pub fn product_opened(product_id: Uuid, from: Option<&LinkSource>) -> Vec<IncomingEvent> {
    let view = action(EventKind::View, Some(product_id));
    let click = from.map(|from| match from {
        LinkSource::Search { query, position } => IncomingEvent {
            query: Some(query.clone()),
            position: *position,
            ..action(EventKind::SearchClick, Some(product_id))
        },
        LinkSource::Recommendation { row, model_version, position } => IncomingEvent {
            row: Some(row.clone()),
            model_version: model_version.clone(),
            position: *position,
            ..action(EventKind::RecClick, Some(product_id))
        },
    });
    std::iter::once(view).chain(click).collect()
}

/// A variant of `product_id` was added to the cart (not a quantity set on the cart page).
pub fn cart_add(product_id: Uuid) -> Vec<IncomingEvent> {
    vec![action(EventKind::CartAdd, Some(product_id))]
}

/// The search to record for `query`, if any: words typed, on the first page, with no filter or
/// other order. Narrowing or paging re-runs the same search; counting each run would weigh a
/// query by the facets clicked on its results rather than by how often shoppers ask it.
pub fn search(query: &SearchQuery, results: i64) -> Vec<IncomingEvent> {
    let as_typed = SearchQuery { q: query.q.clone(), page: 1, ..SearchQuery::default() };
    if query.q.is_empty() || *query != as_typed {
        return Vec::new();
    }
    vec![IncomingEvent {
        query: Some(query.q.clone()),
        results: Some(i32::try_from(results).unwrap_or(i32::MAX)),
        ..action(EventKind::Search, None)
    }]
}

/// A recommendation row was shown: one impression per product, with its position.
pub fn impressions(row: &RecommendationRow) -> Vec<IncomingEvent> {
    row.products
        .iter()
        .enumerate()
        .map(|(position, product)| IncomingEvent {
            row: Some(row.row.name().to_owned()),
            model_version: row.model_version.clone(),
            position: i32::try_from(position).ok(),
            ..action(EventKind::RecImpression, Some(product.id))
        })
        .collect()
}

fn action(kind: EventKind, product_id: Option<Uuid>) -> IncomingEvent {
    IncomingEvent {
        kind,
        product_id,
        query: None,
        row: None,
        model_version: None,
        position: None,
        results: None,
    }
}

/// Checks each action as `POST /api/events` would and queues those that pass: a link's
/// unknown row drops its click, not the view. Their products need no look-up: the page was
/// found, or the cart took the variant, only for a product the shop shows.
fn queue(state: &AppState, visitor: Uuid, user_id: Option<Uuid>, actions: Vec<IncomingEvent>) {
    let checked = actions
        .into_iter()
        .filter_map(|action| match events::read(vec![action], visitor, user_id) {
            Ok(mut one) => one.pop(),
            Err(err) => {
                tracing::debug!(error = %err, "a page's event was not recorded");
                None
            }
        })
        .collect();
    state.events.record(checked);
}

/// The visitor id a response's `Set-Cookie` headers already give the browser, if any.
fn visitor_being_set(headers: &HeaderMap) -> Option<Uuid> {
    headers.get_all(SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|value| {
        let (pair, _attributes) = value.split_once(';').unwrap_or((value, ""));
        let (name, id) = pair.split_once('=')?;
        (name.trim() == VISITOR_COOKIE).then(|| Uuid::parse_str(id.trim()).ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SearchSort;

    fn checked(actions: Vec<IncomingEvent>) -> Vec<EventKind> {
        actions
            .into_iter()
            .filter_map(|action| events::read(vec![action], Uuid::nil(), None).ok())
            .flatten()
            .map(|event| event.action.kind)
            .collect()
    }

    #[test]
    fn an_opened_product_is_a_view_and_the_click_it_came_from() {
        let id = Uuid::nil();
        assert_eq!(checked(product_opened(id, None)), [EventKind::View]);
        let result = LinkSource::Search { query: "lamp".into(), position: Some(2) };
        assert_eq!(
            checked(product_opened(id, Some(&result))),
            [EventKind::View, EventKind::SearchClick]
        );
        let row = |row: &str| LinkSource::Recommendation {
            row: row.into(),
            model_version: None,
            position: Some(1),
        };
        assert_eq!(
            checked(product_opened(id, Some(&row("trending")))),
            [EventKind::View, EventKind::RecClick]
        );
        assert_eq!(checked(product_opened(id, Some(&row("no_such_row")))), [EventKind::View]);
    }

    #[test]
    fn only_a_search_as_typed_is_recorded() {
        let typed = SearchQuery { q: "lamp".into(), page: 1, ..SearchQuery::default() };
        assert_eq!(checked(search(&typed, 3)), [EventKind::Search]);
        // The server's count of results goes along (the analytics' zero-result searches).
        assert_eq!(search(&typed, 0)[0].results, Some(0));
        assert!(search(&SearchQuery { q: String::new(), ..typed.clone() }, 3).is_empty());
        assert!(search(&SearchQuery { page: 2, ..typed.clone() }, 3).is_empty());
        assert!(
            search(&SearchQuery { category: Some("home".into()), ..typed.clone() }, 3).is_empty()
        );
        assert!(search(&SearchQuery { in_stock: true, ..typed.clone() }, 3).is_empty());
        assert!(search(&SearchQuery { sort: SearchSort::Newest, ..typed }, 3).is_empty());
    }

    #[test]
    fn the_visitor_a_response_sets_is_read_back() {
        let visitor = Uuid::new_v4();
        let mut headers = HeaderMap::new();
        assert_eq!(visitor_being_set(&headers), None);
        headers.append(SET_COOKIE, HeaderValue::from_static("vitrine_cart=x; Path=/"));
        assert_eq!(visitor_being_set(&headers), None);
        let cookie = format!("{VISITOR_COOKIE}={visitor}; Path=/; Max-Age=31536000; HttpOnly");
        headers.append(SET_COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert_eq!(visitor_being_set(&headers), Some(visitor));
    }
}
