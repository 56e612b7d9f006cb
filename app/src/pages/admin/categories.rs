//! `/admin/categories`: the category tree, with a form per category to rename or move it, a
//! delete button on the empty ones, and a form for a new category. Plain form posts, so the
//! page works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use super::RequirePermission;
use crate::server_fns::admin::{category_tree, DeleteCategory, SaveCategory};
use crate::types::{AdminCategory, CatalogEditError, Permission, Refusal};

#[component]
pub fn AdminCategoriesPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see AdminProductsPage).
    let save = ServerAction::<SaveCategory>::new();
    let delete = ServerAction::<DeleteCategory>::new();
    let tree =
        Resource::new(move || (save.version().get(), delete.version().get()), |_| category_tree());
    let refusal = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| delete.value().get().and_then(Result::err))
    };
    view! {
        <Title text="Categories · Admin"/>
        <RequirePermission permission=Some(Permission::Catalog)>
            <h1>"Categories"</h1>
            {move || refusal().map(|error: CatalogEditError| {
                let detail = ["name", "new_slug", "parent", "category"]
                    .iter()
                    .find_map(|field| error.field(field))
                    .unwrap_or_else(|| error.to_string());
                view! { <p class="error" role="alert" data-error=error.code()>{detail}</p> }
            })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tree.await {
                        Ok(list) => view! { <CategoryTable list save delete/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </RequirePermission>
    }
}

#[component]
fn CategoryTable(
    list: Vec<AdminCategory>,
    save: ServerAction<SaveCategory>,
    delete: ServerAction<DeleteCategory>,
) -> impl IntoView {
    let parents = StoredValue::new(list.clone());
    view! {
        <h2>"New category"</h2>
        <ActionForm action=save attr:class="inline-form">
            <input name="form[name]" aria-label="New category's name" placeholder="Name" required/>
            <input name="form[new_slug]" aria-label="New category's web address" placeholder="web address (made from the name)"/>
            <ParentChoice parents=parents current=None label="New category's parent".to_owned()/>
            <button type="submit">"Create"</button>
        </ActionForm>
        <table class="admin-table category-tree">
            <thead><tr><th>"Category"</th><th>"Holds"</th><th>"Rename or move"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|category| {
                    // Indented by a class (the CSP allows no inline styles).
                    let indent = format!("depth-{}", category.depth.clamp(0, 5));
                    let empty = category.products == 0 && category.subcategories == 0;
                    let holds = format!("{} products, {} subcategories", category.products, category.subcategories);
                    let (slug, delete_label) = (category.slug.clone(), format!("Delete {}", category.name));
                    let (row_slug, code_slug, form_slug) = (category.slug.clone(), category.slug.clone(), category.slug.clone());
                    let (link, name) = (format!("/categories/{}", category.slug), category.name.clone());
                    let (name_label, parent_label) = (format!("Name of {}", category.name), format!("Parent of {}", category.name));
                    view! {
                        <tr data-category=row_slug>
                            <td class=indent>
                                <a href=link>{name.clone()}</a>
                                " "<code>{code_slug}</code>
                            </td>
                            <td>{holds}</td>
                            <td>
                                <ActionForm action=save attr:class="inline-form">
                                    <input type="hidden" name="form[slug]" value=form_slug/>
                                    <input name="form[name]" value=name required aria-label=name_label/>
                                    <ParentChoice parents current=Some(category) label=parent_label/>
                                    <button type="submit" class="secondary">"Save"</button>
                                </ActionForm>
                            </td>
                            <td>
                                {empty.then(|| view! {
                                    <ActionForm action=delete attr:class="inline-form">
                                        <input type="hidden" name="slug" value=slug/>
                                        <button type="submit" class="secondary"
                                            aria-label=delete_label>"Delete"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The parent select: "top level" or any category (the server refuses a move under itself).
#[component]
fn ParentChoice(
    parents: StoredValue<Vec<AdminCategory>>,
    current: Option<AdminCategory>,
    label: String,
) -> impl IntoView {
    let parent = current.as_ref().and_then(|c| c.parent_slug.clone());
    let own = current.map(|c| c.slug);
    view! {
        <select name="form[parent]" aria-label=label>
            <option value="" selected=parent.is_none()>"(top level)"</option>
            {parents.get_value().into_iter()
                .filter(|c| Some(&c.slug) != own.as_ref())
                .map(|c| {
                    let chosen = Some(&c.slug) == parent.as_ref();
                    let name = format!("{}{}", "— ".repeat(c.depth as usize), c.name);
                    view! { <option value=c.slug selected=chosen>{name}</option> }
                })
                .collect_view()}
        </select>
    }
}
