//! The buying path's shared types: variants, carts, shipping, orders and their state machine.
//! Plain serde structs used by the pages, the JSON API and the backend alike.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Currency, Money, VariantOptions};

/// The most of one variant a cart holds.
pub const MAX_LINE_QUANTITY: i32 = 99;

/// A cart line with everything the cart page shows, priced now by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_slug: String,
    pub product_name: String,
    pub options: VariantOptions,
    pub image_url: Option<String>,
    pub unit_price: Money,
    pub quantity: i32,
    pub line_total: Money,
    pub available: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    /// None for an empty cart (it has no currency yet).
    pub subtotal: Option<Money>,
    pub item_count: i32,
}

impl Cart {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines asking for more than is available now (checkout would be refused).
    pub fn short_lines(&self) -> impl Iterator<Item = &CartLine> {
        self.lines.iter().filter(|line| line.quantity > line.available)
    }
}

/// The flat-rate shipping methods; the same amount in minor units in every currency.
/// Stored by its code (`orders.shipping_method`); sqlx maps it, so an unknown value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum ShippingMethod {
    Standard,
    Express,
}

impl ShippingMethod {
    pub const ALL: [ShippingMethod; 2] = [ShippingMethod::Standard, ShippingMethod::Express];

    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Express => "express",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Standard => "Standard delivery (3–5 working days)",
            Self::Express => "Express delivery (next working day)",
        }
    }

    pub fn price(self, currency: Currency) -> Money {
        let minor = match self {
            Self::Standard => 490,
            Self::Express => 1290,
        };
        Money { minor, currency }
    }
}

/// Where an order goes. Validated by [`ShippingAddress::check`] before an order is placed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShippingAddress {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. "DE".
    pub country: String,
}

impl ShippingAddress {
    /// The address trimmed, or the first field that is missing or malformed.
    pub fn check(mut self) -> Result<Self, &'static str> {
        for field in [
            &mut self.name,
            &mut self.line1,
            &mut self.line2,
            &mut self.city,
            &mut self.postal_code,
        ] {
            *field = field.trim().to_owned();
        }
        self.country = self.country.trim().to_ascii_uppercase();
        let required = [
            ("name", &self.name),
            ("line1", &self.line1),
            ("city", &self.city),
            ("postal_code", &self.postal_code),
        ];
        if let Some((field, _)) = required.into_iter().find(|(_, value)| value.is_empty()) {
            return Err(field);
        }
        let too_long = [&self.name, &self.line1, &self.line2, &self.city]
            .into_iter()
            .any(|value| value.chars().count() > 200);
        if too_long {
            return Err("length");
        }
        if self.postal_code.len() > 16 {
            return Err("postal_code");
        }
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("country");
        }
        Ok(self)
    }
}

/// Where an order stands. Moves only along [`OrderStatus::can_become`]; anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed; its stock is held while the shopper pays.
    PendingPayment,
    Paid,
    /// Packed and ready to go.
    Fulfilled,
    Shipped,
    Delivered,
    /// Never paid: the shopper or staff cancelled it, or its reservation expired.
    Cancelled,
    /// Paid in full and refunded in full. A partial refund leaves the status where it was.
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Fulfilled,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Refunded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PendingPayment => "Awaiting payment",
            Self::Paid => "Paid",
            Self::Fulfilled => "Packed",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
            Self::Cancelled => "Cancelled",
            Self::Refunded => "Refunded",
        }
    }

    /// The state machine: the statuses this one may move to.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            PendingPayment => &[Paid, Cancelled],
            Paid => &[Fulfilled, Refunded],
            Fulfilled => &[Shipped, Refunded],
            Shipped => &[Delivered, Refunded],
            Delivered => &[Refunded],
            Cancelled | Refunded => &[],
        }
    }

    pub fn can_become(self, next: OrderStatus) -> bool {
        self.next().contains(&next)
    }

    /// Moves staff make by hand; payment and refunds make the others.
    pub fn is_manual(self) -> bool {
        matches!(self, Self::Fulfilled | Self::Shipped | Self::Delivered | Self::Cancelled)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// An order as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: i64,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub total: Money,
    pub refunded: Money,
    pub item_count: i64,
    pub email: String,
}

impl OrderSummary {
    /// "Shipped", or "Shipped · partially refunded".
    pub fn status_label(&self) -> String {
        if self.refunded.minor > 0 && self.status != OrderStatus::Refunded {
            format!("{} · partially refunded", self.status.label())
        } else {
            self.status.label().to_owned()
        }
    }
}

/// How the staff's order list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSort {
    #[default]
    Newest,
    Oldest,
    LargestTotal,
    SmallestTotal,
}

impl OrderSort {
    pub const ALL: [OrderSort; 4] =
        [Self::Newest, Self::Oldest, Self::LargestTotal, Self::SmallestTotal];

    pub fn code(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::LargestTotal => "largest_total",
            Self::SmallestTotal => "smallest_total",
        }
    }

    /// Unknown codes read as the default: a sort is a preference, not worth a refusal.
    pub fn parse(code: &str) -> Self {
        Self::ALL.into_iter().find(|sort| sort.code() == code).unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Newest => "Newest first",
            Self::Oldest => "Oldest first",
            Self::LargestTotal => "Largest total",
            Self::SmallestTotal => "Smallest total",
        }
    }
}

/// What the staff's order list asks for: the query string of `/admin/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderListQuery {
    /// An order number ("1042" or "#1042") or part of the customer's email; empty: every order.
    pub search: String,
    pub status: Option<OrderStatus>,
    pub sort: OrderSort,
    /// From 1.
    pub page: i64,
}

/// A page of the staff's order list.
pub type OrderList = super::ListPage<OrderSummary>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub product_slug: String,
    pub options: VariantOptions,
    pub unit_price: Money,
    pub quantity: i32,
    pub line_total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub note: String,
}

/// A payment attempt as receipts show it (never the card number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSummary {
    pub id: Uuid,
    pub status: PaymentStatus,
    pub amount: Money,
    pub card_brand: String,
    pub card_last4: String,
    pub decline_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Stored by its code (`payments.status`); sqlx maps it, so an unknown value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum PaymentStatus {
    Processing,
    /// The bank asks the shopper to confirm (3-D Secure in real life).
    RequiresAction,
    Succeeded,
    Declined,
    /// The provider could not be reached or answered nonsense; nothing was charged.
    Failed,
}

impl PaymentStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::RequiresAction => "requires_action",
            Self::Succeeded => "succeeded",
            Self::Declined => "declined",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub summary: OrderSummary,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub shipping: Money,
    pub shipping_method: ShippingMethod,
    pub shipping_address: ShippingAddress,
    /// Until when the stock is held for payment (pending orders only).
    pub reserved_until: Option<DateTime<Utc>>,
    pub paid: Money,
    pub history: Vec<StatusChange>,
    pub payments: Vec<PaymentSummary>,
}

/// A refund as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundReceipt {
    pub refund_id: Uuid,
    pub amount: Money,
    /// What has been refunded on the order in all, this refund included.
    pub refunded_total: Money,
    pub order_status: OrderStatus,
}

/// Card details as the checkout form sends them. Only the test provider sees the number; the
/// shop keeps the brand and last four digits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardDetails {
    pub number: String,
    /// "MM/YY".
    pub expiry: String,
    pub cvc: String,
}

impl std::fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardDetails").field("last4", &self.last4()).finish_non_exhaustive()
    }
}

impl CardDetails {
    pub fn digits(&self) -> String {
        self.number.chars().filter(char::is_ascii_digit).collect()
    }

    pub fn last4(&self) -> String {
        let digits = self.digits();
        digits[digits.len().saturating_sub(4)..].to_owned()
    }

    /// Whether the number, expiry and CVC are well formed (the Luhn check included); says
    /// nothing about whether the card will be accepted.
    pub fn is_well_formed(&self, today: chrono::NaiveDate) -> bool {
        let digits = self.digits();
        let other = self.number.chars().any(|c| !c.is_ascii_digit() && c != ' ' && c != '-');
        if other || !(12..=19).contains(&digits.len()) || !luhn(&digits) {
            return false;
        }
        let cvc_ok =
            (3..=4).contains(&self.cvc.len()) && self.cvc.bytes().all(|b| b.is_ascii_digit());
        cvc_ok && expiry_ok(&self.expiry, today)
    }

    pub fn brand(&self) -> &'static str {
        let digits = self.digits();
        match digits.as_bytes().first() {
            Some(b'4') => "Visa",
            Some(b'5') => "Mastercard",
            Some(b'3') => "American Express",
            _ => "Card",
        }
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// "MM/YY" not before this month.
fn expiry_ok(expiry: &str, today: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    let Some((month, year)) = expiry.trim().split_once('/') else {
        return false;
    };
    let (Ok(month), Ok(year)) = (month.trim().parse::<u32>(), year.trim().parse::<i32>()) else {
        return false;
    };
    let year = if year < 100 { 2000 + year } else { year };
    (1..=12).contains(&month) && (year, month) >= (today.year(), today.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_allows_only_forward_moves() {
        use OrderStatus::*;
        assert!(PendingPayment.can_become(Paid));
        assert!(Paid.can_become(Fulfilled));
        assert!(Shipped.can_become(Delivered));
        assert!(Delivered.can_become(Refunded));
        assert!(!PendingPayment.can_become(Shipped), "unpaid orders never ship");
        assert!(!Paid.can_become(Cancelled), "a paid order is refunded, not cancelled");
        assert!(!Shipped.can_become(Paid));
        assert!(!Delivered.can_become(Shipped));
        for terminal in [Cancelled, Refunded] {
            assert!(terminal.next().is_empty());
        }
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.code()), Some(status));
            assert!(!status.can_become(status), "{status} cannot become itself");
        }
    }

    #[test]
    fn cards_are_checked_with_luhn_and_expiry() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let card = |number: &str, expiry: &str| CardDetails {
            number: number.into(),
            expiry: expiry.into(),
            cvc: "123".into(),
        };
        assert!(card("4242 4242 4242 4242", "12/30").is_well_formed(today));
        assert!(card("4000-0000-0000-0002", "11/26").is_well_formed(today));
        assert!(!card("4242 4242 4242 4241", "12/30").is_well_formed(today), "Luhn");
        assert!(!card("4242 4242 4242 4242", "10/26").is_well_formed(today), "expired");
        assert!(!card("4242 4242 4242 4242", "13/30").is_well_formed(today));
        assert!(!card("4242x4242 4242 4242", "12/30").is_well_formed(today));
        assert_eq!(card("4242 4242 4242 4242", "12/30").last4(), "4242");
        let debug = format!("{:?}", card("4242 4242 4242 4242", "12/30"));
        assert!(!debug.contains("4242 4242"), "the number never reaches the logs: {debug}");
    }

    #[test]
    fn addresses_are_trimmed_and_checked() {
        let address = ShippingAddress {
            name: " Ada Lovelace ".into(),
            line1: "12 St James's Square".into(),
            line2: String::new(),
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "gb".into(),
        };
        let checked = address.clone().check().unwrap();
        assert_eq!(checked.name, "Ada Lovelace");
        assert_eq!(checked.country, "GB");
        assert_eq!(ShippingAddress { city: " ".into(), ..address.clone() }.check(), Err("city"));
        assert_eq!(ShippingAddress { country: "GBR".into(), ..address }.check(), Err("country"));
    }
}
