pub mod account;
pub mod admin;
pub mod home;
pub mod not_found;
pub mod photo_search;
pub mod product;
pub mod search;
pub mod shop;
