//! The gig: stage mode (`/setlists/{id}/stage`) and the print sheet
//! (`/setlists/{id}/print`). Both read the show from the server when they
//! can and from the shows kept for the gig when they cannot (`crate::offline`),
//! so a reload with no signal still shows it, saying how old it is.

mod print;
mod stage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    api::{ErrorCode, Setlist, Song, client},
    components::{NO_SUCH_SETLIST, keep_focus, login_here},
    live::{LiveMessage, ToSetlistPage, use_live},
    offline,
    session::{Session, Status, now_ms, use_session},
};
pub use print::PrintPage;
pub use stage::StagePage;

/// Class on `<body>` while on stage: the stylesheet hides the app's chrome.
#[cfg(feature = "hydrate")]
const ON_STAGE: &str = "on-stage";

/// The line the gig's pages show while the show loads: also the one the
/// server renders before the chunk is there (`pages::lazy::GigPage`).
pub fn loading_show() -> impl IntoView {
    view! { <p class="muted" role="status">"Loading the show…"</p> }
}

/// A song's cues for the gig, where the band reads them: the manager's
/// notes, then the drummer's own. Line breaks are kept (the stylesheet's
/// `pre-line`).
fn song_notes(song: &Song) -> impl IntoView + use<> {
    [("", &song.notes), ("Drummer: ", &song.drummer_notes)]
        .into_iter()
        .filter_map(|(who, text)| notes(who, text))
        .collect_view()
}

/// One note as the gig pages show it, `who` wrote it; none when blank.
fn notes(who: &str, text: &str) -> Option<impl IntoView + use<>> {
    let line = format!("{who}{text}");
    (!text.trim().is_empty()).then(|| view! { <p class="gig-notes">{line}</p> })
}

/// Hides the app's chrome while stage mode is open. Called by the page's
/// wrapper in the main wasm (`pages::lazy::GigPage`), so the chrome goes as
/// soon as the page has hydrated, not once the stage's chunk has arrived.
pub fn hide_chrome_on_stage() {
    // In the browser only: the server has no document.
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| set_on_stage(true));
        on_cleanup(move || set_on_stage(false));
    }
}

#[cfg(feature = "hydrate")]
fn set_on_stage(on: bool) {
    if let Some(body) = document().body() {
        let classes = body.class_list();
        let _ = if on {
            classes.add_1(ON_STAGE)
        } else {
            classes.remove_1(ON_STAGE)
        };
    }
}

/// A show to play, and where it came from.
#[derive(Clone, Debug, PartialEq)]
struct Show {
    setlist: Setlist,
    /// When this copy was read from the server.
    read_at_ms: f64,
    /// Read from the copy kept for the gig: the server could not be reached.
    kept: bool,
}

impl Show {
    /// "as of 18:04", said while the network is away.
    fn as_of(&self) -> String {
        format!("as of {}", clock_time(self.read_at_ms))
    }
}

/// The show of the page's `{id}`, read again when it changes (a tempo set
/// just before the gig reaches the stage) and when the network comes back;
/// and who deleted it, if someone does while it is open.
fn use_show() -> (
    LocalResource<Result<Show, String>>,
    RwSignal<Option<String>>,
) {
    let session = use_session();
    let params = use_params_map();
    let show_id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let deleted_by = RwSignal::new(None::<String>);
    // A kept copy, or a failure, while the server may answer again: a
    // re-read that failed once must not leave an old tempo on stage. The
    // server is asked until it answers, and only then is the show read
    // again: each new copy redraws the stage, which restarts the Click.
    let answered = RwSignal::new(0u32);
    let show = LocalResource::new(move || {
        answered.track();
        let id = show_id();
        async move {
            let show = load_show(session, id.clone()).await;
            if matches!(show, Err(_) | Ok(Show { kept: true, .. })) {
                leptos::task::spawn_local(async move {
                    let path = format!("/api/setlists/{id}");
                    let on_screen = move || answered.try_get_untracked().is_some();
                    if client::reread::<Setlist>(session, &path, on_screen)
                        .await
                        .is_some()
                    {
                        answered.try_update(|n| *n += 1);
                    }
                });
            }
            show
        }
    });
    // Not once deleted: the answer would be 404, and the show would leave
    // the stage mid-gig.
    let read_again = move || {
        if deleted_by.with_untracked(Option::is_none) {
            show.refetch();
        }
    };
    use_live().subscribe(move |message| {
        let changed = match message.to_setlist_page(&untrack(show_id), |id| session.is_me(id)) {
            // It stays on stage (the band is playing it), saying so.
            Some(ToSetlistPage::Deleted { by }) => {
                let who = by.subject("Someone");
                deleted_by.set(Some(format!("{who} deleted this show: this copy stays")));
                false
            }
            Some(ToSetlistPage::Changed { .. }) => true,
            // A kept copy (or a failure) while the server answers again.
            None if *message == LiveMessage::Connected => show
                .with_untracked(|show| matches!(show, Some(Err(_) | Ok(Show { kept: true, .. })))),
            None => false,
        };
        if changed {
            read_again();
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let online = window_event_listener(leptos::ev::online, move |_| read_again());
        on_cleanup(move || online.remove());
    }
    (show, deleted_by)
}

async fn load_show(session: Session, id: String) -> Result<Show, String> {
    match client::get::<Setlist>(session, &format!("/api/setlists/{id}")).await {
        Ok(setlist) => {
            offline::keep(&setlist).await;
            if session.status_untracked() != Status::SignedIn {
                // Logged out while it was being kept: it goes with the session.
                offline::forget_all();
            }
            offline::keep_shell().await;
            Ok(Show {
                setlist,
                read_at_ms: now_ms(),
                kept: false,
            })
        }
        // No network (or a server that cannot answer now): the kept copy.
        Err(failure) if failure.worth_repeating() => match offline::kept(&id).await {
            Some(kept) => Ok(Show {
                setlist: kept.setlist,
                read_at_ms: kept.saved_at_ms,
                kept: true,
            }),
            None => Err(failure.describe()),
        },
        Err(failure) if failure.code == ErrorCode::NotFound => Err(NO_SUCH_SETLIST.into()),
        Err(failure) => Err(failure.describe()),
    }
}

/// Shows `page` for the loaded show, or why there is none; the tab is
/// titled `what` and the show's name ("Stage: Friday at the Roxy").
fn with_show(
    show: LocalResource<Result<Show, String>>,
    what: &'static str,
    page: impl Fn(Show) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // `try_with`: the title is read once more as the page goes.
    let title = move || {
        let name = show.try_with(|show| match show {
            Some(Ok(show)) => Some(show.setlist.name.clone()),
            _ => None,
        });
        match name.flatten() {
            Some(name) => format!("{what}: {name}"),
            None => what.to_string(),
        }
    };
    // A Transition: while the show is read again, the stage stays up.
    view! {
        <Title text=title/>
        <Transition fallback=loading_show>
            {move || show.get().map(|result| match result {
                Ok(show) => {
                    // Drawn anew: the Click box keeps the keyboard.
                    keep_focus();
                    page(show)
                }
                Err(_) if session.status() == Status::SignedOut => view! {
                    <section class="card">
                        <h1>{what}</h1>
                        <p role="alert">"Log in to see this show."</p>
                        // Back to this show once signed in: a print link shared
                        // in the band's chat is opened signed out.
                        <a href=login_here(location.pathname, location.search)>"Log in"</a>
                    </section>
                }.into_any(),
                Err(message) => view! {
                    <section class="card">
                        <h1>{what}</h1>
                        <p class="error multiline" role="alert">{message}</p>
                        <a href="/setlists">"Back to the list"</a>
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

/// "18:04", in the browser's time zone.
fn clock_time(ms: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&leptos::wasm_bindgen::JsValue::from_f64(ms));
        crate::components::local_clock(&date, false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        String::new()
    }
}
