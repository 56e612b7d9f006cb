//! `/checkout`: address, delivery, review and payment on one page. Submitting places the order
//! (holding its stock) and pays it; a declined card is shown in place and another card can be
//! tried; a card whose bank wants confirmation gets a confirm step; a paid order goes to its page.

use leptos::prelude::*;
use leptos_meta::Title;

use super::RefusalNotice;
use crate::components::cart_count::recount_after;
use crate::server_fns::shop::{
    checkout_start, Checkout, CheckoutDraft, ConfirmPayment, PaymentStep,
};
use crate::types::{options_label, ShippingMethod};

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let start = Resource::new(|| (), |_| checkout_start());
    view! {
        <Title text="Checkout"/>
        <h1>"Checkout"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match start.await {
                    Ok(start) if start.cart.is_empty() => view! {
                        <p class="empty">"Your cart is empty. " <a href="/">"Keep shopping"</a></p>
                    }.into_any(),
                    Ok(start) => view! { <CheckoutForm start/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CheckoutForm(start: CheckoutDraft) -> impl IntoView {
    let checkout = ServerAction::<Checkout>::new();
    let confirm = ServerAction::<ConfirmPayment>::new();
    // A paid order empties the cart.
    recount_after(checkout.version());
    recount_after(confirm.version());
    let error = Signal::derive(move || {
        let latest = if confirm.version().get() > 0 {
            confirm.value().get()
        } else {
            checkout.value().get()
        };
        latest.and_then(Result::err)
    });
    let confirming = move || match (confirm.value().get(), checkout.value().get()) {
        (Some(Ok(PaymentStep::Confirm { order_id, payment_id })), _)
        | (None, Some(Ok(PaymentStep::Confirm { order_id, payment_id }))) => {
            Some((order_id, payment_id))
        }
        _ => None,
    };
    let cart = start.cart;
    let subtotal = cart.subtotal.expect("a cart with lines has a subtotal");
    let currency = subtotal.currency;
    view! {
        <section class="checkout-review" aria-labelledby="review-heading">
            <h2 id="review-heading">"Your order"</h2>
            <ul class="checkout-lines">
                {cart.lines.iter().map(|line| {
                    let options = options_label(&line.options);
                    view! {
                        <li>{format!("{} × {}", line.quantity, line.product_name)}
                            {(!options.is_empty()).then(|| format!(" ({options})"))}
                            " — " {line.line_total.to_string()}</li>
                    }
                }).collect_view()}
            </ul>
            <p>"Subtotal: " <strong>{subtotal.to_string()}</strong>" (delivery is added below)"</p>
        </section>
        <ActionForm action=checkout attr:class="stacked-form checkout-form">
            <input type="hidden" name="idempotency_key" value=start.idempotency_key/>
            <fieldset>
                <legend>"Contact"</legend>
                <label>"Email for the receipt"
                    <input type="email" name="email" autocomplete="email" required value=start.email.unwrap_or_default()/>
                </label>
            </fieldset>
            <fieldset>
                <legend>"Delivery address"</legend>
                <label>"Full name" <input name="address[name]" autocomplete="name" required/></label>
                <label>"Address" <input name="address[line1]" autocomplete="address-line1" required/></label>
                <label>"Address line 2 (optional)" <input name="address[line2]" autocomplete="address-line2"/></label>
                <label>"City" <input name="address[city]" autocomplete="address-level2" required/></label>
                <label>"Postal code" <input name="address[postal_code]" autocomplete="postal-code" required/></label>
                <label>"Country (two letters, e.g. DE)"
                    <input name="address[country]" autocomplete="country" maxlength="2" required/>
                </label>
            </fieldset>
            <fieldset>
                <legend>"Delivery"</legend>
                {ShippingMethod::ALL.into_iter().map(|method| view! {
                    <label class="checkbox">
                        <input type="radio" name="shipping_method" value=method.code()
                            checked=method == ShippingMethod::Standard/>
                        {format!("{} — {}", method.label(), method.price(currency))}
                    </label>
                }).collect_view()}
            </fieldset>
            <fieldset>
                <legend>"Payment"</legend>
                <p class="hint">"Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0027 6000 3184 asks you to confirm."</p>
                <label>"Card number" <input name="card[number]" inputmode="numeric" autocomplete="cc-number" required/></label>
                <label>"Expiry (MM/YY)" <input name="card[expiry]" autocomplete="cc-exp" placeholder="MM/YY" required/></label>
                <label>"Security code" <input name="card[cvc]" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required/></label>
            </fieldset>
            <button type="submit" class="primary" disabled=move || checkout.pending().get()>
                {move || if checkout.pending().get() { "Paying…" } else { "Place order and pay" }}
            </button>
        </ActionForm>
        <RefusalNotice error/>
        {move || confirming().map(|(order_id, payment_id)| view! {
            <section class="confirm-payment" aria-labelledby="confirm-heading">
                <h2 id="confirm-heading">"Your bank asks you to confirm this payment"</h2>
                <ActionForm action=confirm attr:class="inline-form">
                    <input type="hidden" name="order_id" value=order_id.to_string()/>
                    <input type="hidden" name="payment_id" value=payment_id.to_string()/>
                    <input type="hidden" name="approved" value="true"/>
                    <button type="submit" class="primary">"Confirm payment"</button>
                </ActionForm>
                <ActionForm action=confirm attr:class="inline-form">
                    <input type="hidden" name="order_id" value=order_id.to_string()/>
                    <input type="hidden" name="payment_id" value=payment_id.to_string()/>
                    <input type="hidden" name="approved" value="false"/>
                    <button type="submit" class="secondary">"Cancel"</button>
                </ActionForm>
            </section>
        })}
    }
}
