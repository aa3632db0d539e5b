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
        ErrorCode, Role, Setlist, client,
        validation::{FieldErrors, field_label},
    },
    components::{KeptCopyLinks, LoadFailure, ManagersOnly, NO_SUCH_SETLIST},
    pages::lazy::{self, unreachable_page},
    session::use_session,
};
pub(crate) use draft::three_way;
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
        _ => "Setlist".to_string(),
    };
    let role_changed = role_change_notice(id);
    view! {
        <Title text=title/>
        // Always there, so that a screen reader hears what comes into it.
        <div role="status">
            {move || role_changed.get().map(|said| view! { <p class="notice">{said}</p> })}
        </div>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the setlist…"</p> }>
            {move || setlist.get().map(|result| match result {
                Err(failure) => {
                    let offline = failure.code == ErrorCode::Network;
                    view! {
                        <section class="card">
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

/// A manager changing this member's role swaps the view under them (the
/// editor for the drummer's view, or back): what is said, and shown, when it
/// does. Their typed work is kept (`kept::forget_when_left`).
fn role_change_notice(setlist: Memo<String>) -> RwSignal<Option<String>> {
    let session = use_session();
    let said = RwSignal::new(None);
    // `None` while nobody is signed in: signing in is no change of role, nor
    // is another member signing in on this browser.
    Effect::new(move |before: Option<Option<(String, Role)>>| {
        let now = session.user().map(|user| (user.id, user.role));
        if let (Some(Some((was_member, was))), Some((member, role))) = (&before, &now)
            && was_member == member
            && was != role
        {
            said.set(Some(role_changed(*role, crate::kept::any_of(member))));
        }
        now
    });
    // Said of the setlist it happened on, not of the next one opened.
    Effect::new(move |_| {
        setlist.track();
        said.set(None);
    });
    said
}

fn role_changed(role: Role, work_kept: bool) -> String {
    let view = match role {
        Role::Manager => "the editor",
        Role::Drummer => "the drummer's view",
    };
    let kept = if work_kept {
        " Edits you had not saved stay on this device, and come back in the view they were made in."
    } else {
        ""
    };
    format!(
        "Your role is now {}: this page shows {view}.{kept}",
        role.as_str()
    )
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

fn describe_fields(fields: &FieldErrors) -> String {
    let mut text = String::from("Please fix these before saving:");
    for (field, problem) in fields {
        text.push_str(&format!("\n• {} {problem}", field_label(field)));
    }
    text
}
