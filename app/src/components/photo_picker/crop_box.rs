//! The crop box over the preview: drag it (mouse, touch or pen, through pointer events) or a
//! corner handle; or focus it or a handle and use the arrow keys.

use leptos::prelude::*;

use super::selection::{Corner, Selection};
use super::PickedPhoto;

/// What a pointer that went down on the box is doing.
#[derive(Debug, Clone, Copy)]
enum Gesture {
    Move,
    Resize(Corner),
}

/// A drag in progress: where it started, in screen and photo terms.
#[derive(Debug, Clone, Copy)]
struct Drag {
    pointer: i32,
    gesture: Gesture,
    start_x: f64,
    start_y: f64,
    start: Selection,
    /// Photo pixels per CSS pixel of the preview as shown.
    scale: f64,
}

#[component]
pub fn CropBox(photo: PickedPhoto) -> impl IntoView {
    let element = NodeRef::<leptos::html::Div>::new();
    let drag = StoredValue::new(None::<Drag>);

    let change = move |update: &dyn Fn(Selection) -> Selection| {
        photo.selection.update(|selection| {
            if let Some(selection) = selection {
                *selection = update(*selection);
            }
        });
        photo.adjusted.set(true);
    };

    let start = move |ev: &leptos::ev::PointerEvent, gesture: Gesture| {
        let (Some(el), Some(selection)) =
            (element.get_untracked(), photo.selection.get_untracked())
        else {
            return;
        };
        ev.prevent_default();
        // Keeps the moves coming to the box when the pointer leaves it mid-drag.
        let _ = el.set_pointer_capture(ev.pointer_id());
        let frame_width = el.parent_element().map_or(0.0, |frame| f64::from(frame.client_width()));
        if frame_width <= 0.0 {
            return;
        }
        drag.set_value(Some(Drag {
            pointer: ev.pointer_id(),
            gesture,
            start_x: f64::from(ev.client_x()),
            start_y: f64::from(ev.client_y()),
            start: selection,
            scale: selection.photo_width() / frame_width,
        }));
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let Some(drag) = drag.get_value().filter(|drag| drag.pointer == ev.pointer_id()) else {
            return;
        };
        let dx = (f64::from(ev.client_x()) - drag.start_x) * drag.scale;
        let dy = (f64::from(ev.client_y()) - drag.start_y) * drag.scale;
        change(&|_| match drag.gesture {
            Gesture::Move => drag.start.moved(dx, dy),
            Gesture::Resize(corner) => drag.start.resized(corner, dx, dy),
        });
    };
    let end = move |_: leptos::ev::PointerEvent| drag.set_value(None);

    let on_key = move |ev: leptos::ev::KeyboardEvent, gesture: Gesture| {
        let Some(selection) = photo.selection.get_untracked() else { return };
        let step = selection.step(ev.shift_key());
        let (dx, dy) = match ev.key().as_str() {
            "ArrowLeft" => (-step, 0.0),
            "ArrowRight" => (step, 0.0),
            "ArrowUp" => (0.0, -step),
            "ArrowDown" => (0.0, step),
            _ => return,
        };
        ev.prevent_default(); // No page scrolling while the box moves.
        ev.stop_propagation(); // A handle's keys are not also the box's.
        change(&|selection| match gesture {
            Gesture::Move => selection.moved(dx, dy),
            Gesture::Resize(corner) => selection.resized(corner, dx, dy),
        });
    };

    let handles = Corner::ALL.map(|corner| {
        view! {
            <span class=corner.class() tabindex="0" role="button" aria-label=corner.label()
                aria-describedby="crop-help"
                on:pointerdown=move |ev| {
                    ev.stop_propagation();
                    start(&ev, Gesture::Resize(corner));
                }
                on:keydown=move |ev| on_key(ev, Gesture::Resize(corner))
            ></span>
        }
    });

    view! {
        <div node_ref=element class="crop-box" tabindex="0" role="group"
            aria-label="Area to search for" aria-describedby="crop-help"
            style:left=move || photo.selection.get().map(|s| s.css_box().left)
            style:top=move || photo.selection.get().map(|s| s.css_box().top)
            style:width=move || photo.selection.get().map(|s| s.css_box().width)
            style:height=move || photo.selection.get().map(|s| s.css_box().height)
            // The region searched for, as the API takes it; empty while it is the whole photo.
            data-region=move || photo.region().map(|region| region.to_string()).unwrap_or_default()
            on:pointerdown=move |ev| start(&ev, Gesture::Move)
            on:pointermove=on_move
            on:pointerup=end
            on:pointercancel=end
            on:keydown=move |ev| on_key(ev, Gesture::Move)
        >
            {handles}
        </div>
    }
}
