//! What answers HTTP: the router, the JSON API's handlers, the operations endpoints and the
//! layers in front of them.

pub mod api;
pub mod metrics;
pub mod moved_products;
pub mod ops;
pub mod rate_limits;
pub mod router;
pub mod security_headers;
pub mod server_fn_status;
pub mod session_refresh;
