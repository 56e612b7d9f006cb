//! Where a link to a product's page came from: a search result or an item of a recommendation
//! row. The link carries it in its query string (`?q=…&pos=…`, `?rec=…&v=…&pos=…`) and the
//! product's page hands it to its server function, which records the click with the view.
//! [`LinkSource`] is what it means; [`LinkParams`] the text as the URL has it, read leniently:
//! a link someone edited is still a product page, never an error.

use serde::{Deserialize, Serialize};

use super::MAX_QUERY_CHARS;

/// The furthest position a click keeps (as `shopper_events.position` allows, from 0).
pub const MAX_LINK_POSITION: i32 = 99;
/// The longest model version a click keeps (as `shopper_events.model_version` allows).
const MAX_MODEL_VERSION_CHARS: usize = 80;

/// Where a product link came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkSource {
    /// A result of the text search `query`, `position` from 0 across the pages.
    Search { query: String, position: Option<i32> },
    /// An item of recommendation row `row` (a `RowKind` name), filled by
    /// `model_version` (none for a row without a model, such as the trending fallback).
    Recommendation { row: String, model_version: Option<String>, position: Option<i32> },
}

impl LinkSource {
    /// The query string a product link carries (without the `?`).
    pub fn to_query_string(&self) -> String {
        let mut pairs = Vec::with_capacity(3);
        let position = match self {
            Self::Search { query, position } => {
                pairs.push(("q", query.clone()));
                position
            }
            Self::Recommendation { row, model_version, position } => {
                pairs.push(("rec", row.clone()));
                if let Some(version) = model_version {
                    pairs.push(("v", version.clone()));
                }
                position
            }
        };
        if let Some(position) = position {
            pairs.push(("pos", position.to_string()));
        }
        form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    }
}

/// The address of product `slug`'s page, carrying where the link came from if given.
pub fn product_href(slug: &str, from: Option<&LinkSource>) -> String {
    match from {
        Some(source) => format!("/products/{slug}?{}", source.to_query_string()),
        None => format!("/products/{slug}"),
    }
}

/// A product page's link parameters as the URL has them (`q`, `pos`, `rec`, `v`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkParams {
    pub q: Option<String>,
    pub pos: Option<String>,
    pub rec: Option<String>,
    pub v: Option<String>,
}

impl LinkParams {
    /// Where the link came from, if it says. A row wins over a query; a position that is not
    /// a number from 0 to [`MAX_LINK_POSITION`], or a model version too long to keep, is
    /// dropped (the click is still one). Whether the row exists is the server's to check.
    pub fn source(&self) -> Option<LinkSource> {
        let given = |value: &Option<String>| {
            value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(str::to_owned)
        };
        let position = given(&self.pos)
            .and_then(|text| text.parse::<i32>().ok())
            .filter(|position| (0..=MAX_LINK_POSITION).contains(position));
        if let Some(row) = given(&self.rec) {
            let model_version =
                given(&self.v).filter(|v| v.chars().count() <= MAX_MODEL_VERSION_CHARS);
            return Some(LinkSource::Recommendation { row, model_version, position });
        }
        let query: String = given(&self.q)?.chars().take(MAX_QUERY_CHARS).collect();
        Some(LinkSource::Search { query: query.trim_end().to_owned(), position })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the product page reads from `href`'s query string.
    fn read_back(href: &str) -> Option<LinkSource> {
        let query = href.split_once('?').map_or("", |(_, query)| query);
        let mut params = LinkParams::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()).into_owned() {
            let field = match key.as_str() {
                "q" => &mut params.q,
                "pos" => &mut params.pos,
                "rec" => &mut params.rec,
                "v" => &mut params.v,
                _ => continue,
            };
            *field = Some(value);
        }
        params.source()
    }

    #[test]
    fn a_source_round_trips_through_the_link() {
        let search = LinkSource::Search { query: "red & blue shoes".into(), position: Some(2) };
        let href = product_href("shoe", Some(&search));
        assert_eq!(href, "/products/shoe?q=red+%26+blue+shoes&pos=2");
        assert_eq!(read_back(&href), Some(search));
        let trending = LinkSource::Recommendation {
            row: "trending".into(),
            model_version: None,
            position: Some(0),
        };
        assert_eq!(read_back(&product_href("shoe", Some(&trending))), Some(trending));
        assert_eq!(product_href("shoe", None), "/products/shoe");
        assert_eq!(read_back("/products/shoe"), None);
    }

    #[test]
    fn bad_parameters_are_dropped_not_refused() {
        for pos in ["two", "-1", "100", "99999999999"] {
            assert_eq!(
                read_back(&format!("/products/x?q=lamp&pos={pos}")),
                Some(LinkSource::Search { query: "lamp".into(), position: None }),
                "{pos}"
            );
        }
        assert_eq!(read_back("/products/x?q=%20%20&pos=1"), None);
        let long_version = "v".repeat(81);
        assert_eq!(
            read_back(&format!("/products/x?rec=also_bought&v={long_version}&pos=1&q=lamp")),
            Some(LinkSource::Recommendation {
                row: "also_bought".into(),
                model_version: None,
                position: Some(1)
            })
        );
        let long_query = read_back(&format!("/products/x?q={}", "a".repeat(500))).unwrap();
        let LinkSource::Search { query, .. } = long_query else { panic!("a search") };
        assert_eq!(query.chars().count(), MAX_QUERY_CHARS);
    }
}
