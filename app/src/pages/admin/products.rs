//! Products, whether the shop shows each (hiding one is audited), and their images. Adding an
//! image: the admin picks a photo, the page's WASM decodes and orients it and makes the display
//! image (longest side 1024 px, JPEG) with the shared preprocessing code, shows it with its
//! size, and uploads only that. Without JavaScript the form posts the original and the server
//! makes the same display image.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::RequirePermission;
use crate::pages::shop::RefusalNotice;
use crate::server_fns::admin::{list_products, SetProductPublished, PRODUCT_IMAGES};
use crate::types::{AdminProduct, AuthError, Permission};

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    // Created here, outside the permission check's Suspense: a resource created inside one can
    // be created in another order while hydrating than on the server, and never resolve.
    let query = use_query_map();
    let uploads = RwSignal::new(0u32);
    let publish = ServerAction::<SetProductPublished>::new();
    let products = Resource::new(
        move || {
            let query = query.read();
            let archived = query.get("archived").is_some_and(|value| value == "true");
            (query.get("q").unwrap_or_default(), archived, uploads.get(), publish.version().get())
        },
        |(q, archived, ..)| list_products(q, archived),
    );
    view! {
        <Title text="Products · Admin"/>
        <RequirePermission permission=Some(Permission::Catalog)>
            <ProductsTable products uploads publish/>
        </RequirePermission>
    }
}

#[component]
fn ProductsTable(
    products: Resource<Result<Vec<AdminProduct>, AuthError>>,
    uploads: RwSignal<u32>,
    publish: ServerAction<SetProductPublished>,
) -> impl IntoView {
    let query = use_query_map();
    view! {
        <h1>"Products and images"</h1>
        <p><a href="/admin/products/new" class="button">"New product"</a></p>
        <RefusalNotice error=Signal::derive(move || publish.value().get().and_then(Result::err))/>
        <form method="get" class="inline-form" role="search">
            <input type="search" name="q" aria-label="Product name" placeholder="Product name"
                value=move || query.read().get("q").unwrap_or_default()/>
            <label class="inline-check">
                <input type="checkbox" name="archived" value="true"
                    checked=move || query.read().get("archived").is_some_and(|v| v == "true")/>
                "Archived too"
            </label>
            <button type="submit" class="secondary">"Find"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match products.await {
                    Ok(list) => view! {
                        <table class="admin-table">
                            <thead><tr><th>"Product"</th><th>"In the shop"</th><th>"Images"</th><th>"Add an image"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|product| view! {
                                    <ProductRow product publish on_upload=move || uploads.update(|n| *n += 1)/>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductRow(
    product: AdminProduct,
    publish: ServerAction<SetProductPublished>,
    on_upload: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let images = product.images.clone();
    let (state, button) = match (product.archived, product.published) {
        (true, _) => ("Archived", "Show"),
        (false, true) => ("Shown", "Hide"),
        (false, false) => ("Hidden", "Show"),
    };
    let publish_label = format!("{button} {} in the shop", product.name);
    view! {
        <tr data-product=product.slug.clone()>
            <td>
                <a href=format!("/admin/products/{}", product.id)>{product.name.clone()}</a>
                " · "<a href=format!("/products/{}", product.slug) class="hint">"in the shop"</a>
            </td>
            <td>
                <ActionForm action=publish attr:class="inline-form">
                    <input type="hidden" name="product_id" value=product.id.to_string()/>
                    <input type="hidden" name="published" value=(!product.published).to_string()/>
                    <span data-testid="publish-state">{state}</span>
                    <button type="submit" class="secondary"
                        aria-label=publish_label>{button}</button>
                </ActionForm>
            </td>
            <td class="admin-thumbnails">
                {images.into_iter().map(|url| view! { <img src=url alt="" width="48" height="48"/> }).collect_view()}
            </td>
            <td><ImageUpload product=product.id name=product.name on_upload/></td>
        </tr>
    }
}

/// What the picked photo became, ready to upload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prepared {
    None,
    Working,
    Ready { width: u32, height: u32, bytes: usize, original: usize },
}

#[component]
pub(super) fn ImageUpload(
    product: Uuid,
    name: String,
    on_upload: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let prepared = RwSignal::new(Prepared::None);
    let message = RwSignal::new(None::<String>);
    let preview = RwSignal::new(None::<String>);
    // The display image made in the browser (used by the browser half only).
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let display = StoredValue::new(None::<Vec<u8>>);
    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        upload_browser::prepare(&_ev, prepared, message, preview, display);
    };
    let on_submit = move |_ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        upload_browser::submit(&_ev, product, prepared, message, display, on_upload.clone());
        #[cfg(not(feature = "hydrate"))]
        let _ = &on_upload;
    };
    let summary = move || match prepared.get() {
        Prepared::None => String::new(),
        Prepared::Working => "Preparing…".to_owned(),
        Prepared::Ready { width, height, bytes, original } => format!(
            "{width}×{height} JPEG, {} KB (the photo is {} KB)",
            bytes.div_ceil(1024),
            original.div_ceil(1024)
        ),
    };
    // True once the browser runs this form (effects never run on the server): until then a
    // picked file would be posted as it is.
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    view! {
        <form class="image-upload" method="post" action=PRODUCT_IMAGES enctype="multipart/form-data"
            on:submit=on_submit data-live=move || live.get().to_string()>
            <input type="hidden" name="product" value=product.to_string()/>
            <input type="file" name="image" accept="image/jpeg,image/png,image/webp"
                aria-label=format!("Photo for {name}") on:change=on_pick required/>
            {move || preview.get().map(|url| view! { <img class="upload-preview" src=url alt="The image to upload"/> })}
            <span class="hint" role="status">{summary}</span>
            <button type="submit" class="secondary" disabled=move || prepared.get() == Prepared::Working>"Upload"</button>
            {move || message.get().map(|text| view! { <span class="notice">{text}</span> })}
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod upload_browser {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use uuid::Uuid;
    use wasm_bindgen::JsCast;
    use web_sys::{FormData, HtmlInputElement};

    use super::Prepared;
    use crate::components::fetch;
    use crate::preprocess::display::display_image;
    use crate::preprocess::{decode_upright, Limits};
    use crate::server_fns::admin::PRODUCT_IMAGES;
    use crate::types::PhotoSearchError;

    /// Reads the picked photo and makes its display image, shown before uploading.
    pub fn prepare(
        ev: &leptos::ev::Event,
        prepared: RwSignal<Prepared>,
        message: RwSignal<Option<String>>,
        preview: RwSignal<Option<String>>,
        display: StoredValue<Option<Vec<u8>>>,
    ) {
        let file = ev
            .target()
            .and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let Some(file) = file else { return };
        prepared.set(Prepared::Working);
        message.set(None);
        spawn_local(async move {
            let bytes = gloo_file::futures::read_as_bytes(&gloo_file::File::from(file)).await;
            let made = bytes.map_err(|_| PhotoSearchError::MalformedUpload).and_then(|bytes| {
                let upright = decode_upright(&bytes, &Limits::default())?;
                Ok((display_image(upright), bytes.len()))
            });
            match made {
                Ok(((jpeg, width, height), original)) => {
                    if let Some(old) = preview.get_untracked() {
                        let _ = web_sys::Url::revoke_object_url(&old);
                    }
                    let url = fetch::blob(&jpeg, "image/jpeg")
                        .ok()
                        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob).ok());
                    preview.set(url);
                    prepared.set(Prepared::Ready { width, height, bytes: jpeg.len(), original });
                    display.set_value(Some(jpeg));
                }
                Err(refused) => {
                    display.set_value(None);
                    prepared.set(Prepared::None);
                    message.set(Some(refused.to_string()));
                }
            }
        });
    }

    /// Uploads the display image (not the photo); without one, the plain form posts the photo.
    pub fn submit(
        ev: &leptos::ev::SubmitEvent,
        product: Uuid,
        prepared: RwSignal<Prepared>,
        message: RwSignal<Option<String>>,
        display: StoredValue<Option<Vec<u8>>>,
        on_upload: impl Fn() + 'static,
    ) {
        let Some(jpeg) = display.get_value() else { return };
        ev.prevent_default();
        spawn_local(async move {
            let sent = async {
                let data =
                    FormData::new().map_err(|_| PhotoSearchError::Unavailable.to_string())?;
                let blob = fetch::blob(&jpeg, "image/jpeg")
                    .map_err(|_| PhotoSearchError::Unavailable.to_string())?;
                let _ = data.append_with_str("product", &product.to_string());
                let _ = data.append_with_blob_and_filename("display", &blob, "display.jpg");
                fetch::post_form(PRODUCT_IMAGES, &data).await
            };
            match sent.await {
                Ok(_) => {
                    message.set(Some("Uploaded.".to_owned()));
                    prepared.set(Prepared::None);
                    display.set_value(None);
                    on_upload();
                }
                Err(error) => message.set(Some(error)),
            }
        });
    }
}
