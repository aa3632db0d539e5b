//! One setlist: the manager's editor, or the drummer's view with an inline
//! tempo and notes editor. Both follow the band live (`crate::live`) and
//! show who else has the setlist open.

mod authors;
mod draft;
mod drummer;
mod editor;
mod presence;
mod song_editor;

use leptos::{
    prelude::*,
    wasm_split::{SplitLoaderError, wasm_split},
};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{
        ErrorCode, Setlist,
        client::{self, ApiFailure},
        validation::{FieldErrors, field_label},
    },
    components::{KeptCopyLinks, LoadFailure, ManagersOnly, NO_SUCH_SETLIST},
    pages::lazy::{self, unreachable_page},
    session::use_session,
};
use drummer::DrummerView;
use editor::Editor;

#[component]
pub fn SetlistPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    // A memo: the page reads its setlist again only when the id changes, not
    // whenever the router hands out new params (it does on every navigation
    // under the signed-in parent route, the way out of this page included).
    let id = Memo::new(move |_| params.with(|p| p.get("id")).unwrap_or_default());
    // The role alone: a refresh that brings the member's new name must not
    // rebuild the view (and lose what is typed in it).
    let manager = Memo::new(move |_| session.is_manager());
    // Opened by its address: the view's chunk loads while the setlist does;
    // then the gig's, for the stage mode a band opens from here.
    Effect::new(move |_| {
        let manager = manager.get();
        leptos::task::spawn_local(async move {
            preload_setlist_view(manager).await;
            lazy::preload_gig().await;
        });
    });
    let read = move || {
        let id = id.get();
        async move {
            match id.as_str() {
                "new" => Ok(None),
                // On the way out: the route names no setlist any more.
                "" => std::future::pending().await,
                id => client::get::<Setlist>(session, &format!("/api/setlists/{id}"))
                    .await
                    .map(Some),
            }
        }
    };
    let setlist = client::read_until_answered(read, client::worth_reading_again);
    client::read_again_when_online(setlist);
    // Named after the show, so a band's open tabs tell apart. `try_get`: the
    // title is read once more as the page goes, after its resource.
    let title = move || match setlist.try_get().flatten() {
        Some(Ok(Some(setlist))) => setlist.name,
        Some(Ok(None)) => "New setlist".to_string(),
        Some(Err(failure)) => failed_heading(&failure).to_string(),
        None => "Setlist".to_string(),
    };
    view! {
        <Title text=title/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the setlist…"</p> }>
            {move || setlist.get().map(|result| match result {
                Err(failure) => {
                    let offline = failure.code == ErrorCode::Network;
                    view! {
                        <section class="card">
                            <h1>{failed_heading(&failure)}</h1>
                            <LoadFailure failure missing=NO_SUCH_SETLIST/>
                            {offline.then(|| view! { <KeptCopyLinks id=id.get_untracked()/> })}
                            <a href="/setlists">"Back to the list"</a>
                        </section>
                    }.into_any()
                }
                Ok(existing) if manager.get() => Suspend::new(async move {
                    manager_editor(existing).await.unwrap_or_else(unreachable_page)
                }).into_any(),
                Ok(Some(setlist)) => Suspend::new(async move {
                    drummer_view(setlist).await.unwrap_or_else(unreachable_page)
                }).into_any(),
                Ok(None) => view! {
                    <ManagersOnly heading="New setlist">"Only managers can create setlists."</ManagersOnly>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Fetches the wasm chunk of a setlist's view for this member (the editor or
/// the drummer's view), so that opening a setlist waits for its data only. A
/// chunk already here is not fetched again; a failure shows when the view is
/// opened.
pub async fn preload_setlist_view(manager: bool) {
    let _ = if manager {
        preload_manager_editor().await
    } else {
        preload_drummer_view().await
    };
}

/// The manager's editor lives in a wasm chunk of its own (see
/// `pages/lazy.rs`): a drummer's phone never downloads it.
#[wasm_split(manager, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_manager_editor))]
fn manager_editor(existing: Option<Setlist>) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <Editor existing/> }.into_any())
}

/// The drummer's view, in a chunk of its own: the first load stops at the
/// list of setlists.
#[wasm_split(drummer, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_drummer_view))]
fn drummer_view(setlist: Setlist) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <DrummerView setlist/> }.into_any())
}

/// The way to the gig views of a setlist.
#[component]
fn GigLinks(id: String) -> impl IntoView {
    view! {
        <p class="gig-links">
            <a href=format!("/setlists/{id}/stage")>"Stage mode"</a>
            " · "
            <a href=format!("/setlists/{id}/print")>"Print sheet"</a>
        </p>
    }
}

/// A random name, unique enough among one member's tabs and drafts: a
/// page's presence, a new setlist's create (`Idempotency-Key`).
fn random_name() -> String {
    #[cfg(feature = "hydrate")]
    return format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64);
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

fn describe_fields(fields: &FieldErrors) -> String {
    let mut text = String::from("Please fix these before saving:");
    for (field, problem) in fields {
        text.push_str(&format!("\n• {} {problem}", field_label(field)));
    }
    text
}

/// A setlist that could not be shown, in a heading and the tab's title.
fn failed_heading(failure: &ApiFailure) -> &'static str {
    match failure.code {
        ErrorCode::NotFound => "No such setlist",
        _ => "The setlist could not be loaded",
    }
}
