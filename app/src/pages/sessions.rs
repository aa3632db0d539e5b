//! Where you are signed in: one row per device (refresh family), with the
//! current one marked and a revoke button for each. A manager's view of a
//! member's sessions (the members page) is the same table.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api::{
        SessionInfo,
        client::{self, Method},
    },
    components::{ErrorNotice, LoadFailure, focus_soon, show_moment},
    session::use_session,
    unsaved::UnsavedWork,
};

#[component]
pub fn Sessions() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Sessions"</h1>
            <p class="muted">"Every device where you are logged in. Revoking one signs that device out at once."</p>
            <RevocableSessions list_path="/api/me/sessions".to_owned() focus_after="content"/>
        </section>
    }
}

/// The sessions listed at `list_path`, each revoked at `{list_path}/{id}`:
/// the member's own (`/api/me/sessions`), or, for a manager, a member's (the
/// members page). A revoked row goes, and the keyboard waits at
/// `focus_after` (the row and the button pressed are gone); this device's
/// session signs out here too, and goes to the login page.
#[component]
pub fn RevocableSessions(list_path: String, focus_after: &'static str) -> impl IntoView {
    let session = use_session();
    let sessions =
        client::get_resource::<Vec<SessionInfo>>(session, Signal::from(list_path.clone()));
    let (error, done) = (
        RwSignal::new(None::<String>),
        RwSignal::new(None::<&'static str>),
    );
    let navigate = use_navigate();
    let unsaved = use_context::<UnsavedWork>();
    let revoke = Callback::new(move |(id, current): (String, bool)| {
        // Signed out here too: asked first, as "Log out" asks.
        if current && unsaved.is_some_and(|work| !work.may_sign_out(session)) {
            return;
        }
        error.set(None);
        done.set(None);
        let navigate = navigate.clone();
        let path = format!("{list_path}/{id}");
        // `try_`: the panel may be closed while the revoke is on its way.
        leptos::task::spawn_local(async move {
            let revoking = client::call::<(), ()>(session, Method::Delete, &path, None);
            let revoked = if current {
                // This device's session is over: signed out here too, at once.
                let revoked = session.revoke_own(revoking).await;
                revoked.map(|()| navigate("/login", Default::default()))
            } else {
                revoking.await.map(|()| {
                    done.try_set(Some("That device is signed out."));
                    sessions.refetch();
                    focus_soon(focus_after.into());
                })
            };
            if let Err(failure) = revoked {
                error.try_set(Some(failure.describe()));
            }
        });
    });
    view! {
        <ErrorNotice message=error/>
        <p role="status">{move || done.get()}</p>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading sessions…"</p> }>
            {move || sessions.get().map(|result| match result {
                Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                Ok(list) => view! { <SessionTable sessions=list revoke/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Sessions as a table, each row with a revoke button.
#[component]
fn SessionTable(
    sessions: Vec<SessionInfo>,
    /// Called with the session's id and whether it is this device's.
    revoke: Callback<(String, bool)>,
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
                    <th scope="col"><span class="muted">"Action"</span></th>
                </tr>
            </thead>
            <tbody>
                {sessions.into_iter().map(|row| {
                    let id = row.id.clone();
                    let current = row.current;
                    let label = if row.current {
                        "Revoke this session (you will be signed out)".to_string()
                    } else {
                        // Named by all a row shows: rows of one device
                        // type, started the same minute, still differ.
                        format!(
                            "Revoke the session on {} from {}, started {}",
                            device_name(&row.user_agent),
                            row.ip,
                            show_moment(&row.created_at, false)
                        )
                    };
                    view! {
                        <tr data-testid="session-row">
                            // The whole User-Agent stays at hand, as the cell's title.
                            <td title=row.user_agent.clone()>
                                {device_name(&row.user_agent)}
                                {row.current.then(|| view! { <strong>" (this device)"</strong> })}
                            </td>
                            <td class="optional">{row.ip.clone()}</td>
                            <td><time datetime=row.last_used_at.clone()>{show_moment(&row.last_used_at, false)}</time></td>
                            <td class="optional"><time datetime=row.expires_at.clone()>{show_moment(&row.expires_at, false)}</time></td>
                            <td>
                                <button type="button" class="secondary" aria-label=label
                                    on:click=move |_| revoke.run((id.clone(), current))>"Revoke"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// "Chrome on Android": what a member knows a device by, from its
/// User-Agent (a client that is no browser by its first word, `curl/8.5.0`).
fn device_name(user_agent: &str) -> String {
    const BROWSERS: [(&str, &str); 7] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Macintosh", "a Mac"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |names: &[(&str, &'static str)]| {
        names
            .iter()
            .find(|(mark, _)| user_agent.contains(mark))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_string(),
        (None, None) => match user_agent.split_whitespace().next() {
            Some(first) => first.chars().take(40).collect(),
            None => "Unknown device".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::device_name;

    #[test]
    fn a_device_is_named_by_its_browser_and_system() {
        let pixel = "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/159.0.8154.6 Mobile Safari/537.36";
        assert_eq!(device_name(pixel), "Chrome on Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_name(iphone), "Safari on iPhone");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(device_name(edge), "Edge on Windows");
        let mac_firefox =
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0";
        assert_eq!(device_name(mac_firefox), "Firefox on a Mac");
        assert_eq!(device_name("curl/8.5.0"), "curl/8.5.0");
        assert_eq!(device_name(""), "Unknown device");
    }
}
