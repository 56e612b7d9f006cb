//! The browser entry point: takes over the server-rendered page, and offers the page's photo
//! preprocessing to scripts.

use app::preprocess::{decode_upright, encode_prepared, model_image, Limits, Region};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// What the search page does with a picked photo, in one call: decode under the upload limits,
/// orient, crop to `region` (`"x,y,width,height"` in fractions; none for the whole photo), resize
/// and encode the model's square as the PNG the page uploads as `prepared`. The parity test and
/// the browser timing in docs/benchmarks.md call it through `/pkg/vitrine.js`.
#[wasm_bindgen(js_name = preparePhoto)]
pub fn prepare_photo(bytes: &[u8], region: Option<String>) -> Result<Vec<u8>, JsError> {
    let region = match region.as_deref() {
        Some(text) => Some(
            text.parse::<Region>().map_err(|()| JsError::new("a region is x,y,width,height"))?,
        ),
        None => None,
    };
    let upright = decode_upright(bytes, &Limits::default())?;
    Ok(encode_prepared(&model_image(&upright, region)))
}
