//! `/privacy`: what the shop records about shoppers, why, and how to turn it off. It has to
//! stay true to the code: `backend::recs::tracking` and `events` (what is recorded, the visitor
//! cookie, Global Privacy Control / Do Not Track), `shopper` (joined at sign-in), `privacy`
//! (the export and the erasure).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! {
        <Title text="Privacy"/>
        <article class="privacy-notice">
            <h1>"Privacy"</h1>
            <p>
                "Vitrine records what shoppers do in the shop, first party only: on the shop's own "
                "pages and servers, with no advertising, analytics or tracking services of anyone else."
            </p>
            <h2>"What is recorded"</h2>
            <ul>
                <li>"the products you look at;"</li>
                <li>"what you add to your cart;"</li>
                <li>"what you search for, and which result you open;"</li>
                <li>"which recommendations you are shown, and which you open;"</li>
                <li>"your orders, to deliver them and for the shop's accounts."</li>
            </ul>
            <h2>"Why"</h2>
            <p>
                "To make the shop's recommendations (what is picked for you, what is bought together) "
                "and for the shop owner's own figures of what shoppers look for and buy."
            </p>
            <h2>"How you are known"</h2>
            <p>
                "As a guest, by a cookie of the shop's own that holds a random number and nothing else, "
                "kept for a year. When you sign in or create an account, what was recorded in that "
                "browser joins your account, as your cart does."
            </p>
            <h2>"Your data"</h2>
            <p>
                "All of it is part of your account's data export. Deleting your account erases "
                "what you did in the shop, with what was recorded in the browsers you used; your "
                "orders stay in the shop's accounts without your name, address or email. Both are on "
                <a href="/account">"your account page"</a> "."
            </p>
            <h2>"Turning it off"</h2>
            <p data-testid="privacy-signals">
                "If your browser sends Global Privacy Control or Do Not Track, the shop records "
                "nothing but what an order needs (your cart, your orders and, when you sign in, "
                "your session) and sets no visitor cookie."
            </p>
        </article>
    }
}
