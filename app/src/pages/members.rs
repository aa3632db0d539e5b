//! Band members, for managers: add a member, revoke a member's sessions.

use leptos::prelude::*;

use crate::{
    api::{
        NewUser, SessionInfo, User,
        client::{self, Method},
        validation::{field_label, validate_new_user},
    },
    components::{ErrorNotice, LoadFailure, RequireAuth},
    pages::sessions::SessionTable,
    session::use_session,
};

#[component]
pub fn Members() -> impl IntoView {
    view! {
        <RequireAuth>
            <MembersPage/>
        </RequireAuth>
    }
}

#[component]
fn MembersPage() -> impl IntoView {
    let session = use_session();
    // No path, no request, for a drummer (the page only says it is for managers).
    let path = Signal::derive(move || {
        let path = if session.is_manager() {
            "/api/users"
        } else {
            ""
        };
        path.to_owned()
    });
    let members = client::get_resource::<Vec<User>>(session, path);
    let notice = RwSignal::new(None::<String>);
    // The member whose sessions are shown: (id, display name).
    let shown = RwSignal::new(None::<(String, String)>);
    let error = RwSignal::new(None::<String>);

    let revoke = move |member: User| {
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/users/{}/revoke", member.id);
            match client::call::<(), ()>(session, Method::Post, &path, None).await {
                Ok(()) => notice.set(Some(format!(
                    "{} is signed out everywhere; their passes no longer work.",
                    member.display_name
                ))),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };

    view! {
        <Show
            when=move || session.is_manager()
            fallback=|| view! { <p class="error" role="alert">"Only managers can manage band members."</p> }
        >
            <section class="card">
                <h1>"Band members"</h1>
                <ErrorNotice message=error/>
                <p role="status">{move || notice.get()}</p>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading members…"</p> }>
                    {move || members.get().map(|result| match result {
                        Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                        Ok(list) => view! {
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Username"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col"><span class="muted">"Sessions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|member| {
                                        let label = format!("Revoke sessions of {}", member.display_name);
                                        let show_label = format!("Show sessions of {}", member.display_name);
                                        let shown_member = (member.id.clone(), member.display_name.clone());
                                        view! {
                                            <tr>
                                                <td>{member.display_name.clone()}</td>
                                                <td>{member.username.clone()}</td>
                                                <td>{member.role.as_str()}</td>
                                                <td>
                                                    <button type="button" class="secondary" aria-label=show_label
                                                        on:click=move |_| shown.set(Some(shown_member.clone()))>"Sessions"</button>
                                                    " "
                                                    <button type="button" class="secondary" aria-label=label
                                                        on:click=move |_| revoke(member.clone())>"Revoke sessions"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Suspense>
            </section>
            {move || shown.get().map(|(id, name)| view! { <MemberSessions id name/> })}
            <AddMember on_added=move || members.refetch()/>
        </Show>
    }
}

#[component]
fn MemberSessions(id: String, name: String) -> impl IntoView {
    let session = use_session();
    let sessions = client::get_resource::<Vec<SessionInfo>>(
        session,
        Signal::from(format!("/api/users/{id}/sessions")),
    );
    view! {
        <section class="card">
            <h2>{format!("Sessions of {name}")}</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Loading sessions…"</p> }>
                {move || sessions.get().map(|result| match result {
                    Ok(list) => view! { <SessionTable sessions=list/> }.into_any(),
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AddMember(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new("drummer".to_string());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let added = RwSignal::new(None::<String>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        added.set(None);
        let new = NewUser {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        };
        let problems =
            validate_new_user(&new.username, &new.display_name, &new.role, &new.password);
        if !problems.is_empty() {
            let lines: Vec<String> = problems
                .iter()
                .map(|(f, p)| format!("• {} {p}", field_label(f)))
                .collect();
            error.set(Some(lines.join("\n")));
            return;
        }
        leptos::task::spawn_local(async move {
            match client::call::<User, _>(session, Method::Post, "/api/users", Some(&new)).await {
                Ok(user) => {
                    added.set(Some(format!(
                        "Added {} as {}.",
                        user.display_name,
                        user.role.as_str()
                    )));
                    username.set(String::new());
                    display_name.set(String::new());
                    password.set(String::new());
                    on_added();
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };

    view! {
        <section class="card">
            <h2>"Add a member"</h2>
            // novalidate: the app's own checks run and are announced (role=alert).
            <form method="post" novalidate on:submit=submit>
                <div class="row">
                    <div>
                        <label for="member-username">"Username"</label>
                        <input id="member-username" required maxlength="64" autocomplete="off" bind:value=username/>
                    </div>
                    <div>
                        <label for="member-display-name">"Display name"</label>
                        <input id="member-display-name" required maxlength="120" bind:value=display_name/>
                    </div>
                </div>
                <div class="row">
                    <div>
                        <label for="member-role">"Role"</label>
                        <select id="member-role" bind:value=role>
                            <option value="drummer">"Drummer"</option>
                            <option value="manager">"Manager"</option>
                        </select>
                    </div>
                    <div>
                        <label for="member-password">"Initial password (10+ characters)"</label>
                        <input id="member-password" type="password" required minlength="10" autocomplete="new-password" bind:value=password/>
                    </div>
                </div>
                <ErrorNotice message=error/>
                <p role="status">{move || added.get()}</p>
                <p><button type="submit">"Add member"</button></p>
            </form>
        </section>
    }
}
