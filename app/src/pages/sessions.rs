//! Where you are signed in: one row per device (refresh family), with the
//! current one marked and a revoke button for each.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api::{
        SessionInfo,
        client::{self, Method},
    },
    components::{ErrorNotice, LoadFailure},
    session::use_session,
};

#[component]
pub fn Sessions() -> impl IntoView {
    let session = use_session();
    let sessions = client::get_resource::<Vec<SessionInfo>>(
        session,
        Signal::from("/api/me/sessions".to_owned()),
    );
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let revoke = Callback::new(move |(id, current): (String, bool)| {
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let path = format!("/api/me/sessions/{id}");
            let revoking = client::call::<(), ()>(session, Method::Delete, &path, None);
            let revoked = if current {
                // This device's session is over: signed out here too, at once.
                let revoked = session.revoke_own(revoking).await;
                revoked.map(|()| navigate("/login", Default::default()))
            } else {
                revoking.await.map(|()| sessions.refetch())
            };
            if let Err(failure) = revoked {
                error.set(Some(failure.describe()));
            }
        });
    });
    view! {
        <section class="card">
            <h1>"Sessions"</h1>
            <p class="muted">"Every device where you are logged in. Revoking one signs that device out at its next refresh."</p>
            <ErrorNotice message=error/>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading sessions…"</p> }>
                {move || sessions.get().map(|result| match result {
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                    Ok(list) => view! { <SessionTable sessions=list on_revoke=revoke/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// Sessions as a table; with `on_revoke`, each row gets a revoke button.
#[component]
pub fn SessionTable(
    sessions: Vec<SessionInfo>,
    /// Called with the session's id and whether it is this device's.
    #[prop(optional)]
    on_revoke: Option<Callback<(String, bool)>>,
) -> impl IntoView {
    if sessions.is_empty() {
        return view! { <p class="notice">"No live sessions."</p> }.into_any();
    }
    view! {
        <table>
            <thead>
                <tr>
                    <th scope="col">"Device"</th>
                    <th scope="col" class="optional">"Address"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col" class="optional">"Ends"</th>
                    {on_revoke.is_some().then(|| view! { <th scope="col"><span class="muted">"Action"</span></th> })}
                </tr>
            </thead>
            <tbody>
                {sessions.into_iter().map(|row| {
                    let id = row.id.clone();
                    let current = row.current;
                    let label = if row.current {
                        "Revoke this session (you will be signed out)".to_string()
                    } else {
                        format!("Revoke the session started {}", row.created_at)
                    };
                    view! {
                        <tr data-testid="session-row">
                            <td>
                                {if row.user_agent.is_empty() { "Unknown device".to_string() } else { row.user_agent.clone() }}
                                {row.current.then(|| view! { <strong>" (this device)"</strong> })}
                            </td>
                            <td class="optional">{row.ip.clone()}</td>
                            <td>{row.last_used_at.clone()}</td>
                            <td class="optional">{row.expires_at.clone()}</td>
                            {on_revoke.map(|revoke| view! {
                                <td>
                                    <button type="button" class="secondary" aria-label=label
                                        on:click=move |_| revoke.run((id.clone(), current))>"Revoke"</button>
                                </td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
