//! Refusals: why the shop said no, typed, serialisable, and saying no more than a shopper should
//! see (details stay in the server's logs). One enum per domain, each a [`Refusal`]: a stable
//! code shared by the JSON API and the pages, the HTTP status that goes with it, and the message
//! (its `Display`). The JSON API answers with `backend::api_error::ApiError`, made from any
//! refusal by one conversion; a server function's refusal travels in a [`RefusalEncoding`]
//! envelope that carries its status, so the server can answer with it without guessing.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What every refusal is. Implemented by each domain's error enum; the status is decided here,
/// where the error is defined, and nowhere else.
pub trait Refusal: std::fmt::Display + Sized {
    /// The domain's "temporarily unavailable": a failure of ours, not the client's.
    const UNAVAILABLE: Self;

    /// The stable, machine-readable name clients match on.
    fn code(&self) -> &'static str;

    /// The HTTP status that goes with it.
    fn status(&self) -> u16;

    /// Seconds the client must wait before trying again (sent as `Retry-After`).
    fn retry_after(&self) -> Option<u64> {
        None
    }

    /// A failure of ours (database, disk, model) as this domain's refusal: logged with its
    /// detail, reported without it.
    #[cfg(feature = "ssr")]
    fn unavailable(error: impl std::fmt::Display) -> Self {
        let refusal = Self::UNAVAILABLE;
        tracing::error!(%error, domain = std::any::type_name::<Self>(), "answering {}", refusal.code());
        refusal
    }
}

/// How a server function's refusal is encoded: the refusal's JSON inside an envelope that also
/// names its status and code (`{"status": 422, "code": "bad_email", "refusal": …}`). Leptos
/// answers every server function error with 500; `server`'s status layer reads the envelope's
/// status instead of trying each enum in turn (which could read a checkout's `BadEmail`, 422,
/// as the account enum's, 400). The page decodes the refusal out of the same envelope.
pub struct RefusalEncoding;

#[derive(Serialize)]
struct EnvelopeOut<'a, E> {
    status: u16,
    code: &'static str,
    refusal: &'a E,
}

#[derive(Deserialize)]
struct EnvelopeIn<E> {
    refusal: E,
}

/// Only the status, for the layer that sets it.
#[derive(Debug, Deserialize)]
pub struct RefusalStatus {
    pub status: u16,
}

impl ContentType for RefusalEncoding {
    const CONTENT_TYPE: &'static str = JsonEncoding::CONTENT_TYPE;
}

impl FormatType for RefusalEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<E: Refusal + Serialize> Encodes<E> for RefusalEncoding {
    type Error = serde_json::Error;

    fn encode(refusal: &E) -> Result<Bytes, Self::Error> {
        let envelope = EnvelopeOut { status: refusal.status(), code: refusal.code(), refusal };
        serde_json::to_vec(&envelope).map(Bytes::from)
    }
}

impl<E: Refusal + DeserializeOwned> Decodes<E> for RefusalEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<E, Self::Error> {
        serde_json::from_slice::<EnvelopeIn<E>>(&bytes).map(|envelope| envelope.refusal)
    }
}

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

impl Refusal for ShopError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Unavailable => "unavailable",
            Self::Request(_) => "bad_request",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unavailable => 503,
            Self::Request(_) => 400,
        }
    }
}

impl FromServerFnError for ShopError {
    type Encoder = RefusalEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ShopError::Request(value.to_string())
    }
}

/// Why a photo search was refused. Shared by the JSON API, which answers with the code, status
/// and message, and the search page, which the no-JavaScript form is redirected back to with
/// `?error=<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PhotoSearchError {
    #[error("Send the photo as a multipart/form-data upload.")]
    NotMultipart,
    #[error("The upload could not be read; please try again.")]
    MalformedUpload,
    #[error("Choose a photo to search with.")]
    MissingImage,
    #[error("That file is empty.")]
    EmptyImage,
    #[error("That file is too large; photos up to {max_mib} MiB are accepted.")]
    TooManyBytes { max_mib: usize },
    #[error("That file is not a photo we can read; use a JPEG, PNG or WebP image.")]
    UnsupportedType,
    #[error("That image has too many pixels; use a photo of at most 50 megapixels.")]
    TooManyPixels,
    #[error("That image is damaged or incomplete and cannot be read.")]
    CorruptImage,
    #[error("There is no such category.")]
    UnknownCategory,
    #[error("The number of results must be between 1 and {max}.")]
    BadLimit { max: i64 },
    #[error("The selected region must lie inside the photo.")]
    BadRegion,
    #[error("A prepared photo must be a 224×224 RGB PNG; send the original photo instead.")]
    BadPreparedImage,
    #[error("Send one photo: either the original (with an optional region) or a prepared one.")]
    ConflictingImages,
    #[error("That search has expired; please search again.")]
    ExpiredSearch,
    #[error("You are searching faster than the shop can keep up; wait a moment and try again.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Search by photo is temporarily unavailable, please try again.")]
    Unavailable,
}

impl Refusal for PhotoSearchError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::NotMultipart => "not_multipart",
            Self::MalformedUpload => "malformed_upload",
            Self::MissingImage => "missing_image",
            Self::EmptyImage => "empty_image",
            Self::TooManyBytes { .. } => "too_many_bytes",
            Self::UnsupportedType => "unsupported_type",
            Self::TooManyPixels => "too_many_pixels",
            Self::CorruptImage => "corrupt_image",
            Self::UnknownCategory => "unknown_category",
            Self::BadLimit { .. } => "bad_limit",
            Self::BadRegion => "bad_region",
            Self::BadPreparedImage => "bad_prepared_image",
            Self::ConflictingImages => "conflicting_images",
            Self::ExpiredSearch => "expired_search",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::MalformedUpload
            | Self::MissingImage
            | Self::BadLimit { .. }
            | Self::BadRegion
            | Self::ConflictingImages => 400,
            Self::UnknownCategory | Self::ExpiredSearch => 404,
            Self::TooManyBytes { .. } => 413,
            Self::NotMultipart | Self::UnsupportedType => 415,
            Self::EmptyImage
            | Self::TooManyPixels
            | Self::CorruptImage
            | Self::BadPreparedImage => 422,
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

impl PhotoSearchError {
    /// The error a code names (for the page the form redirects to); unknown codes are `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        use crate::preprocess::Limits;
        let all = [
            Self::NotMultipart,
            Self::MalformedUpload,
            Self::MissingImage,
            Self::EmptyImage,
            Self::TooManyBytes { max_mib: Limits::default().max_bytes / (1024 * 1024) },
            Self::UnsupportedType,
            Self::TooManyPixels,
            Self::CorruptImage,
            Self::UnknownCategory,
            Self::BadLimit { max: super::MAX_PHOTO_RESULTS },
            Self::BadRegion,
            Self::BadPreparedImage,
            Self::ConflictingImages,
            Self::ExpiredSearch,
            Self::TooManyRequests { retry_after_secs: 60 },
            Self::Unavailable,
        ];
        all.into_iter().find(|error| error.code() == code)
    }
}

impl From<crate::preprocess::PreprocessError> for PhotoSearchError {
    fn from(error: crate::preprocess::PreprocessError) -> Self {
        use crate::preprocess::PreprocessError as E;
        match error {
            E::Empty => Self::EmptyImage,
            E::TooManyBytes { max, .. } => Self::TooManyBytes { max_mib: max / (1024 * 1024) },
            E::UnsupportedFormat => Self::UnsupportedType,
            E::TooManyPixels { .. } => Self::TooManyPixels,
            E::Corrupt(_) => Self::CorruptImage,
            E::NotPrepared(_) => Self::BadPreparedImage,
        }
    }
}

impl FromServerFnError for PhotoSearchError {
    type Encoder = RefusalEncoding;

    fn from_server_fn_error(_: ServerFnErrorErr) -> Self {
        PhotoSearchError::Unavailable
    }
}

/// Why an account action was refused. Shared by the JSON API (code, status, message) and the
/// account pages, which show the message next to the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AuthError {
    #[error("Enter a valid email address.")]
    BadEmail,
    #[error("An account with that email already exists; sign in instead.")]
    EmailTaken,
    #[error("Use a password of 8 to 128 characters.")]
    PasswordLength,
    #[error("That password is too common; choose one that is harder to guess.")]
    CommonPassword,
    #[error("The email or password is wrong.")]
    InvalidCredentials,
    #[error("The current password is wrong.")]
    WrongPassword,
    #[error("That reset link is invalid or has expired; ask for a new one.")]
    InvalidResetToken,
    /// Missing, expired or otherwise invalid credentials: never more detail than this.
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("There is no such account.")]
    UnknownUser,
    #[error("The shop needs an admin; make another account admin first.")]
    LastAdmin,
    #[error("This account is disabled; contact the shop.")]
    AccountDisabled,
    #[error("You cannot do that to your own account.")]
    OwnAccount,
    #[error("Too many attempts; try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("The request could not be read.")]
    BadRequest,
    #[error("Accounts are temporarily unavailable, please try again.")]
    Unavailable,
}

impl Refusal for AuthError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::BadEmail => "bad_email",
            Self::EmailTaken => "email_taken",
            Self::PasswordLength => "password_length",
            Self::CommonPassword => "common_password",
            Self::InvalidCredentials => "invalid_credentials",
            Self::WrongPassword => "wrong_password",
            Self::InvalidResetToken => "invalid_reset_token",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::UnknownUser => "unknown_user",
            Self::LastAdmin => "last_admin",
            Self::AccountDisabled => "account_disabled",
            Self::OwnAccount => "own_account",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::BadRequest => "bad_request",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadEmail
            | Self::PasswordLength
            | Self::CommonPassword
            | Self::InvalidResetToken
            | Self::BadRequest => 400,
            Self::InvalidCredentials | Self::Unauthenticated => 401,
            Self::WrongPassword | Self::Forbidden | Self::AccountDisabled => 403,
            Self::UnknownUser => 404,
            Self::EmailTaken | Self::LastAdmin | Self::OwnAccount => 409,
            Self::TooManyAttempts { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl FromServerFnError for AuthError {
    type Encoder = RefusalEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AuthError::Unavailable,
            _ => AuthError::BadRequest,
        }
    }
}

/// Why a cart, checkout, payment or order action was refused. Shared by the JSON API (code,
/// status, message) and the shop's pages, which show the message where the shopper acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CommerceError {
    #[error("There is no such product option.")]
    UnknownVariant,
    #[error("There is no such product.")]
    UnknownProduct,
    #[error("That item is not for sale.")]
    NotForSale,
    #[error("Choose a quantity between 1 and {max}.")]
    BadQuantity { max: i32 },
    #[error("Only {available} left of {sku}.")]
    NotEnoughStock { sku: String, available: i32 },
    #[error("Sorry, {sku} sold out while you were shopping.")]
    SoldOut { sku: String },
    #[error("Your cart is empty.")]
    EmptyCart,
    #[error("Items priced in different currencies cannot share a cart.")]
    CurrencyMismatch,
    #[error("Check the address: {field} is missing or not valid.")]
    BadAddress { field: String },
    #[error("Enter a valid email address for the receipt.")]
    BadEmail,
    #[error("Choose a delivery option.")]
    UnknownShippingMethod,
    #[error("There is no such order.")]
    OrderNotFound,
    #[error("An order that is {from} cannot become {to}.")]
    IllegalTransition { from: String, to: String },
    #[error("The hold on your items has expired; please check out again.")]
    ReservationExpired,
    #[error("The card number, expiry date or security code is not valid.")]
    InvalidCard,
    #[error("Your card was declined ({code}). Try another card.")]
    PaymentDeclined { code: String },
    #[error("A payment for this order is already in progress.")]
    PaymentInProgress,
    #[error("There is no payment waiting for confirmation.")]
    NothingToConfirm,
    #[error("Send an Idempotency-Key header (1 to 255 characters) with payments and refunds.")]
    MissingIdempotencyKey,
    #[error("That idempotency key was used for a different request.")]
    IdempotencyKeyReused,
    #[error("{reserved} units are held by checkouts; a count cannot be lower.")]
    CountBelowReserved { reserved: i32 },
    #[error("Only paid orders can be refunded.")]
    NotPaid,
    #[error("A refund of {requested} would exceed the {refundable} that can still be refunded.")]
    RefundTooLarge { requested: String, refundable: String },
    #[error("The request could not be read.")]
    BadRequest,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("The payment service did not answer; nothing was charged. Please try again.")]
    PaymentProviderUnavailable,
    #[error("The shop is temporarily unavailable, please try again.")]
    Unavailable,
}

impl Refusal for CommerceError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::UnknownVariant => "unknown_variant",
            Self::UnknownProduct => "unknown_product",
            Self::NotForSale => "not_for_sale",
            Self::BadQuantity { .. } => "bad_quantity",
            Self::NotEnoughStock { .. } => "not_enough_stock",
            Self::SoldOut { .. } => "sold_out",
            Self::EmptyCart => "empty_cart",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::BadAddress { .. } => "bad_address",
            Self::BadEmail => "bad_email",
            Self::UnknownShippingMethod => "unknown_shipping_method",
            Self::OrderNotFound => "order_not_found",
            Self::IllegalTransition { .. } => "illegal_transition",
            Self::ReservationExpired => "reservation_expired",
            Self::InvalidCard => "invalid_card",
            Self::PaymentDeclined { .. } => "payment_declined",
            Self::PaymentInProgress => "payment_in_progress",
            Self::NothingToConfirm => "nothing_to_confirm",
            Self::MissingIdempotencyKey => "missing_idempotency_key",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::CountBelowReserved { .. } => "count_below_reserved",
            Self::NotPaid => "not_paid",
            Self::RefundTooLarge { .. } => "refund_too_large",
            Self::BadRequest => "bad_request",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::PaymentProviderUnavailable => "payment_provider_unavailable",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::MissingIdempotencyKey | Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::PaymentDeclined { .. } => 402,
            Self::UnknownVariant | Self::UnknownProduct | Self::OrderNotFound => 404,
            Self::NotEnoughStock { .. }
            | Self::SoldOut { .. }
            | Self::IllegalTransition { .. }
            | Self::ReservationExpired
            | Self::PaymentInProgress
            | Self::NothingToConfirm
            | Self::CountBelowReserved { .. }
            | Self::NotPaid => 409,
            Self::NotForSale
            | Self::BadQuantity { .. }
            | Self::EmptyCart
            | Self::CurrencyMismatch
            | Self::BadAddress { .. }
            | Self::BadEmail
            | Self::UnknownShippingMethod
            | Self::InvalidCard
            | Self::IdempotencyKeyReused
            | Self::RefundTooLarge { .. } => 422,
            Self::PaymentProviderUnavailable => 502,
            Self::Unavailable => 503,
        }
    }
}

/// Why the models page's action was refused: shown above the tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ModelsError {
    #[error("There is no model version {0:?}.")]
    UnknownVersion(String),
    /// Activating a text-to-image version maps every product image first, on the image model
    /// the server process loads; a request must not wait for that.
    #[error("{0} is a text-to-image version: its catalog is mapped by the server process, so activate it there with `vitrine model activate {0}`.")]
    ActivatedOnServer(String),
    #[error("There is no such training job.")]
    UnknownJob,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("The request could not be read.")]
    BadRequest,
    #[error("The models are temporarily unavailable, please try again.")]
    Unavailable,
}

impl Refusal for ModelsError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::UnknownVersion(_) => "unknown_version",
            Self::ActivatedOnServer(_) => "activated_on_server",
            Self::UnknownJob => "unknown_job",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::UnknownVersion(_) | Self::UnknownJob => 404,
            Self::ActivatedOnServer(_) => 409,
            Self::Unavailable => 503,
        }
    }
}

/// A field the form got wrong and what to say next to it. Fields are named as the form names
/// them: `name`, `slug`, `category`, `attributes`, `variants.1.price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Why a product could not be saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CatalogEditError {
    #[error("Some fields need a fix (marked below).")]
    Invalid(Vec<FieldError>),
    #[error("Someone else saved this product since you opened it. Reload it to see their changes, then make yours again.")]
    Stale,
    #[error("There is no such product.")]
    UnknownProduct,
    #[error("There is no such category.")]
    UnknownCategory,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("The request could not be read.")]
    BadRequest,
    #[error("The catalog is unavailable right now; try again in a moment.")]
    Unavailable,
}

impl CatalogEditError {
    /// The message for `field`, if the refusal names it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => {
                errors.iter().find(|error| error.field == field).map(|error| error.message.clone())
            }
            _ => None,
        }
    }
}

impl Refusal for CatalogEditError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_product",
            Self::Stale => "stale_form",
            Self::UnknownProduct => "unknown_product",
            Self::UnknownCategory => "unknown_category",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::UnknownProduct | Self::UnknownCategory => 404,
            Self::Stale => 409,
            Self::Invalid(_) => 422,
            Self::Unavailable => 503,
        }
    }
}

/// Why an import was refused or cannot be read. A refused upload writes nothing; rows that fail
/// once the import runs are its report's, not a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ImportError {
    #[error("Choose the CSV file to import.")]
    MissingCsv,
    /// The CSV as a whole cannot be imported (not UTF-8, a missing or unknown column, …).
    #[error("The CSV cannot be imported: {0}")]
    BadCsv(String),
    /// The ZIP is unreadable, or holds something no image archive should (a path out of the
    /// folder, a file that inflates far beyond its size, too many files).
    #[error("The ZIP of images cannot be used: {0}")]
    BadArchive(String),
    #[error("The upload is too large: at most {max_mib} MiB.")]
    TooLarge { max_mib: usize },
    #[error("There is no such import.")]
    UnknownImport,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("The request could not be read.")]
    BadRequest,
    #[error("Imports are unavailable right now; try again in a moment.")]
    Unavailable,
}

impl Refusal for ImportError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::MissingCsv => "missing_csv",
            Self::BadCsv(_) => "bad_csv",
            Self::BadArchive(_) => "bad_archive",
            Self::TooLarge { .. } => "too_large",
            Self::UnknownImport => "unknown_import",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::MissingCsv | Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::UnknownImport => 404,
            Self::TooLarge { .. } => 413,
            Self::BadCsv(_) | Self::BadArchive(_) => 422,
            Self::Unavailable => 503,
        }
    }
}

/// Why a dead job could not be retried or discarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum JobsError {
    #[error("There is no such job.")]
    UnknownJob,
    #[error("Only a dead job can be retried or discarded; this one is {0}.")]
    NotDead(String),
    /// Its dedupe key has a live job already: retrying it would do the same work twice.
    #[error("The same work is queued or running already; discard this one.")]
    AlreadyQueued,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("The request could not be read.")]
    BadRequest,
    #[error("The job queue is unavailable right now; try again in a moment.")]
    Unavailable,
}

impl Refusal for JobsError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::UnknownJob => "unknown_job",
            Self::NotDead(_) => "not_dead",
            Self::AlreadyQueued => "already_queued",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::UnknownJob => 404,
            Self::NotDead(_) | Self::AlreadyQueued => 409,
            Self::Unavailable => 503,
        }
    }
}

/// Why the analytics could not be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AnalyticsError {
    /// The date range does not read (the message says why).
    #[error("{0}")]
    BadRange(String),
    #[error("There is no such table to export.")]
    UnknownTable,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("The request could not be read.")]
    BadRequest,
    #[error("Analytics are unavailable right now; try again in a moment.")]
    Unavailable,
}

impl Refusal for AnalyticsError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::BadRange(_) => "bad_range",
            Self::UnknownTable => "unknown_table",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::UnknownTable => 404,
            Self::BadRange(_) => 422,
            Self::Unavailable => 503,
        }
    }
}

/// The refusals of a domain whose functions check access first (its enum has
/// `Unauthenticated`, `Forbidden`, `BadRequest` and `Unavailable`): an access refusal keeps its
/// meaning, and a request the server function could not read or answer is `BadRequest` or
/// `Unavailable`.
macro_rules! access_checked_refusals {
    ($($domain:ident),+ $(,)?) => {$(
        impl From<AuthError> for $domain {
            fn from(error: AuthError) -> Self {
                match error {
                    AuthError::Unauthenticated => Self::Unauthenticated,
                    AuthError::Forbidden => Self::Forbidden,
                    _ => Self::Unavailable,
                }
            }
        }

        impl FromServerFnError for $domain {
            type Encoder = RefusalEncoding;

            fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
                match value {
                    ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unavailable,
                    _ => Self::BadRequest,
                }
            }
        }
    )+};
}

access_checked_refusals!(
    CommerceError,
    ModelsError,
    CatalogEditError,
    ImportError,
    JobsError,
    AnalyticsError,
);
