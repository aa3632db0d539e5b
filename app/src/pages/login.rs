//! The login page. It works before the app's wasm has arrived: the form
//! posts to `POST /login` like any HTML form (server/src/http/login_form.rs),
//! and what the server says about a failed attempt comes back in the query
//! (`?error=`). Once the app is running it sends the same credentials to the
//! JSON API instead, without leaving the page.
//!
//! The inputs are not bound to signals: hydration leaves an input's value
//! alone, so what someone typed while the wasm was still on its way stays.

use leptos::{html, prelude::*};
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{ErrorCode, validation::safe_next},
    components::{ErrorNotice, focus, refocus},
    session::{Status, TypedUsername, use_session},
};

#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || safe_next(query.with(|q| q.get("next")));
    let username = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    // What the form route said about the last attempt, if it came back here.
    let error = RwSignal::new(query.with_untracked(|q| {
        let code = q.get("error")?;
        let code = serde_json::from_value(serde_json::Value::String(code)).ok()?;
        let retry_after = q.get("retry_after").and_then(|secs| secs.parse().ok());
        Some(explain(code, retry_after, None))
    }));
    let busy = RwSignal::new(false);
    // Whether the last attempt was refused for the username, the password.
    let wrong = query.with_untracked(|q| q.get("error")).as_deref() == Some("invalid_credentials");
    let (name_refused, secret_refused) = (RwSignal::new(wrong), RwSignal::new(wrong));
    let invalid = |refused: RwSignal<bool>| move || refused.get().then_some("true");
    // Set by the server only, when it renders the page after a refused form
    // login; the browser's hydration leaves the attribute it rendered alone.
    let typed_username = use_context::<TypedUsername>().map(|typed| typed.0);
    let password_first = typed_username.is_some().then_some("");

    // Already signed in (the silent restore worked): go where they wanted.
    let go_on = navigate.clone();
    Effect::new(move |_| {
        if session.status() == Status::SignedIn {
            go_on(&next(), Default::default());
        }
    });

    let value_of = |input: NodeRef<html::Input>| input.get_untracked().map(|input| input.value());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (name, secret) = (
            value_of(username).unwrap_or_default(),
            value_of(password).unwrap_or_default(),
        );
        if name.is_empty() || secret.is_empty() {
            name_refused.set(name.is_empty());
            secret_refused.set(secret.is_empty());
            error.set(Some("Enter your username and password.".into()));
            // The first field to fill in takes the focus from the button.
            focus(if name.is_empty() {
                "username"
            } else {
                "password"
            });
            return;
        }
        busy.set(true);
        error.set(None);
        name_refused.set(false);
        secret_refused.set(false);
        leptos::task::spawn_local(async move {
            let result = session.login(name, secret).await;
            busy.set(false);
            if let Err(failure) = result {
                if let Some(input) = password.get_untracked() {
                    input.set_value("");
                }
                // The disabled button dropped the focus: back to the password.
                refocus("password".into());
                let wrong = failure.code == ErrorCode::InvalidCredentials;
                name_refused.set(wrong);
                secret_refused.set(wrong);
                let described = failure.describe();
                error.set(Some(explain(
                    failure.code,
                    failure.retry_after_secs,
                    Some(described),
                )));
            }
        });
    };

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <p class="muted">"Your backstage pass for the band's setlists."</p>
            {move || session.notice().map(|notice| view! { <p class="notice" role="alert">{notice}</p> })}
            // novalidate: the app's own checks run and are announced (role=alert).
            // Without the app, the browser posts the form to the server.
            <form method="post" action="/login" novalidate on:submit=submit>
                <input type="hidden" name="next" value=next/>
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required
                    aria-invalid=invalid(name_refused) aria-describedby=ERROR
                    value=typed_username node_ref=username/>
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    aria-invalid=invalid(secret_refused)
                    aria-describedby=ERROR
                    autofocus=password_first
                    node_ref=password
                />
                <div id=ERROR><ErrorNotice message=error/></div>
                <p>
                    <button type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Logging in…" } else { "Log in" }}
                    </button>
                </p>
            </form>
        </section>
    }
}

/// The id of what the page says about a refused attempt.
const ERROR: &str = "login-error";

/// A failed login in words; `message` is the API's own, when the app asked.
fn explain(code: ErrorCode, retry_after_secs: Option<u64>, message: Option<String>) -> String {
    match (code, retry_after_secs, message) {
        // Attempts in flight filled the limit: nothing failed (`auth::throttle`).
        (ErrorCode::RateLimited, Some(1), _) => {
            "Too many attempts at once. Try again in a moment.".to_string()
        }
        (ErrorCode::RateLimited, Some(secs), _) => match secs.div_ceil(60) {
            1 => "Too many failed attempts. Try again in a minute.".to_string(),
            minutes => format!("Too many failed attempts. Try again in {minutes} minutes."),
        },
        (ErrorCode::InvalidCredentials, _, _) => "Wrong username or password.".to_string(),
        // A login's only 403.
        (ErrorCode::Forbidden, _, _) => {
            "This account is disabled; ask a manager to enable it.".to_string()
        }
        (_, _, Some(message)) => message,
        (ErrorCode::ValidationFailed, _, None) => {
            "That username or password is too long.".to_string()
        }
        _ => "Logging in failed; try again.".to_string(),
    }
}
