use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::ErrorCode,
    components::{ErrorNotice, safe_next},
    session::{Status, use_session},
};

#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || safe_next(query.with(|q| q.get("next")));
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    // Already signed in (the silent restore worked): go where they wanted.
    let go_on = navigate.clone();
    Effect::new(move |_| {
        if session.status() == Status::SignedIn {
            go_on(&next(), Default::default());
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if username.with_untracked(String::is_empty) || password.with_untracked(String::is_empty) {
            error.set(Some("Enter your username and password.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = session
                .login(username.get_untracked(), password.get_untracked())
                .await;
            busy.set(false);
            if let Err(failure) = result {
                password.set(String::new());
                error.set(Some(match (failure.code, failure.retry_after_secs) {
                    (ErrorCode::RateLimited, Some(secs)) => format!(
                        "Too many failed attempts. Try again in {} minute(s).",
                        secs.div_ceil(60)
                    ),
                    (ErrorCode::InvalidCredentials, _) => "Wrong username or password.".to_string(),
                    _ => failure.describe(),
                }));
            }
        });
    };

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <p class="muted">"Your backstage pass for the band's setlists."</p>
            {move || session.notice().map(|notice| view! { <p class="notice" role="alert">{notice}</p> })}
            // novalidate: the app's own checks run and are announced (role=alert).
            <form method="post" novalidate on:submit=submit>
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required bind:value=username/>
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    bind:value=password
                />
                <ErrorNotice message=error/>
                <p>
                    <button type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Logging in…" } else { "Log in" }}
                    </button>
                </p>
            </form>
        </section>
    }
}
