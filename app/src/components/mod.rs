pub mod cart_count;
#[cfg(feature = "hydrate")]
pub mod fetch;
pub mod header;
pub mod photo_picker;
pub mod product_card;
pub mod session;
pub mod wishlist;
