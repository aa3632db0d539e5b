//! The audit trail for managers: newest first, filtered by event type,
//! paged; in words, with members by name, and the pass renewals (one every
//! few minutes per device) folded away unless asked for.

use leptos::prelude::*;

use crate::{
    api::{AuditEvent, AuditKind, AuditPage, User, client},
    components::{LoadFailure, ManagersOnly, focused_id, keep_focus, refocus, show_moment},
    session::use_session,
};

mod words;

use words::{event_name, sentence};

/// The log is made when the member is a manager, and read from then on
/// (a drummer promoted while on this page reads it at once).
#[component]
pub fn Audit() -> impl IntoView {
    let session = use_session();
    view! {
        <Show
            when=move || session.is_manager()
            fallback=|| view! { <ManagersOnly heading="Audit log">"Only managers can read the audit log."</ManagersOnly> }
        >
            <AuditLog/>
        </Show>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let session = use_session();
    let kind = RwSignal::new(String::new());
    // The cursors of the pages seen so far: going back pops one.
    let cursors = RwSignal::new(Vec::<String>::new());
    let path = Signal::derive(move || {
        let mut path = format!("/api/audit?limit=25&type={}", kind.get());
        if let Some(before) = cursors.get().last() {
            path.push_str(&format!("&before={before}"));
        }
        path
    });
    let page = client::get_resource::<AuditPage>(session, path);
    let members = super::members::band_members(session);
    let renewals = RwSignal::new(false);
    view! {
        <section class="card">
            <h1>"Audit log"</h1>
            <label for="audit-type">"Event type"</label>
            <select id="audit-type" on:change:target=move |ev| {
                kind.set(ev.target().value());
                cursors.set(Vec::new());
            }>
                <option value="">"All events"</option>
                {AuditKind::ALL.iter().map(|kind| view! { <option value=kind.as_str()>{event_name(*kind)}</option> }).collect_view()}
            </select>
            <label class="check">
                <input type="checkbox" prop:checked=renewals on:change:target=move |ev| renewals.set(ev.target().checked())/>
                "Show pass renewals"
            </label>
            // Said when a page of events has come (paging redraws no live region).
            <p class="visually-hidden" role="status">
                {move || page.with(Option::is_some).then(|| format!("Page {} of the audit log.", cursors.with(Vec::len) + 1))}
            </p>
            // A Transition, not a Suspense: the page being left stays up
            // while the next is read, so the button pressed keeps the focus
            // and the page does not jump to its top.
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading events…"</p> }>
                {move || page.get().map(|result| match result {
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                    Ok(page) => {
                        let next = page.next_before.clone();
                        let focused = focused_id();
                        keep_focus();
                        // A paging button now disabled (the last or the
                        // first page) hands the focus to the other one.
                        // Both are disabled as the page they page to is
                        // drawn, not as they are pressed: the focus would
                        // fall to the page before it could be handed.
                        let handed = match focused.as_deref() {
                            Some(OLDER) if next.is_none() => Some(NEWER),
                            Some(NEWER) if cursors.with_untracked(Vec::is_empty) => Some(OLDER),
                            _ => None,
                        };
                        if let Some(id) = handed {
                            refocus(id.into());
                        }
                        let names = members.get().and_then(Result::ok).unwrap_or_default();
                        let asked_for = kind.get() == AuditKind::Refreshed.as_str();
                        let (shown, folded): (Vec<AuditEvent>, Vec<AuditEvent>) = page.events.into_iter()
                            .partition(|event| renewals.get() || asked_for || event.kind != AuditKind::Refreshed);
                        view! {
                            {(!folded.is_empty()).then(|| view! {
                                <p class="muted" data-testid="folded">{match folded.len() {
                                    1 => "1 pass renewal on this page is folded away.".to_string(),
                                    n => format!("{n} pass renewals on this page are folded away."),
                                }}</p>
                            })}
                            <EventTable events=shown names/>
                            <p>
                                <button type="button" class="secondary" id=NEWER disabled=cursors.with_untracked(Vec::is_empty)
                                    on:click=move |_| cursors.update(|c| { c.pop(); })>"Newer"</button>
                                " "
                                <button type="button" class="secondary" id=OLDER disabled=next.is_none()
                                    on:click=move |_| if let Some(next) = next.clone() { cursors.update(|c| c.push(next)) }>"Older"</button>
                            </p>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

/// The paging buttons' ids, for the focus to find them again.
const NEWER: &str = "audit-newer";
const OLDER: &str = "audit-older";

#[component]
fn EventTable(events: Vec<AuditEvent>, names: Vec<User>) -> impl IntoView {
    // A member by name; an id no longer among the members stays an id.
    let name_of = move |id: Option<String>| match id {
        None => String::new(),
        Some(id) => names
            .iter()
            .find(|member| member.id == id)
            .map_or(id, |member| member.display_name.clone()),
    };
    if events.is_empty() {
        return view! { <p class="notice">"No events."</p> }.into_any();
    }
    view! {
        <table class="stacked">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col" class="optional">"About"</th>
                    <th scope="col" class="optional">"Address"</th>
                    <th scope="col">"What"</th>
                </tr>
            </thead>
            <tbody>
                {events.into_iter().map(|event| {
                    let what = sentence(&event);
                    view! {
                        <tr data-testid="audit-row">
                            <td><time datetime=event.at.clone()>{show_moment(&event.at, true)}</time></td>
                            <td data-label="Event">{event_name(event.kind)}</td>
                            <td data-label="Who">{name_of(event.actor_id)}</td>
                            <td class="optional" data-label="About">{name_of(event.subject_id)}</td>
                            <td class="optional" data-label="Address">{event.ip}</td>
                            <td data-label="What">{what}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
