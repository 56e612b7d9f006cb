//! Text search as the shop shows it: what a shopper asks (`SearchQuery`, the same fields as
//! `/search?…` and `/api/search?…`), the page of results with its facets, and the suggestions
//! shown while typing.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use super::{Category, Money, ProductCard, Refusal, RefusalEncoding};

/// Results on one page of a search.
pub const SEARCH_PAGE_SIZE: i64 = 24;
/// Deeper pages than this are refused: nobody reads them, and each costs a fused ranking.
pub const MAX_SEARCH_PAGE: i64 = 50;
/// Characters of a query that are read; the rest is ignored (a pasted essay is not an error).
pub const MAX_QUERY_CHARS: usize = 200;
/// Products and categories in the suggestions under the search box.
pub const SUGGESTED_PRODUCTS: i64 = 6;
pub const SUGGESTED_CATEGORIES: i64 = 3;

/// How search results are ordered. Relevance unless the shopper picks another; an empty or
/// absent `sort` is relevance too, never the order products were added in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl SearchSort {
    pub const ALL: [SearchSort; 4] =
        [Self::Relevance, Self::PriceAsc, Self::PriceDesc, Self::Newest];

    pub fn code(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
            Self::Newest => "newest",
        }
    }

    /// `None` for an unknown code; the empty string is relevance.
    pub fn parse(code: &str) -> Option<Self> {
        if code.trim().is_empty() {
            return Some(Self::Relevance);
        }
        Self::ALL.into_iter().find(|sort| sort.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Relevance => "Best match",
            Self::PriceAsc => "Price, low to high",
            Self::PriceDesc => "Price, high to low",
            Self::Newest => "Newest",
        }
    }
}

/// What a shopper searches for, with the filters of the results page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: String,
    /// A category's slug: its products and its subcategories'.
    pub category: Option<String>,
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    pub in_stock: bool,
    pub sort: SearchSort,
    /// From 1.
    pub page: i64,
}

impl SearchQuery {
    /// The query string of this search (on `page`), as `/search` and `/api/search` read it.
    pub fn to_query_string(&self, page: i64) -> String {
        let mut pairs = vec![("q", self.q.clone())];
        if let Some(category) = &self.category {
            pairs.push(("category", category.clone()));
        }
        if let Some(min) = self.min_price_minor {
            pairs.push(("min_price", Money::plain(min)));
        }
        if let Some(max) = self.max_price_minor {
            pairs.push(("max_price", Money::plain(max)));
        }
        if self.in_stock {
            pairs.push(("in_stock", "1".into()));
        }
        if self.sort != SearchSort::Relevance {
            pairs.push(("sort", self.sort.code().into()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    }
}

/// A piece of a product's name, marked when it is one of the words the search matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamePart {
    pub text: String,
    pub matched: bool,
}

/// One result: the product and its name split for highlighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub product: ProductCard,
    pub name_parts: Vec<NamePart>,
}

/// A category among the results, with how many of them it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub slug: String,
    pub name: String,
    pub count: i64,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The query as it was read (trimmed, at most `MAX_QUERY_CHARS`).
    pub query: String,
    pub hits: Vec<SearchHit>,
    /// Results matching the query and filters, on all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// The categories of the results (before the category filter), most results first.
    pub categories: Vec<CategoryCount>,
    /// The cheapest and dearest result (before the price filter), for the price fields.
    pub price_range: Option<(Money, Money)>,
    /// "Did you mean …": the query with its words corrected from the catalog's own words,
    /// when the query found nothing or little and a correction exists.
    pub did_you_mean: Option<String>,
    /// For a page with no results: the categories with the most products.
    pub popular_categories: Vec<CategoryCount>,
}

impl SearchResults {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// What the search box suggests while the shopper types.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Suggestions {
    pub products: Vec<ProductCard>,
    pub categories: Vec<Category>,
}

/// Why a search was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SearchError {
    #[error("A price is a positive amount such as 12 or 12.50.")]
    BadPrice,
    #[error("The lowest price must not be above the highest.")]
    EmptyPriceRange,
    #[error("Pages run from 1 to {max}.")]
    BadPage { max: i64 },
    #[error("Results can be sorted by relevance, price_asc, price_desc or newest.")]
    BadSort,
    #[error("The search could not be read; use letters, digits and spaces.")]
    BadQuery,
    #[error("You are searching faster than the shop can keep up; wait a moment and try again.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Search is temporarily unavailable, please try again.")]
    Unavailable,
}

impl Refusal for SearchError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::BadPrice => "bad_price",
            Self::EmptyPriceRange => "empty_price_range",
            Self::BadPage { .. } => "bad_page",
            Self::BadSort => "bad_sort",
            Self::BadQuery => "bad_query",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadPrice
            | Self::EmptyPriceRange
            | Self::BadPage { .. }
            | Self::BadSort
            | Self::BadQuery => 400,
            Self::TooManyRequests { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl FromServerFnError for SearchError {
    type Encoder = RefusalEncoding;

    fn from_server_fn_error(_: ServerFnErrorErr) -> Self {
        SearchError::Unavailable
    }
}

/// The raw parameters of `/search` and `/api/search`, as strings, so that a bad value gets its
/// own refusal rather than a generic "could not parse".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub category: Option<String>,
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    pub in_stock: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
}

impl SearchParams {
    /// The search these parameters ask for, or why it cannot be run.
    pub fn read(&self) -> Result<SearchQuery, SearchError> {
        let given = |value: &Option<String>| {
            value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(str::to_owned)
        };
        let price = |value: &Option<String>| match given(value) {
            None => Ok(None),
            Some(text) => Money::parse_minor(&text).map(Some).ok_or(SearchError::BadPrice),
        };
        let min_price_minor = price(&self.min_price)?;
        let max_price_minor = price(&self.max_price)?;
        if let (Some(min), Some(max)) = (min_price_minor, max_price_minor) {
            if min > max {
                return Err(SearchError::EmptyPriceRange);
            }
        }
        let page = match given(&self.page) {
            None => 1,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|page| (1..=MAX_SEARCH_PAGE).contains(page))
                .ok_or(SearchError::BadPage { max: MAX_SEARCH_PAGE })?,
        };
        let sort =
            SearchSort::parse(self.sort.as_deref().unwrap_or("")).ok_or(SearchError::BadSort)?;
        let in_stock = given(&self.in_stock).is_some_and(|value| value != "0" && value != "false");
        let q: String =
            self.q.as_deref().unwrap_or("").trim().chars().take(MAX_QUERY_CHARS).collect();
        Ok(SearchQuery {
            q: q.trim().to_owned(),
            category: given(&self.category),
            min_price_minor,
            max_price_minor,
            in_stock,
            sort,
            page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        let get = |name: &str| {
            pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
        };
        SearchParams {
            q: get("q"),
            category: get("category"),
            min_price: get("min_price"),
            max_price: get("max_price"),
            in_stock: get("in_stock"),
            sort: get("sort"),
            page: get("page"),
        }
    }

    #[test]
    fn a_search_round_trips_through_its_query_string() {
        let query = SearchQuery {
            q: "red shoes & more".into(),
            category: Some("clothing".into()),
            min_price_minor: Some(500),
            max_price_minor: Some(12_050),
            in_stock: true,
            sort: SearchSort::PriceDesc,
            page: 1,
        };
        let text = query.to_query_string(3);
        assert_eq!(
            text,
            "q=red+shoes+%26+more&category=clothing&min_price=5.00&max_price=120.50&in_stock=1&sort=price_desc&page=3"
        );
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(text.as_bytes()).into_owned().collect();
        let pairs: Vec<(&str, &str)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(params(&pairs).read(), Ok(SearchQuery { page: 3, ..query }));
    }

    #[test]
    fn an_empty_sort_is_relevance_and_bad_values_are_refused() {
        assert_eq!(params(&[("sort", "")]).read().unwrap().sort, SearchSort::Relevance);
        assert_eq!(params(&[]).read().unwrap().sort, SearchSort::Relevance);
        assert_eq!(params(&[("sort", "id")]).read(), Err(SearchError::BadSort));
        assert_eq!(params(&[("min_price", "-3")]).read(), Err(SearchError::BadPrice));
        assert_eq!(params(&[("max_price", "1e9")]).read(), Err(SearchError::BadPrice));
        assert_eq!(
            params(&[("min_price", "9"), ("max_price", "3")]).read(),
            Err(SearchError::EmptyPriceRange)
        );
        for page in ["0", "-1", "51", "99999999999999999999", "two"] {
            assert_eq!(params(&[("page", page)]).read(), Err(SearchError::BadPage { max: 50 }));
        }
    }

    #[test]
    fn a_long_query_is_cut_not_refused() {
        let long = "ab ".repeat(5000);
        let query = params(&[("q", &long)]).read().unwrap();
        assert!(query.q.chars().count() <= MAX_QUERY_CHARS);
    }
}
