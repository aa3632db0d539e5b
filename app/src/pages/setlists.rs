use leptos::prelude::*;

use crate::{
    api::{SetlistSummary, client},
    components::{LoadFailure, show_date_short, show_length},
    live::{LiveMessage, use_live},
    session::use_session,
};

#[component]
pub fn Setlists() -> impl IntoView {
    let session = use_session();
    let setlists = client::get_resource::<Vec<SetlistSummary>>(
        session,
        Signal::from("/api/setlists".to_owned()),
    );
    // Live: another member's create, rename or delete re-reads the list
    // (a cached read on the server), and is said in words.
    let live = use_live();
    live.subscribe(move |message| {
        let (event, what) = match message {
            LiveMessage::SetlistCreated(e) => (e, "added a setlist"),
            LiveMessage::SetlistChanged(e) => (e, "changed"),
            LiveMessage::SetlistDeleted(e) => (e, "deleted"),
            LiveMessage::Reload => return setlists.refetch(),
            _ => return,
        };
        let known = setlists.with_untracked(|list| {
            list.as_ref()
                .and_then(|list| list.as_ref().ok())
                .and_then(|list| list.iter().find(|s| s.id == event.id))
                .map(|s| format!("“{}”", s.name))
        });
        let by_someone_else = session.user().is_none_or(|me| me.display_name != event.by);
        if by_someone_else && !event.by.is_empty() {
            live.announce(match known {
                Some(name) if what != "added a setlist" => format!("{} {what} {name}.", event.by),
                _ => format!("{} {what}.", event.by),
            });
        }
        setlists.refetch();
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
            // A Transition keeps the rows on screen while a live change re-reads them.
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading setlists…"</p> }>
                {move || setlists.get().map(|result| match result {
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="notice">"No setlists yet. "
                            {move || if session.is_manager() { "Start one with “New setlist”." } else { "Your manager hasn't planned a show yet." }}
                        </p>
                    }.into_any(),
                    Ok(list) => view! { <SetlistTable list/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SetlistTable(list: Vec<SetlistSummary>) -> impl IntoView {
    view! {
        <table>
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
                {list.into_iter().map(|setlist| view! {
                    <tr data-testid="setlist-row">
                        <td><a href=format!("/setlists/{}", setlist.id)>{setlist.name}</a></td>
                        <td class="optional">{setlist.venue}</td>
                        <td><time datetime=setlist.show_date.clone()>{show_date_short(&setlist.show_date)}</time></td>
                        <td>{setlist.song_count}</td>
                        <td>
                            {show_length(setlist.total_duration_secs)}
                            {(setlist.untimed_count > 0).then(|| format!(" + {} untimed", setlist.untimed_count))}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
