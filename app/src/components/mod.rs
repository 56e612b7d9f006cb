pub mod header;
pub mod product_card;
pub mod wishlist;
