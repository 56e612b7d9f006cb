//! Posting a form from the page's WASM and reading the JSON answer (the API's error body gives
//! the message to show). Browser only.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, FormData, Request, RequestInit, Response};

use crate::types::PhotoSearchError;

/// A file for a form field, made from bytes in memory.
pub fn blob(bytes: &[u8], content_type: &str) -> Result<Blob, JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type(content_type);
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence_and_options(&parts, &options)
}

/// Posts `data` to `url` as `multipart/form-data`: the JSON body of a success, or the message
/// to show for a refusal (or a generic one when the server cannot be reached).
pub async fn post_form(url: &str, data: &FormData) -> Result<serde_json::Value, String> {
    let unavailable = || PhotoSearchError::Unavailable.to_string();
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(data);
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| unavailable())?;
    let _ = request.headers().set("Accept", "application/json");
    let window = web_sys::window().ok_or_else(unavailable)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .and_then(JsValue::dyn_into)
        .map_err(|_| unavailable())?;
    let body = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|text| text.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    if response.ok() {
        Ok(json)
    } else {
        Err(json["error"]["message"].as_str().map_or_else(unavailable, str::to_owned))
    }
}
