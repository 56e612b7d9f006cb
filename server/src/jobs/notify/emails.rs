//! The notification emails, rendered from the events that cause them. Each template is a plain
//! function of the event (and, for orders, the order as it is now): the wording lives here, the
//! facts come from the database.

use app::backend::orders;
use app::backend::outbox::ShopEvent;
use app::backend::recs::rows::{self, Audience, RowRequest};
use app::types::{options_label, product_href, LinkSource, OrderDetail, OrderStatus, RowKind};
use sqlx::PgPool;
use uuid::Uuid;

pub use app::backend::outbox::Email;

/// The email an event sends, if it sends one (`None` for feed-only events).
pub async fn render(
    pool: &PgPool,
    public_url: &str,
    event: ShopEvent,
) -> anyhow::Result<Option<Email>> {
    let base = public_url.trim_end_matches('/');
    let order = |order_id: Uuid| async move {
        anyhow::Ok(orders::order_detail(pool, order_id).await.map_err(anyhow::Error::msg)?)
    };
    Ok(Some(match event {
        // Written whole by the account code (its link carries the secret token).
        ShopEvent::PasswordResetEmail(email) => email,
        ShopEvent::UserRegistered(account) => Email {
            to: account.email,
            subject: "Welcome to Vitrine".into(),
            body: format!(
                "Your Vitrine account is ready.\n\nSign in at {base}/account/sign-in to see \
                 your orders, and search the shop with a photo at {base}/search/photo.\n"
            ),
        },
        ShopEvent::OrderPaid(paid) => {
            let order = order(paid.order_id).await?;
            Email {
                to: order.summary.email.clone(),
                subject: format!("Order {} confirmed", order.summary.number),
                body: format!(
                    "Thank you for your order!\n\n{}\nWe will email you when it ships. Follow it \
                     at {base}/orders/{}\n{}",
                    receipt(&order),
                    order.summary.id,
                    picks(pool, base, paid.order_id).await
                ),
            }
        }
        ShopEvent::PaymentFailed(failure) => {
            let order = order(failure.order_id).await?;
            Email {
                to: order.summary.email.clone(),
                subject: format!("Payment for order {} did not go through", order.summary.number),
                body: format!(
                    "Your card was declined, so order {} is not paid yet and nothing was \
                     charged.\n\nTry another card at {base}/orders/{}\n",
                    order.summary.number, order.summary.id
                ),
            }
        }
        ShopEvent::OrderMoved { status: OrderStatus::Shipped, order: moved } => {
            let order = order(moved.order_id).await?;
            Email {
                to: order.summary.email.clone(),
                subject: format!("Order {} is on its way", order.summary.number),
                body: format!(
                    "Your order has shipped by {}.\n\n{}\nFollow it at {base}/orders/{}\n",
                    order.shipping_method.label(),
                    receipt(&order),
                    order.summary.id
                ),
            }
        }
        ShopEvent::RefundIssued(refund) => {
            let order = order(refund.order_id).await?;
            let amount = app::types::Money { minor: refund.amount_minor, ..order.summary.total };
            Email {
                to: order.summary.email.clone(),
                subject: format!("Refund for order {}", order.summary.number),
                body: format!(
                    "We have refunded {amount} to your card for order {}. Banks take a few days \
                     to show it.\n\nIn all, {} of {} has been refunded.\n",
                    order.summary.number, order.summary.refunded, order.paid
                ),
            }
        }
        ShopEvent::PasswordChanged(_)
        | ShopEvent::PasswordReset(_)
        | ShopEvent::OrderPlaced(_)
        | ShopEvent::OrderMoved { .. }
        | ShopEvent::ProductPublished(_)
        | ShopEvent::ProductHidden(_)
        | ShopEvent::ProductCreated(_)
        | ShopEvent::ProductUpdated(_)
        | ShopEvent::ProductArchived(_) => return Ok(None),
    }))
}

/// Picks in a confirmation email.
const EMAIL_PICKS: usize = 3;

/// A few products that go with the order, as plain text with links that say where they came
/// from (so a click is counted for the row). Empty when there is nothing to suggest, and when
/// the suggestions fail: the confirmation goes out without them rather than not at all.
async fn picks(pool: &PgPool, base: &str, order_id: Uuid) -> String {
    let asked = async {
        let products = rows::order_products(pool, order_id).await.map_err(anyhow::Error::from)?;
        let request =
            RowRequest { products, limit: EMAIL_PICKS, ..RowRequest::new(RowKind::OrderEmail) };
        anyhow::Ok(rows::recommend(pool, &Audience::default(), &request).await?)
    };
    let found = match asked.await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(error = %format!("{err:#}"), %order_id, "an order email without picks");
            return String::new();
        }
    };
    if found.products.is_empty() {
        return String::new();
    }
    let mut text = format!("\n{}:\n", found.title);
    for (position, product) in found.products.iter().enumerate() {
        let from = LinkSource::Recommendation {
            row: RowKind::OrderEmail.name().to_owned(),
            model_version: found.model_version.clone(),
            position: i32::try_from(position).ok(),
        };
        let href = product_href(&product.slug, Some(&from));
        text.push_str(&format!("  {} — {} — {base}{href}\n", product.name, product.price));
    }
    text
}

/// The order's lines and totals as plain text.
fn receipt(order: &OrderDetail) -> String {
    let mut text = format!("Order {}\n", order.summary.number);
    for line in &order.lines {
        let options = options_label(&line.options);
        let options = if options.is_empty() { String::new() } else { format!(" ({options})") };
        text.push_str(&format!(
            "  {} × {}{} — {}\n",
            line.quantity, line.product_name, options, line.line_total
        ));
    }
    text.push_str(&format!("  Delivery: {}\n", order.shipping));
    text.push_str(&format!("  Total: {}\n", order.summary.total));
    text
}
