//! Money: integer minor units of a currency, never floats.

use serde::{Deserialize, Serialize};

/// An amount of money in integer minor units (cents, pence) of an ISO 4217 currency. Floats never
/// hold money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

/// The currencies the shop prices in, each with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    Eur,
    Usd,
    Gbp,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Eur => "€",
            Currency::Usd => "$",
            Currency::Gbp => "£",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "EUR" => Some(Currency::Eur),
            "USD" => Some(Currency::Usd),
            "GBP" => Some(Currency::Gbp),
            _ => None,
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}{}.{:02}", self.currency.symbol(), abs / 100, abs % 100)
    }
}

impl Money {
    /// Parses an amount as shoppers type it ("12", "12.5", "12.50") into minor units, without
    /// floats; `None` for anything else.
    pub fn parse_minor(text: &str) -> Option<i64> {
        let text = text.trim();
        let (units, cents) = text.split_once('.').unwrap_or((text, ""));
        if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
            return None;
        }
        if !cents.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let cents = format!("{cents:0<2}").parse::<i64>().ok()?;
        units.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
    }

    /// "12.50": the amount without its symbol, for form fields.
    pub fn plain(minor: i64) -> String {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Minor units written as `units_cents` read as the price they are.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn money_formats_minor_units_without_floats() {
        let price = Money { minor: 129_99, currency: Currency::Eur };
        assert_eq!(price.to_string(), "€129.99");
        let refund = Money { minor: -5, currency: Currency::Usd };
        assert_eq!(refund.to_string(), "-$0.05");
    }

    #[test]
    fn typed_amounts_parse_to_minor_units() {
        assert_eq!(Money::parse_minor("12"), Some(1200));
        assert_eq!(Money::parse_minor(" 12.5 "), Some(1250));
        assert_eq!(Money::parse_minor("0.05"), Some(5));
        for bad in ["", "-1", "1.234", "1,50", "abc", ".5", "1e3"] {
            assert_eq!(Money::parse_minor(bad), None, "{bad}");
        }
        assert_eq!(Money::plain(1250), "12.50");
    }

    #[test]
    fn currency_codes_round_trip() {
        for currency in [Currency::Eur, Currency::Usd, Currency::Gbp] {
            assert_eq!(Currency::parse(currency.code()), Some(currency));
        }
        assert_eq!(Currency::parse("XYZ"), None);
    }
}
