//! "Your pass": the current access token, decoded, with its countdown. A
//! student watching it sees the token replaced when the silent refresh runs.
//! The raw token is never shown: only its decoded header and claims.

use leptos::prelude::*;

use crate::{
    api::{
        PublishedKeys, SessionInfo, client,
        transport::{self, Method},
    },
    components::{LoadFailure, show_moment},
    session::{now_ms, use_session},
};

#[component]
pub fn Pass() -> impl IntoView {
    let session = use_session();
    // Ticks every second so the countdowns move.
    let now = RwSignal::new(now_ms());
    Effect::new(move |_| {
        let _ =
            set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(1));
    });
    let jwks = LocalResource::new(|| {
        transport::send::<PublishedKeys, ()>(Method::Get, "/.well-known/jwks.json", None, None)
    });
    let sessions = client::get_resource::<Vec<SessionInfo>>(
        session,
        Signal::from("/api/me/sessions".to_owned()),
    );
    let pass = move || session.pass();
    // Each silent refresh rotates the session: "Last rotated" is read again.
    Effect::new(move |was: Option<Option<f64>>| {
        let expires = pass().map(|pass| pass.expires_at_ms);
        if was.is_some_and(|was| was != expires) {
            sessions.refetch();
        }
        expires
    });
    let seconds_until = move |at_ms: f64| ((at_ms - now.get()) / 1000.0).max(0.0).round() as i64;
    let kid = move || pass().map(|p| p.kid).unwrap_or_default();

    view! {
        <section class="card">
            <h1>"Your backstage pass"</h1>
            <p class="muted">
                "This is your current access token, decoded. It lives only in this tab's memory; "
                "the refresh token that renews it is an HttpOnly cookie no script can read."
            </p>
            {move || pass().map(|pass| view! {
                <div class="row">
                    <p data-testid="expires-in">
                        <strong>"Expires in "</strong>
                        {move || format!("{} s", seconds_until(pass.expires_at_ms))}
                    </p>
                    <p data-testid="refresh-in">
                        <strong>"Next silent refresh in "</strong>
                        {move || format!("{} s", seconds_until(pass.refresh_at_ms))}
                    </p>
                </div>
                <h2>"Header"</h2>
                <pre data-testid="pass-header">{pass.header}</pre>
                <h2>"Claims"</h2>
                <pre data-testid="pass-claims">{pass.claims}</pre>
            })}
            <h2>"Signing key"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking the published keys…"</p> }>
                {move || jwks.get().map(|result| match result {
                    Ok(set) => {
                        let kid = kid();
                        let published = set.keys.iter().any(|key| key.kid == kid);
                        view! {
                            <p data-testid="kid-check">
                                {if published {
                                    format!("✓ Signed by key {kid}, published in /.well-known/jwks.json.")
                                } else {
                                    format!("✗ Key {kid} is not in /.well-known/jwks.json.")
                                }}
                            </p>
                        }.into_any()
                    }
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                })}
            </Suspense>
            <h2>"Session"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the session…"</p> }>
                {move || sessions.get().map(|result| match result {
                    Ok(list) => match list.into_iter().find(|s| s.current) {
                        Some(current) => view! {
                            <table>
                                <tbody>
                                    <tr><th scope="row">"Started"</th><td>{moment(current.created_at)}</td></tr>
                                    <tr><th scope="row">"Last rotated"</th><td>{moment(current.last_used_at)}</td></tr>
                                    <tr><th scope="row">"Session ends (family expiry)"</th><td>{moment(current.expires_at)}</td></tr>
                                </tbody>
                            </table>
                        }.into_any(),
                        None => view! { <p class="muted">"This session is no longer live."</p> }.into_any(),
                    },
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// A moment of the session in the member's own time, with its UTC value.
fn moment(at: String) -> impl IntoView {
    view! { <time datetime=at.clone()>{show_moment(&at, true)}</time> }
}
