//! The notification emails, rendered from the events that cause them. Each template is a plain
//! function of the event (and, for orders, the order as it is now): the wording lives here, the
//! facts come from the database.

use app::backend::orders;
use app::backend::outbox::ShopEvent;
use app::types::{options_label, OrderDetail, OrderStatus};
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
                     at {base}/orders/{}\n",
                    receipt(&order),
                    order.summary.id
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
        | ShopEvent::ProductHidden(_) => return Ok(None),
    }))
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
