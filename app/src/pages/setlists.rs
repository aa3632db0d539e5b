use leptos::prelude::*;

use crate::{
    api::{ErrorCode, SetlistSummary, client},
    components::{
        ErrorNotice, LastRead, LoadFailure, RowFocus, behind_notice, focus_soon, show_date_short,
        show_length,
    },
    live::{Author, LiveMessage, use_live},
    pages::lazy::preload_setlist,
    session::use_session,
};

#[component]
pub fn Setlists() -> impl IntoView {
    let session = use_session();
    let setlists = client::get_resource::<Vec<SetlistSummary>>(
        session,
        Signal::from(format!("/api/setlists?limit={PAST_PER_PAGE}")),
    );
    // Once the list shows, the code of the page a member opens next loads
    // (`pages/lazy.rs`); before, it would compete with the list on a slow link.
    // Once per visit: a live change re-reads the list, not the code.
    let preloaded = StoredValue::new(false);
    Effect::new(move |_| {
        let shown = setlists.with(|list| matches!(list, Some(Ok(_))));
        if shown && !preloaded.get_value() {
            preloaded.set_value(true);
            leptos::task::spawn_local(preload_setlist(untrack(|| session.is_manager())));
        }
    });
    // The older shows asked for: kept here, so that a live re-read of the
    // first page does not fold them away again.
    let older = RwSignal::new(OlderShows::default());
    // The show whose link had the focus when a live change re-read the list,
    // and that link. Rows are redrawn in place, by position (the first page,
    // then the older ones read again): the keyboard must stay on that show,
    // wherever its row went, not on whichever show took its place.
    let focused_show = RowFocus::default();
    let last_read = LastRead::<Vec<SetlistSummary>>::default();
    Effect::new(move |_| {
        setlists.track();
        older.track();
        focused_show.give_back(None);
    });
    let reread = move || {
        focused_show.remember(SHOW_LINK);
        setlists.refetch();
    };
    // Live: another member's create, rename or delete re-reads the list
    // (a cached read on the server), and is said in words.
    let live = use_live();
    live.subscribe(move |message| {
        let (event, what) = match message {
            LiveMessage::SetlistCreated(e) => (e, "added a setlist"),
            LiveMessage::SetlistChanged(e) => (e, "changed"),
            LiveMessage::SetlistDeleted(e) => (e, "deleted"),
            LiveMessage::Reload => return reread(),
            _ => return,
        };
        let known = last_read.get().and_then(|list| {
            let show = list.into_iter().find(|show| show.id == event.id)?;
            Some(format!("“{}”", show.name))
        });
        // This member's own changes are no news; nobody's name, nothing to say.
        let by = Author::new(&event.by_id, &event.by, |id| session.is_me(id));
        if let Author::Member { name: by, .. } = by {
            live.announce(match known {
                Some(name) if what != "added a setlist" => format!("{by} {what} {name}."),
                _ => format!("{by} {what}."),
            });
        }
        reread();
    });
    view! {
        <section class="card">
            <div class="row centered">
                <h1>"Setlists"</h1>
                <Show when=move || session.is_manager()>
                    <p class="fit">
                        <a class="button" href="/setlists/new">"New setlist"</a>
                    </p>
                </Show>
            </div>
            // A Transition keeps the rows on screen while a live change re-reads
            // them, and `last_read` if that re-read fails.
            {move || behind_notice(setlists.with(|read| last_read.shown_for(read.as_ref())))}
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading setlists…"</p> }>
                {move || setlists.get().map(|result| {
                    let kept = result.is_err();
                    match last_read.or_last(result) {
                    Err(failure) => {
                        let offline = failure.code == ErrorCode::Network;
                        view! {
                            <LoadFailure failure/>
                            // A full load: with no signal the service worker
                            // answers it with the shows kept for the gig.
                            {offline.then(|| view! {
                                <p class="notice">"With no signal, stage mode still opens the shows kept on this device. "
                                    <a href="/setlists" rel="external">"Reload to list them"</a>
                                </p>
                            })}
                        }.into_any()
                    }
                    Ok(list) if list.is_empty() => view! {
                        <p class="notice">"No setlists yet. "
                            {move || if session.is_manager() { "Start one with “New setlist”." } else { "Your manager hasn't planned a show yet." }}
                        </p>
                    }.into_any(),
                    Ok(list) => view! { <Overview list older kept/> }.into_any(),
                }})}
            </Transition>
        </section>
    }
}

/// Past shows on one page of the overview (asked for: unasked, the server
/// sends every show, however long the band's history).
const PAST_PER_PAGE: usize = 25;

/// What a read of older pages does with them.
enum Read {
    /// The pages shown before, for a new first page: instead of them.
    Again,
    /// The next page: after them.
    More,
}

/// The past shows loaded past the first page, and how many pages that was.
#[derive(Clone, Default)]
struct OlderShows {
    pages: usize,
    shows: Vec<SetlistSummary>,
}

/// Upcoming shows, soonest first; then past shows, latest first, a page at a
/// time: the first answer holds every upcoming show and the latest past ones.
/// Older pages the member asked for are read again with each new first page
/// (a live change re-reads it), so they stay, and stay current.
///
/// `kept`: `list` is the one last read (its re-read failed), and so are the
/// older pages shown: they are not read again with it.
#[component]
fn Overview(list: Vec<SetlistSummary>, older: RwSignal<OlderShows>, kept: bool) -> impl IntoView {
    let session = use_session();
    // The server's first page holds PAST_PER_PAGE shows before its own day
    // (UTC): only a full page of them means older ones are left. Counted by
    // the reader's day instead, a show evening west of UTC would hide them.
    let server_today = today(Zone::Utc);
    let full_page = list
        .iter()
        .filter(|show| show.show_date < server_today)
        .count()
        >= PAST_PER_PAGE;
    // The next page is the shows after the page's last one (the server's
    // cursor), whichever of the reader's tables that show is in.
    let last = |page: &[SetlistSummary]| page.last().map(|show| show.id.clone());
    let cursor = RwSignal::new(last(&list).filter(|_| full_page));
    // The first page wins where both hold a show (it moved up meanwhile).
    let on_first_page: Vec<String> = list.iter().map(|show| show.id.clone()).collect();
    let reader_today = today(Zone::Reader);
    let (first_past, mut upcoming): (Vec<_>, Vec<_>) = list
        .into_iter()
        .partition(|show| show.show_date < reader_today);
    upcoming.reverse();
    let past = Signal::derive(move || {
        let mut shows = first_past.clone();
        older.with(|older| {
            let later = older
                .shows
                .iter()
                .filter(|show| !on_first_page.contains(&show.id));
            shows.extend(later.cloned());
        });
        shows
    });
    let loading = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    // Older pages shown but not yet read again for this first page: until
    // they are, the cursor is the first page's, and reading on from it would
    // show those pages twice.
    let pages = older.with_untracked(|older| older.pages);
    let behind = RwSignal::new(pages > 0 && !kept);
    let read = move |pages: usize, what: Read| {
        let Some(from) = cursor.get_untracked() else {
            return;
        };
        loading.set(true);
        leptos::task::spawn_local(async move {
            // `pages` pages, each after the last one's final show.
            let (mut shows, mut next) = (Vec::new(), Some(from));
            let mut answer = Ok(());
            for _ in 0..pages {
                let Some(after) = next.take() else { break };
                let path = format!("/api/setlists?before={after}&limit={PAST_PER_PAGE}");
                match client::get::<Vec<SetlistSummary>>(session, &path).await {
                    Ok(page) => {
                        next = last(&page).filter(|_| page.len() >= PAST_PER_PAGE);
                        shows.extend(page);
                    }
                    Err(problem) => {
                        answer = Err(problem);
                        break;
                    }
                }
            }
            match answer {
                Ok(()) => {
                    // Asked for with the button: the keyboard goes on at the
                    // first show it brought (the button may be gone: no more).
                    if matches!(what, Read::More)
                        && let Some(first) = shows.first()
                    {
                        focus_soon(show_link(&first.id));
                    }
                    older.update(|older| match what {
                        Read::Again => {
                            older.shows = shows;
                            behind.try_set(false);
                        }
                        Read::More => {
                            older.pages += 1;
                            older.shows.extend(shows);
                        }
                    });
                    cursor.try_set(next);
                    failure.try_set(None);
                }
                Err(problem) => {
                    failure.try_set(Some(problem.describe()));
                }
            }
            loading.try_set(false);
        });
    };
    // A new first page (a live change): the older pages shown are read again;
    // if that fails, the button tries it again before reading on.
    if behind.get_untracked() {
        read(pages, Read::Again);
    }
    let load_older = move |_| {
        if behind.get_untracked() {
            read(pages, Read::Again)
        } else {
            read(1, Read::More)
        }
    };
    view! {
        <h2>"Upcoming"</h2>
        {if upcoming.is_empty() {
            view! { <p class="muted">"No shows planned from today on."</p> }.into_any()
        } else {
            view! { <SetlistTable list=upcoming label="Upcoming shows"/> }.into_any()
        }}
        <Show when=move || past.with(|shows| !shows.is_empty())>
            <h2>"Past"</h2>
            {move || view! { <SetlistTable list=past.get() label="Past shows"/> }}
        </Show>
        <ErrorNotice message=failure/>
        <Show when=move || cursor.with(Option::is_some)>
            <p>
                <button type="button" class="secondary" disabled=move || loading.get() on:click=load_older>
                    {move || if loading.get() { "Loading older shows…" } else { "Show older shows" }}
                </button>
            </p>
        </Show>
    }
}

/// Where the id of a show's link in the overview starts.
const SHOW_LINK: &str = "show-";

/// The id of a show's link in the overview.
fn show_link(id: &str) -> String {
    format!("{SHOW_LINK}{id}")
}

enum Zone {
    /// The reader's: shows before their today are past to them.
    Reader,
    /// The server's: it pages the past by the UTC date.
    Utc,
}

/// Today as `YYYY-MM-DD` in `zone`.
fn today(zone: Zone) -> String {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::new_0();
        let (year, month, day) = match zone {
            Zone::Reader => (now.get_full_year(), now.get_month(), now.get_date()),
            Zone::Utc => (
                now.get_utc_full_year(),
                now.get_utc_month(),
                now.get_utc_date(),
            ),
        };
        format!("{year:04}-{:02}-{day:02}", month + 1)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = zone;
        String::new()
    }
}

#[component]
fn SetlistTable(list: Vec<SetlistSummary>, label: &'static str) -> impl IntoView {
    view! {
        <table class="stacked" aria-label=label>
            <thead>
                <tr>
                    <th scope="col">"Show"</th>
                    <th scope="col" class="optional">"Venue"</th>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Songs"</th>
                    <th scope="col">"Length"</th>
                </tr>
            </thead>
            <tbody>
                // Drawn again by position after a live change (keyed rows
                // would make the main wasm bigger: README, Performance):
                // `refocus_show` keeps the keyboard on its show.
                {list.into_iter().map(|setlist| view! {
                    <tr data-testid="setlist-row">
                        <td><a id=show_link(&setlist.id) href=format!("/setlists/{}", setlist.id)>{setlist.name}</a></td>
                        <td class="optional" data-label="Venue">{setlist.venue}</td>
                        <td data-label="Date"><time datetime=setlist.show_date.clone()>{show_date_short(&setlist.show_date)}</time></td>
                        <td data-label="Songs">{setlist.song_count}</td>
                        <td data-label="Length">
                            {show_length(setlist.total_duration_secs)}
                            {(setlist.untimed_count > 0).then(|| format!(" + {} untimed", setlist.untimed_count))}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
