use leptos::prelude::*;

use crate::{
    api::{SetlistSummary, client},
    components::{LoadFailure, RequireAuth, show_length},
    session::use_session,
};

#[component]
pub fn Setlists() -> impl IntoView {
    view! {
        <RequireAuth>
            <SetlistsOverview/>
        </RequireAuth>
    }
}

#[component]
fn SetlistsOverview() -> impl IntoView {
    let session = use_session();
    let setlists = client::get_resource::<Vec<SetlistSummary>>(
        session,
        Signal::from("/api/setlists".to_owned()),
    );
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
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading setlists…"</p> }>
                {move || setlists.get().map(|result| match result {
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="notice">"No setlists yet. "
                            {move || if session.is_manager() { "Start one with “New setlist”." } else { "Your manager hasn't planned a show yet." }}
                        </p>
                    }.into_any(),
                    Ok(list) => view! { <SetlistTable list/> }.into_any(),
                })}
            </Suspense>
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
                        <td>{setlist.show_date}</td>
                        <td>{setlist.song_count}</td>
                        <td>{show_length(setlist.total_duration_secs)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
