//! Picking the photo to search with: a file input that also takes a dropped file, a camera input
//! on phones, and, once the page's WASM runs, the photo decoded and oriented in the browser, shown
//! with a crop box over it.
//!
//! Without JavaScript (or when the WASM fails to load) the inputs are a plain form's fields and the
//! server does all the work. With it, the page searches with a *prepared* photo instead (see
//! [`crate::preprocess::prepared`]): the square the model needs, made here by the same
//! preprocessing code the server runs, so the original never leaves the device.

mod crop_box;
pub mod selection;

#[cfg(feature = "hydrate")]
pub mod browser;

use std::sync::Arc;

use image::RgbImage;
use leptos::prelude::*;

use crate::preprocess::Region;
use crop_box::CropBox;
use selection::Selection;

/// Where the picked photo is on its way to a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    /// Nothing picked (or the last pick was refused).
    Empty,
    /// Reading and decoding the file.
    Reading,
    /// Decoded and shown; `width`×`height` upright pixels.
    Ready { width: u32, height: u32 },
    /// Making the square the model needs from the selection.
    Preparing,
    /// The prepared square is on its way to the server.
    Sending { bytes: usize },
}

/// The picker's state, shared with the form that submits it.
#[derive(Clone, Copy)]
pub struct PickedPhoto {
    pub status: RwSignal<Status>,
    /// Why the last pick or search failed, in words for the shopper.
    pub error: RwSignal<Option<String>>,
    /// The crop box, once a photo is decoded.
    pub selection: RwSignal<Option<Selection>>,
    /// Whether the shopper moved or resized the box. Until they do, the whole photo is searched
    /// exactly as the server would search it.
    pub adjusted: RwSignal<bool>,
    /// The decoded, upright photo (browser only).
    upright: StoredValue<Option<Arc<RgbImage>>>,
    /// Counts picks, so a slow decode of an earlier file never replaces a later one.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    // Picks happen in the browser only.
    picks: StoredValue<u64>,
}

impl PickedPhoto {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(Status::Empty),
            error: RwSignal::new(None),
            selection: RwSignal::new(None),
            adjusted: RwSignal::new(false),
            upright: StoredValue::new(None),
            picks: StoredValue::new(0),
        }
    }

    /// The region to search for: `None` (the whole photo) until the box is moved.
    pub fn region(&self) -> Option<Region> {
        if self.adjusted.get() {
            self.selection.get().map(Selection::region)
        } else {
            None
        }
    }

    /// Whether a photo is being read or sent (the search button waits).
    pub fn is_busy(&self) -> bool {
        matches!(self.status.get(), Status::Reading | Status::Preparing | Status::Sending { .. })
    }

    pub fn upright(&self) -> Option<Arc<RgbImage>> {
        self.upright.get_value()
    }

    /// Back to the whole photo.
    fn reset_selection(&self) {
        if let Some((width, height)) =
            self.upright.with_value(|u| u.as_ref().map(|u| u.dimensions()))
        {
            self.selection.set(Some(Selection::centred(width, height)));
            self.adjusted.set(false);
        }
    }
}

impl Default for PickedPhoto {
    fn default() -> Self {
        Self::new()
    }
}

/// The photo inputs, the preview with its crop box, and what is happening to the photo.
#[component]
pub fn PhotoPicker(photo: PickedPhoto) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let preview = NodeRef::<leptos::html::Canvas>::new();
    let dragging = RwSignal::new(false);

    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default(); // Lets the browser deliver the drop here instead of opening the file.
        dragging.set(true);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        browser::take_dropped_file(&ev, input, photo, preview);
    };
    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        browser::load_picked_file(&_ev, photo, preview);
    };
    let has_photo = move || photo.selection.with(Option::is_some);

    view! {
        <div class="photo-picker">
            <label class="drop-zone" class:dragging=move || dragging.get() class:compact=has_photo
                on:dragover=on_dragover
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <span class="drop-hint">
                    {move || if has_photo() { "Drop or choose another photo" } else { "Drop a photo here, or choose one" }}
                </span>
                <input node_ref=input type="file" name="image" accept="image/jpeg,image/png,image/webp"
                    on:change=on_pick/>
            </label>
            <label class="camera-input">
                "Take a photo"
                <input type="file" name="image" accept="image/*" capture="environment" on:change=on_pick/>
            </label>
            <div class="photo-editor" hidden=move || !has_photo()>
                <div class="photo-frame">
                    <canvas node_ref=preview class="photo-preview" role="img"
                        aria-label="The photo you picked"></canvas>
                    <Show when=has_photo>
                        <CropBox photo/>
                    </Show>
                </div>
                <p id="crop-help" class="hint">
                    "Drag the box or its corners to search for part of the photo; with the keyboard, "
                    "use the arrow keys on the box or on a corner (Shift for bigger steps). "
                    <button type="button" class="link-button" on:click=move |_| photo.reset_selection()
                        disabled=move || !photo.adjusted.get()>
                        "Use the whole photo"
                    </button>
                </p>
            </div>
            <StatusLine photo/>
        </div>
    }
    // Erased, so the page's view type stays within the compiler's depth limit.
    .into_any()
}

/// Progress in words, and the reason when a photo cannot be used.
#[component]
fn StatusLine(photo: PickedPhoto) -> impl IntoView {
    let progress = move || match photo.status.get() {
        Status::Empty => String::new(),
        Status::Reading => "Reading the photo…".to_owned(),
        Status::Ready { width, height } => format!("Ready: {width}×{height} pixels."),
        Status::Preparing => "Preparing the photo…".to_owned(),
        Status::Sending { bytes } => {
            format!("Searching with a {} KB square of your photo…", bytes.div_ceil(1024))
        }
    };
    view! {
        <p class="photo-status" role="status" aria-live="polite">{progress}</p>
        {move || photo.error.get().map(|message| view! {
            <p class="error" role="alert">{message}</p>
        })}
    }
}
