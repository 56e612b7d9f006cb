//! The picker's browser half: reads the picked file (gloo-file), decodes and orients it with the
//! shared preprocessing code, draws the preview, and on "Search" makes the prepared square and
//! posts it. Everything here blocks the page's one thread while it computes, so each slow step
//! first lets the browser paint the status line that announces it.

use std::sync::Arc;

use image::RgbImage;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, FormData, HtmlCanvasElement, HtmlFormElement, HtmlInputElement,
    ImageData,
};

use super::selection::Selection;
use super::{PickedPhoto, Status};
use crate::components::fetch;
use crate::preprocess::{decode_upright, encode_prepared, model_image, Limits, PreprocessError};
use crate::types::PhotoSearchError;

/// The preview's longest side in canvas pixels: sharp on a phone, cheap to draw.
const PREVIEW_SIDE: u32 = 960;

/// Where the page's WASM sends a prepared search (answers `201` with the results page).
const QUERIES_URL: &str = "/api/search/queries";

/// What a pick does to the picker's state.
impl PickedPhoto {
    /// Starts a new pick and returns its number.
    fn begin_pick(&self) -> u64 {
        let pick = self.picks.get_value() + 1;
        self.picks.set_value(pick);
        self.error.set(None);
        self.status.set(Status::Reading);
        pick
    }

    fn is_current(&self, pick: u64) -> bool {
        self.picks.get_value() == pick
    }

    /// Shows a decoded photo with the box on the part the model would see of it.
    fn show(&self, upright: RgbImage) {
        let (width, height) = upright.dimensions();
        self.upright.set_value(Some(Arc::new(upright)));
        self.selection.set(Some(Selection::centred(width, height)));
        self.adjusted.set(false);
        self.status.set(Status::Ready { width, height });
    }

    /// Refuses the picked file: nothing is shown and nothing can be searched.
    fn refuse(&self, message: String) {
        self.upright.set_value(None);
        self.selection.set(None);
        self.status.set(Status::Empty);
        self.error.set(Some(message));
    }
}

/// Puts a dropped file into the form's file input (as if picked there) and loads it.
pub fn take_dropped_file(
    ev: &leptos::ev::DragEvent,
    input: NodeRef<leptos::html::Input>,
    photo: PickedPhoto,
    preview: NodeRef<leptos::html::Canvas>,
) {
    let (Some(files), Some(input)) =
        (ev.data_transfer().and_then(|transfer| transfer.files()), input.get())
    else {
        return;
    };
    if let Some(file) = files.get(0) {
        input.set_files(Some(&files));
        load(file, photo, preview);
    }
}

/// Loads the file just picked in one of the inputs.
pub fn load_picked_file(
    ev: &leptos::ev::Event,
    photo: PickedPhoto,
    preview: NodeRef<leptos::html::Canvas>,
) {
    let file = ev
        .target()
        .and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
        .and_then(|input| input.files())
        .and_then(|files| files.get(0));
    if let Some(file) = file {
        load(file, photo, preview);
    }
}

/// Reads, decodes and shows `file`, or says why it cannot be used.
fn load(file: web_sys::File, photo: PickedPhoto, preview: NodeRef<leptos::html::Canvas>) {
    let pick = photo.begin_pick();
    let limits = Limits::default();
    // Refused from its size alone, before reading a byte.
    if file.size() > limits.max_bytes as f64 {
        let too_large =
            PreprocessError::TooManyBytes { bytes: file.size() as usize, max: limits.max_bytes };
        photo.refuse(PhotoSearchError::from(too_large).to_string());
        return;
    }
    spawn_local(async move {
        let bytes = gloo_file::futures::read_as_bytes(&gloo_file::File::from(file)).await;
        yield_to_browser().await;
        if !photo.is_current(pick) {
            return; // Another photo was picked meanwhile.
        }
        let decoded = bytes
            .map_err(|_| PhotoSearchError::MalformedUpload)
            .and_then(|bytes| decode_upright(&bytes, &limits).map_err(PhotoSearchError::from));
        match decoded {
            Ok(upright) => {
                if let Some(canvas) = preview.get_untracked() {
                    draw_preview(&canvas, &upright);
                }
                photo.show(upright);
            }
            Err(refused) => photo.refuse(refused.to_string()),
        }
    });
}

/// Draws a reduced copy of the photo on the preview canvas.
fn draw_preview(canvas: &HtmlCanvasElement, upright: &RgbImage) {
    let (width, height) = upright.dimensions();
    let scale = (f64::from(PREVIEW_SIDE) / f64::from(width.max(height))).min(1.0);
    let (w, h) = (
        ((f64::from(width) * scale).round() as u32).max(1),
        ((f64::from(height) * scale).round() as u32).max(1),
    );
    let small = image::imageops::thumbnail(upright, w, h);
    let rgba: Vec<u8> = small.pixels().flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    canvas.set_width(w);
    canvas.set_height(h);
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|context| context.dyn_into::<CanvasRenderingContext2d>().ok());
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h);
    if let (Some(context), Ok(image)) = (context, image) {
        let _ = context.put_image_data(&image, 0.0, 0.0);
    }
}

/// The search form's submit: with a photo decoded here, searches with the prepared square and
/// navigates to the results without a reload. Nothing is posted while a photo is being read or
/// sent, or after the picked file was refused (the page says why). With nothing decoded here (a
/// photo picked before the WASM started, or none), the plain form posts and the server answers.
pub fn submit(ev: &leptos::ev::SubmitEvent, photo: PickedPhoto, navigate: impl Fn(&str) + 'static) {
    let form = ev.target().and_then(|target| target.dyn_into::<HtmlFormElement>().ok());
    match (photo.status.get_untracked(), photo.upright(), form) {
        (Status::Ready { .. }, Some(upright), Some(form)) => {
            ev.prevent_default();
            spawn_local(async move { search(form, photo, upright, navigate).await });
        }
        (Status::Reading | Status::Preparing | Status::Sending { .. }, ..) => ev.prevent_default(),
        (Status::Empty, ..) if photo.error.get_untracked().is_some() => ev.prevent_default(),
        _ => {}
    }
}

async fn search(
    form: HtmlFormElement,
    photo: PickedPhoto,
    upright: Arc<RgbImage>,
    navigate: impl Fn(&str),
) {
    photo.error.set(None);
    photo.status.set(Status::Preparing);
    yield_to_browser().await;
    let square = encode_prepared(&model_image(&upright, photo.region()));
    photo.status.set(Status::Sending { bytes: square.len() });
    let (width, height) = upright.dimensions();
    match post_prepared(&form, &square).await {
        Ok(results_url) => navigate(&results_url),
        Err(message) => photo.error.set(Some(message)),
    }
    photo.status.set(Status::Ready { width, height });
}

/// Posts the form's fields with the prepared square in place of the photo; the results page's
/// URL, or the message to show.
async fn post_prepared(form: &HtmlFormElement, square: &[u8]) -> Result<String, String> {
    let unavailable = || PhotoSearchError::Unavailable.to_string();
    let data = FormData::new_with_form(form).map_err(|_| unavailable())?;
    // The original stays on the device.
    data.delete("image");
    let square = fetch::blob(square, "image/png").map_err(|_| unavailable())?;
    data.append_with_blob_and_filename("prepared", &square, "photo.png")
        .map_err(|_| unavailable())?;
    let created = fetch::post_form(QUERIES_URL, &data).await?;
    created["results_url"].as_str().map(str::to_owned).ok_or_else(unavailable)
}

/// Lets the browser paint (the status line) before the next long computation.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = JsFuture::from(promise).await;
}
