//! The audit trail for managers: newest first, filtered by event type, paged.

use leptos::prelude::*;

use crate::{
    api::{AuditEvent, AuditKind, AuditPage, client},
    components::LoadFailure,
    session::use_session,
};

#[component]
pub fn Audit() -> impl IntoView {
    let session = use_session();
    let kind = RwSignal::new(String::new());
    // The cursors of the pages seen so far: going back pops one.
    let cursors = RwSignal::new(Vec::<String>::new());
    let path = Signal::derive(move || {
        // No path, no request, for a drummer (the page only says it is for managers).
        if !session.is_manager() {
            return String::new();
        }
        let mut path = format!("/api/audit?limit=25&type={}", kind.get());
        if let Some(before) = cursors.get().last() {
            path.push_str(&format!("&before={before}"));
        }
        path
    });
    let page = client::get_resource::<AuditPage>(session, path);
    view! {
        <Show
            when=move || session.is_manager()
            fallback=|| view! { <p class="error" role="alert">"Only managers can read the audit log."</p> }
        >
            <section class="card">
                <h1>"Audit log"</h1>
                <label for="audit-type">"Event type"</label>
                <select id="audit-type" on:change:target=move |ev| {
                    kind.set(ev.target().value());
                    cursors.set(Vec::new());
                }>
                    <option value="">"All events"</option>
                    {AuditKind::ALL.iter().map(|kind| view! { <option value=kind.as_str()>{kind.as_str()}</option> }).collect_view()}
                </select>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading events…"</p> }>
                    {move || page.get().map(|result| match result {
                        Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                        Ok(page) => {
                            let next = page.next_before.clone();
                            view! {
                                <EventTable events=page.events/>
                                <p>
                                    <button type="button" class="secondary" disabled=move || cursors.with(Vec::is_empty)
                                        on:click=move |_| cursors.update(|c| { c.pop(); })>"Newer"</button>
                                    " "
                                    <button type="button" class="secondary" disabled=next.is_none()
                                        on:click=move |_| if let Some(next) = next.clone() { cursors.update(|c| c.push(next)) }>"Older"</button>
                                </p>
                            }.into_any()
                        }
                    })}
                </Suspense>
            </section>
        </Show>
    }
}

#[component]
fn EventTable(events: Vec<AuditEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="notice">"No events."</p> }.into_any();
    }
    view! {
        <table>
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col" class="optional">"Actor"</th>
                    <th scope="col" class="optional">"Subject"</th>
                    <th scope="col" class="optional">"Address"</th>
                    <th scope="col">"Detail"</th>
                </tr>
            </thead>
            <tbody>
                {events.into_iter().map(|event| view! {
                    <tr data-testid="audit-row">
                        <td>{event.at}</td>
                        <td>{event.kind.as_str()}</td>
                        <td class="optional">{event.actor_id.unwrap_or_default()}</td>
                        <td class="optional">{event.subject_id.unwrap_or_default()}</td>
                        <td class="optional">{event.ip}</td>
                        <td><code>{event.detail.as_str().to_owned()}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
