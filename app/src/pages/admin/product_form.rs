//! Creating and editing a product: `/admin/products/new` and `/admin/products/{id}`. One form
//! for both, a plain form post that works without JavaScript (the server sends the browser
//! back, or to the new product's page). Refusals are shown next to their fields; a stale form
//! (someone saved the product since it was opened) is refused with a message at the top.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::products::ImageUpload;
use super::RequirePermission;
use crate::server_fns::admin::{category_tree, edit_product, ArchiveProduct, SaveProduct};
use crate::types::{
    AdminCategory, CatalogEditError, EditableProduct, Permission, ProductForm, Refusal,
    VariantForm, CURRENCIES,
};

/// Blank variant rows a form offers for adding variants.
const SPARE_ROWS: usize = 2;

#[component]
pub fn AdminNewProductPage() -> impl IntoView {
    let save = ServerAction::<SaveProduct>::new();
    let choices = Resource::new(|| (), |_| category_tree());
    // Created: open its edit page (a full load; a plain form post is redirected there by the
    // server instead).
    Effect::new(move |_| {
        if let Some(Ok(product)) = save.value().get() {
            let _ = window().location().assign(&format!("/admin/products/{}", product.id));
        }
    });
    view! {
        <Title text="New product · Admin"/>
        <RequirePermission permission=Some(Permission::Catalog)>
            <h1>"New product"</h1>
            <p><a href="/admin/products">"All products"</a></p>
            <ProductFormView product=None save choices/>
        </RequirePermission>
    }
}

#[component]
pub fn AdminEditProductPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see AdminProductsPage).
    let params = use_params_map();
    let save = ServerAction::<SaveProduct>::new();
    let archive = ServerAction::<ArchiveProduct>::new();
    let uploads = RwSignal::new(0u32);
    let choices = Resource::new(|| (), |_| category_tree());
    // Read again after a save that went through (its revision), not after a refused one: the
    // form keeps what the admin typed next to the refusals.
    let saved = Memo::new(move |_| save.value().get().and_then(Result::ok).map(|p| p.revision));
    let product = Resource::new(
        move || {
            let id = params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok());
            (id, saved.get(), archive.version().get(), uploads.get())
        },
        |(id, ..)| async move {
            match id {
                Some(id) => edit_product(id).await,
                None => Err(CatalogEditError::UnknownProduct),
            }
        },
    );
    view! {
        <Title text="Edit product · Admin"/>
        <RequirePermission permission=Some(Permission::Catalog)>
            <p><a href="/admin/products">"All products"</a></p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match product.await {
                        Ok(product) => view! {
                            <h1>{product.name.clone()}</h1>
                            <ProductState product=product.clone() archive/>
                            <ProductFormView product=Some(product.clone()) save choices/>
                            <h2>"Images"</h2>
                            <ImageUpload product=product.id name=product.name.clone()
                                on_upload=move || uploads.update(|n| *n += 1)/>
                        }
                        .into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </RequirePermission>
    }
}

/// Whether the shop shows the product, its address, and archive / restore.
#[component]
fn ProductState(product: EditableProduct, archive: ServerAction<ArchiveProduct>) -> impl IntoView {
    let state = match (product.archived, product.published) {
        (true, _) => "Archived",
        (false, true) => "Shown in the shop",
        (false, false) => "Hidden",
    };
    let (button, archived) = if product.archived { ("Restore", false) } else { ("Archive", true) };
    view! {
        <p class="product-state">
            <span data-testid="product-state">{state}</span>" · "
            <a href=format!("/products/{}", product.slug)>{format!("/products/{}", product.slug)}</a>
        </p>
        <ActionForm action=archive attr:class="inline-form">
            <input type="hidden" name="product_id" value=product.id.to_string()/>
            <input type="hidden" name="archived" value=archived.to_string()/>
            <button type="submit" class="secondary">{button}</button>
        </ActionForm>
    }
}

/// The categories to choose from, depth first.
type Choices = Resource<Result<Vec<AdminCategory>, CatalogEditError>>;

/// The form itself, filled from `product` (blank for a new one).
#[component]
fn ProductFormView(
    product: Option<EditableProduct>,
    save: ServerAction<SaveProduct>,
    /// Created by the page, outside any Suspense: a resource created inside one may be created
    /// in another order while hydrating than on the server, and never resolve.
    choices: Choices,
) -> impl IntoView {
    let form = product.as_ref().map(ProductForm::of).unwrap_or_default();
    let product_id = product.as_ref().map(|p| p.id);
    let refusal = move || save.value().get().and_then(Result::err);
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    // The message next to `field` from the last refusal.
    let error_for = move |field: String| move || refusal().and_then(|error| error.field(&field));
    let mut variants = form.variants.clone();
    variants.extend(
        (0..SPARE_ROWS)
            .map(|_| VariantForm { currency: "EUR".to_owned(), ..VariantForm::default() }),
    );
    let category = form.category.clone();
    view! {
        <ActionForm action=save attr:class="product-form">
            {product_id.map(|id| view! { <input type="hidden" name="product_id" value=id.to_string()/> })}
            {form.revision.map(|revision| view! {
                <input type="hidden" name="form[revision]" value=revision.to_string()/>
            })}
            {move || refusal().map(|error| view! {
                <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p>
            })}
            {move || saved().then(|| view! { <p class="notice" role="status" data-testid="product-saved">"Saved."</p> })}
            <label>"Name"
                <input name="form[name]" value=form.name.clone() required maxlength="200"/>
                <FieldError message=error_for("name".into())/>
            </label>
            <label>"Web address"
                <input name="form[slug]" value=form.slug.clone() placeholder="made from the name"
                    aria-describedby="slug-hint"/>
                <span class="hint" id="slug-hint">"Changing it keeps the old address working (it redirects)."</span>
                <FieldError message=error_for("slug".into())/>
            </label>
            <label>"Category"
                <select name="form[category]" required>
                    <Suspense fallback=|| ()>
                        {
                            let category = category.clone();
                            move || {
                                let category = category.clone();
                                Suspend::new(async move {
                                    let list = choices.await.unwrap_or_default();
                                    let blank = category.is_empty();
                                    view! {
                                        <option value="" selected=blank>"Choose…"</option>
                                        {list.into_iter().map(|c| {
                                            let chosen = c.slug == category;
                                            let label = format!("{}{}", "— ".repeat(c.depth as usize), c.name);
                                            view! { <option value=c.slug selected=chosen>{label}</option> }
                                        }).collect_view()}
                                    }
                                })
                            }
                        }
                    </Suspense>
                </select>
                <FieldError message=error_for("category".into())/>
            </label>
            <label>"Description"
                <textarea name="form[description]" rows="5" maxlength="10000">{form.description.clone()}</textarea>
                <FieldError message=error_for("description".into())/>
            </label>
            <label>"Attributes"
                <textarea name="form[attributes]" rows="3" placeholder="material: stoneware">{form.attributes.clone()}</textarea>
                <span class="hint">"One per line, as name: value."</span>
                <FieldError message=error_for("attributes".into())/>
            </label>
            <fieldset class="variants">
                <legend>"Variants"</legend>
                <FieldError message=error_for("variants".into())/>
                <table class="admin-table">
                    <thead><tr>
                        <th>"SKU"</th><th>"Options"</th><th>"Price"</th><th>"Currency"</th>
                        <th>"Stock"</th><th>"Remove"</th>
                    </tr></thead>
                    <tbody>
                        {variants.into_iter().enumerate().map(|(row, variant)| {
                            let on_hand = product.as_ref().and_then(|p| {
                                p.variants.iter().find(|v| Some(v.id) == variant.id).map(|v| v.on_hand)
                            });
                            view! { <VariantRow row variant on_hand error_for/> }
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="hint">"Fill a blank row to add a variant; save to get more rows."</p>
            </fieldset>
            <button type="submit">{if product_id.is_some() { "Save product" } else { "Create product" }}</button>
        </ActionForm>
    }
}

#[component]
fn VariantRow<F, G>(
    row: usize,
    variant: VariantForm,
    /// Units on hand of a saved variant (its stock moves on the inventory page).
    on_hand: Option<i32>,
    error_for: F,
) -> impl IntoView
where
    F: Fn(String) -> G + Copy + Send + Sync + 'static,
    G: Fn() -> Option<String> + Send + Sync + 'static,
{
    let name = move |field: &str| format!("form[variants][{row}][{field}]");
    let error = move |field: &str| error_for(format!("variants.{row}.{field}"));
    let saved = variant.id.is_some();
    let currency = variant.currency.clone();
    view! {
        <tr data-variant-row=row>
            <td>
                {variant.id.map(|id| view! { <input type="hidden" name=name("id") value=id.to_string()/> })}
                <input name=name("sku") value=variant.sku.clone() aria-label=format!("SKU of variant {}", row + 1)/>
                <FieldError message=error("sku")/>
            </td>
            <td>
                <input name=name("options") value=variant.options.clone() placeholder="size: M"
                    aria-label=format!("Options of variant {}", row + 1)/>
                <FieldError message=error("options")/>
            </td>
            <td>
                <input name=name("price") value=variant.price.clone() inputmode="decimal" placeholder="12.50"
                    aria-label=format!("Price of variant {}", row + 1)/>
                <FieldError message=error("price")/>
            </td>
            <td>
                <select name=name("currency") aria-label=format!("Currency of variant {}", row + 1)>
                    {CURRENCIES.iter().map(|c| {
                        let code = c.code();
                        view! { <option value=code selected=code == currency>{code}</option> }
                    }).collect_view()}
                </select>
                <FieldError message=error("currency")/>
            </td>
            <td>
                {match on_hand {
                    Some(units) => view! { <span>{units}" on hand"</span> }.into_any(),
                    None => view! {
                        <input name=name("opening_stock") inputmode="numeric" placeholder="0"
                            aria-label=format!("Opening stock of variant {}", row + 1)/>
                    }.into_any(),
                }}
                <FieldError message=error("opening_stock")/>
            </td>
            <td>
                {saved.then(|| view! {
                    <input type="checkbox" name=name("remove") value="true"
                        aria-label=format!("Remove variant {}", row + 1)/>
                })}
                <FieldError message=error("remove")/>
            </td>
        </tr>
    }
}

/// A field's refusal, next to it.
#[component]
fn FieldError<G>(message: G) -> impl IntoView
where
    G: Fn() -> Option<String> + Send + Sync + 'static,
{
    move || message().map(|text| view! { <span class="field-error" role="alert">{text}</span> })
}
