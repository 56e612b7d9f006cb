//! Vitrine's shared crate: the Leptos application (routes, pages, components), the server
//! functions the pages call, and the typed models both sides exchange.
//!
//! The same source compiles twice: with `hydrate` into the browser's WASM, and with `ssr` into
//! the server, where [`backend`] holds the domain code (database access, later auth, models and
//! jobs). Server functions are declared here so one Rust signature types both ends of the call;
//! their bodies run only on the server and reach the [`backend`] through Leptos context.

#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod pages;
pub mod preprocess;
pub mod server_fns;
pub mod types;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

use crate::components::cart_count::provide_cart_count;
use crate::components::header::SiteHeader;
use crate::components::session::provide_session;
use crate::components::wishlist::provide_wishlist;
use crate::pages::account::reset::{ForgotPasswordPage, ResetPasswordPage};
use crate::pages::account::sign_in::{SignInPage, SignUpPage};
use crate::pages::account::AccountPage;
use crate::pages::admin::analytics::AdminAnalyticsPage;
use crate::pages::admin::audit::AdminAuditPage;
use crate::pages::admin::categories::AdminCategoriesPage;
use crate::pages::admin::imports::{AdminImportPage, AdminImportsPage};
use crate::pages::admin::inventory::AdminInventoryPage;
use crate::pages::admin::jobs::AdminJobsPage;
use crate::pages::admin::models::AdminModelsPage;
use crate::pages::admin::orders::{AdminOrderPage, AdminOrdersPage};
use crate::pages::admin::product_form::{AdminEditProductPage, AdminNewProductPage};
use crate::pages::admin::products::AdminProductsPage;
use crate::pages::admin::users::AdminUsersPage;
use crate::pages::admin::{AdminArea, AdminHome};
use crate::pages::shop::{
    cart::CartPage, category::CategoryPage, checkout::CheckoutPage, orders::OrderPage,
    orders::OrdersPage,
};
use crate::pages::{
    home::HomePage, not_found::NotFound, photo_search::PhotoSearchPage, privacy::PrivacyPage,
    product::ProductPage, search::SearchPage,
};

/// The HTML document around the application, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_wishlist();
    provide_session();
    provide_cart_count();

    view! {
        <Stylesheet id="leptos" href="/pkg/vitrine.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Vitrine: a shop you can search with a photo."/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Vitrine".to_owned() } else { format!("{page} · Vitrine") }
        }/>
        <Router>
            <SiteHeader/>
            <main class="page">
                <Routes fallback=NotFound>
                    // Async SSR: the catalog is in the first HTML response, complete, for
                    // shoppers on slow devices and for crawlers.
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("products"), ParamSegment("slug"))
                        view=ProductPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("search") view=SearchPage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("search"), StaticSegment("photo"))
                        view=PhotoSearchPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("categories"), ParamSegment("slug"))
                        view=CategoryPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("cart") view=CartPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("checkout") view=CheckoutPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("orders") view=OrdersPage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("orders"), ParamSegment("id"))
                        view=OrderPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("privacy") view=PrivacyPage/>
                    <Route path=StaticSegment("account") view=AccountPage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("account"), StaticSegment("sign-in"))
                        view=SignInPage
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("sign-up"))
                        view=SignUpPage
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("forgot"))
                        view=ForgotPasswordPage
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("reset"))
                        view=ResetPasswordPage
                    />
                    <ParentRoute path=StaticSegment("admin") view=AdminArea ssr=SsrMode::Async>
                        <Route path=StaticSegment("") view=AdminHome/>
                        <Route path=StaticSegment("users") view=AdminUsersPage/>
                        <Route path=StaticSegment("products") view=AdminProductsPage/>
                        <Route
                            path=(StaticSegment("products"), StaticSegment("new"))
                            view=AdminNewProductPage
                        />
                        <Route
                            path=(StaticSegment("products"), ParamSegment("id"))
                            view=AdminEditProductPage
                        />
                        <Route path=StaticSegment("categories") view=AdminCategoriesPage/>
                        <Route path=StaticSegment("imports") view=AdminImportsPage/>
                        <Route
                            path=(StaticSegment("imports"), ParamSegment("id"))
                            view=AdminImportPage
                        />
                        <Route path=StaticSegment("analytics") view=AdminAnalyticsPage/>
                        <Route path=StaticSegment("audit") view=AdminAuditPage/>
                        <Route path=StaticSegment("orders") view=AdminOrdersPage/>
                        <Route
                            path=(StaticSegment("orders"), ParamSegment("id"))
                            view=AdminOrderPage
                        />
                        <Route path=StaticSegment("inventory") view=AdminInventoryPage/>
                        <Route path=StaticSegment("jobs") view=AdminJobsPage/>
                        <Route path=StaticSegment("models") view=AdminModelsPage/>
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
