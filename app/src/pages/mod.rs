pub mod home;
pub mod not_found;
pub mod photo_search;
pub mod product;
