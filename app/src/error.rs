//! The error a server function returns to the page: typed, serialisable, and saying no more than
//! a shopper should see. Details stay in the server's logs.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ShopError {
    #[error("not found")]
    NotFound,
    #[error("the shop is temporarily unavailable, please try again")]
    Unavailable,
    /// Transport and encoding failures of the server-function call itself.
    #[error("request failed: {0}")]
    Request(String),
}

impl FromServerFnError for ShopError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ShopError::Request(value.to_string())
    }
}
