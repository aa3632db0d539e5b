//! "Change password": any member, proving the current password. Every other
//! session of theirs ends (a thief who had it is signed out); this one stays.

use leptos::prelude::*;

use crate::{
    api::{
        ErrorCode, PasswordChange,
        client::{self, Method},
        validation::validate_password_change,
    },
    components::{ErrorNotice, InFlight, RefusedFields, said_until_typing},
    session::use_session,
    unsaved::UnsavedWork,
};

const CURRENT: &str = "current-password";
const NEW: &str = "new-password";
const REPEATED: &str = "repeat-password";
/// What the page says about a refused change: the fields point at it.
const PASSWORD_ERROR: &str = "password-error";

#[component]
pub fn ChangePassword() -> impl IntoView {
    let session = use_session();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    // The fields the last try was refused for, marked; the first focused.
    let refused = RefusedFields::default();
    // A second press on a slow network would send the old password again,
    // now wrong: a failed login in the audit log, and a false "not right".
    let sending = InFlight::default();
    // Leaving with a new password half typed asks first, like every form here
    // (the current password alone is no work, and a browser may fill it in).
    let typing_new = Memo::new(move |_| {
        [new, repeated]
            .iter()
            .any(|field| field.with(|text| !text.is_empty()))
    });
    UnsavedWork::track(typing_new);
    // "Password changed." is about the last change, not the next one typed.
    said_until_typing(move || typing_new.get(), done);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        done.set(None);
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        // (field to mark, what is wrong), in the form's order.
        let mut problems = Vec::new();
        if change.current_password.is_empty() {
            problems.push((CURRENT, "• Enter your current password".to_string()));
        }
        if let Some((_, problem)) = validate_password_change(&change).pop_first() {
            problems.push((NEW, format!("• The new password {problem}")));
        }
        if change.new_password != repeated.get_untracked() {
            problems.push((REPEATED, "• The two new passwords differ".to_string()));
        }
        refused.refuse(problems.iter().map(|(id, _)| id.to_string()).collect());
        if !problems.is_empty() {
            let lines: Vec<String> = problems.into_iter().map(|(_, line)| line).collect();
            error.set(Some(format!("Please check:\n{}", lines.join("\n"))));
            return;
        }
        sending.run(async move {
            let answer =
                client::call::<(), _>(session, Method::Post, "/api/me/password", Some(&change))
                    .await;
            match answer {
                Ok(()) => {
                    for field in [current, new, repeated] {
                        field.set(String::new());
                    }
                    done.set(Some(
                        "Password changed. Your other devices were signed out; this one stays signed in.".into(),
                    ));
                }
                // The API's words are the login's ("wrong username or password").
                Err(failure) if failure.code == ErrorCode::InvalidCredentials => {
                    current.set(String::new());
                    error.set(Some("Your current password is not right.".into()));
                    refused.refuse(vec![CURRENT.into()]);
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };

    view! {
        <section class="card">
            <h1>"Change password"</h1>
            <form method="post" novalidate on:submit=submit>
                <label for=CURRENT>"Current password"</label>
                <input id=CURRENT type="password" required autocomplete="current-password"
                    aria-describedby=PASSWORD_ERROR aria-invalid=refused.mark(CURRENT.into()) bind:value=current/>
                <label for=NEW>"New password (10+ characters)"</label>
                <input id=NEW type="password" required minlength="10" autocomplete="new-password"
                    aria-describedby=PASSWORD_ERROR aria-invalid=refused.mark(NEW.into()) bind:value=new/>
                <label for=REPEATED>"New password again"</label>
                <input id=REPEATED type="password" required minlength="10" autocomplete="new-password"
                    aria-describedby=PASSWORD_ERROR aria-invalid=refused.mark(REPEATED.into()) bind:value=repeated/>
                <div id=PASSWORD_ERROR><ErrorNotice message=error/></div>
                <p role="status">{move || done.get()}</p>
                <p><button type="submit" aria-disabled=move || sending.busy().then_some("true")>"Change password"</button></p>
            </form>
        </section>
    }
}
