//! Band members, for managers: add a member; change a member's role and
//! instrument; disable and enable an account; reset a password; revoke a
//! member's sessions. The role says what a member may do in the app (plan
//! shows, or set tempos and their own notes); the instrument, what they play.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::{
    api::{
        ChangedBy, ErrorCode, MemberPatch, NewUser, PasswordReset, Role, User,
        client::{self, ApiFailure, Method},
        validation::{
            FieldErrors, field_label, validate_instrument, validate_new_password, validate_new_user,
        },
    },
    components::{
        ErrorNotice, InFlight, LoadFailure, ManagersOnly, RefusedFields, closes_on_escape,
        focus_soon, keep_focus, refocus, said_until_typing,
    },
    live::{Author, LiveMessage, said_anew, use_live},
    pages::sessions::RevocableSessions,
    session::{Session, use_session},
    unsaved::UnsavedWork,
    unsaved::confirm,
};

/// Scrolls the control the keyboard just reached out from under the pinned
/// notices (WCAG 2.4.11: a focused control must not be hidden by sticky content).
fn keep_clear_of(pinned: NodeRef<leptos::html::Div>, ev: &leptos::ev::FocusEvent) {
    use leptos::wasm_bindgen::JsCast;
    let focused = ev
        .target()
        .and_then(|target| target.dyn_into::<leptos::web_sys::Element>().ok());
    let (Some(notices), Some(focused)) = (pinned.get_untracked(), focused) else {
        return;
    };
    if notices.contains(Some(&focused)) {
        return;
    }
    // Measured after the browser has scrolled the control into view, which
    // it does after `focusin` (Shift+Tab from below the screen).
    request_animation_frame(move || {
        // The keyboard's focus only: a mouse press scrolled away would lose its click.
        let still_focused = document().active_element().as_ref() == Some(&focused);
        if !still_focused || !focused.matches(":focus-visible").unwrap_or(false) {
            return;
        }
        let (cover, control) = (
            notices.get_bounding_client_rect(),
            focused.get_bounding_client_rect(),
        );
        if control.bottom() > cover.top() && control.top() < cover.bottom() {
            window().scroll_by_with_x_and_y(0.0, control.top() - cover.bottom() - 8.0);
        }
    });
}

const SELF_DEMOTION: &str = "Make yourself a drummer? The manager's pages go at once, \
     and only another manager can make you a manager again.";
const SELF_DISABLING: &str = "Disable your own account? You are signed out everywhere at once, \
     and only another manager can enable it again.";

/// What the add and reset forms say about a refused submit: their fields point at it.
const ADD_ERROR: &str = "add-member-error";
const RESET_ERROR: &str = "reset-password-error";

/// An instrument typed and not saved (not sent yet, or refused), and what
/// was stored when it was typed over.
struct Unsent {
    typed: String,
    over: String,
}

/// The instruments typed and not saved, by member id: the list read again
/// keeps each in its member's field.
#[derive(Clone, Copy, Default)]
struct UnsavedInstruments(StoredValue<HashMap<String, Unsent>>);

impl UnsavedInstruments {
    /// `text` typed over `stored`; typed back to it, nothing is left unsaved.
    fn typed(&self, id: &str, text: &str, stored: &str) {
        self.0.update_value(|unsaved| {
            if text.trim() == stored {
                unsaved.remove(id);
            } else if let Some(unsent) = unsaved.get_mut(id) {
                text.clone_into(&mut unsent.typed);
            } else {
                let (typed, over) = (text.to_owned(), stored.to_owned());
                unsaved.insert(id.to_owned(), Unsent { typed, over });
            }
        });
    }

    /// Saved as `sent`; what was typed while it was on its way is now
    /// typed over `sent` (this manager's own, not someone else's change).
    fn saved(&self, id: &str, sent: &str) {
        self.0.update_value(|unsaved| match unsaved.get_mut(id) {
            Some(unsent) if unsent.typed.trim() == sent => {
                unsaved.remove(id);
            }
            Some(unsent) => sent.clone_into(&mut unsent.over),
            None => {}
        });
    }

    /// Refused: kept to send again, unless more was typed meanwhile.
    fn refused(&self, id: String, typed: String, over: String) {
        self.0.update_value(|unsaved| {
            unsaved.entry(id).or_insert(Unsent { typed, over });
        });
    }

    fn forget(&self, id: &str) {
        self.0.update_value(|unsaved| {
            unsaved.remove(id);
        });
    }

    /// What `member`'s field shows: what was typed, else what is stored;
    /// and, when someone else changed the stored instrument since it was
    /// typed over, a line that says so (leaving the field replaces theirs).
    fn shown(&self, member: &User) -> (String, Option<String>) {
        self.0.with_value(|unsaved| match unsaved.get(&member.id) {
            None => (member.instrument.clone(), None),
            Some(unsent) => {
                let theirs = unsent.over != member.instrument;
                let overtaken = (theirs && unsent.typed.trim() != member.instrument).then(|| {
                    let now = match member.instrument.as_str() {
                        "" => "Cleared meanwhile".to_owned(),
                        plays => format!("Changed to “{plays}” meanwhile"),
                    };
                    format!("{now}: leaving the field saves what you typed instead.")
                });
                (unsent.typed.clone(), overtaken)
            }
        })
    }
}

/// The band's members as last read.
type MembersRead = LocalResource<Result<Vec<User>, ApiFailure>>;

/// `GET /api/users`: read by the manager's views only, which are made once
/// the member is a manager (a drummer's would be refused).
pub(super) fn band_members(session: Session) -> MembersRead {
    client::get_resource(session, Signal::from("/api/users".to_owned()))
}

/// The manager's view is made when the member is a manager, and its reads
/// start then: a drummer promoted while on this page reads the list at once.
#[component]
pub fn Members() -> impl IntoView {
    let session = use_session();
    view! {
        <Show
            when=move || session.is_manager()
            fallback=move || view! {
                <ManagersOnly heading="Band members">"Only managers can manage band members."</ManagersOnly>
            }
        >
            <BandMembers/>
        </Show>
    }
}

#[component]
fn BandMembers() -> impl IntoView {
    let session = use_session();
    let members = band_members(session);
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

    // The last role change, to put back with one press: a role picked by
    // mistake is one press away from what it was. (The member as changed,
    // and their old role.)
    let undoable = RwSignal::new(None::<(User, Role)>);
    let unsaved_instruments = UnsavedInstruments::default();
    let pinned = NodeRef::<leptos::html::Div>::new();
    // Every change answers with the member as changed; the list is read again.
    let change = move |member: User, patch: MemberPatch, done: String| {
        error.set(None);
        notice.set(None);
        // A change that fails changes nothing: the last Undo stays offered
        // (a failed Undo included, to press again).
        let last_undoable = undoable.get_untracked();
        undoable.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/users/{}", member.id);
            let old_role = member.role;
            match client::call::<User, _>(session, Method::Patch, &path, Some(&patch)).await {
                Ok(changed) => {
                    // Saved, unless more was typed while it was on its way.
                    if let Some(sent) = &patch.instrument {
                        unsaved_instruments.saved(&changed.id, sent);
                    }
                    notice.set(Some(done));
                    // Not one's own demotion: a drummer cannot change roles back.
                    let own = untrack(|| session.user()).is_some_and(|me| me.id == changed.id);
                    // Demoted or disabled oneself: the list is a manager's,
                    // and reading it again would only be refused.
                    if own && (changed.role != Role::Manager || changed.disabled) {
                        return;
                    }
                    // Shown at once as the answer has it (Undo with it); the
                    // list read again below follows.
                    members.update(|read| {
                        if let Some(Ok(list)) = read
                            && let Some(row) = list.iter_mut().find(|m| m.id == changed.id)
                        {
                            row.clone_from(&changed);
                        }
                    });
                    if changed.role != old_role && !own {
                        undoable.set(Some((changed, old_role)));
                    }
                }
                Err(failure) => {
                    let why = match failure.code {
                        ErrorCode::LastManager => "The band needs at least one enabled manager: \
                             make another member a manager first."
                            .to_string(),
                        _ => failure.describe(),
                    };
                    error.set(Some(why));
                    undoable.set(last_undoable);
                    // Kept to send again, unless more was typed meanwhile.
                    if let Some(typed) = patch.instrument {
                        unsaved_instruments.refused(member.id, typed, member.instrument);
                    }
                }
            }
            members.refetch();
        });
    };
    let undo = move |_| {
        let Some((member, old_role)) = undoable.get_untracked() else {
            return;
        };
        // The Undo button goes away: the keyboard goes back to the role picker.
        refocus(format!("role-{}", member.id));
        let name = name_now(members, &member.id, member.display_name.clone());
        let done = format!(
            "Undone: {} is a {} again.",
            name.get_untracked(),
            old_role.as_str()
        );
        let patch = MemberPatch {
            role: Some(old_role.as_str().to_string()),
            ..Default::default()
        };
        change(member, patch, done);
    };
    // The member whose password is being reset: (id, display name).
    let resetting = RwSignal::new(None::<(String, String)>);
    // Live: another manager's change re-reads the list, and is said in
    // words in the pinned notices (seen, not only heard: a list that
    // changes under a manager's eyes says who changed it); an instrument
    // being typed stays in its field (`typing_in`). A manager demoted or
    // disabled is not told (the server cuts them off first), so no read is
    // made that would be refused.
    let live = use_live();
    live.subscribe(move |message| {
        match message {
            LiveMessage::MembersChanged(data) => {
                let ChangedBy { by, by_id } = serde_json::from_str(data).unwrap_or_default();
                // This manager's own, from another tab or device, is no news.
                if let Author::Member { name, .. } =
                    Author::new(&by_id, &by, |id| session.is_me(id))
                {
                    let said = format!("{name} changed the band's members.");
                    notice.update(|notice| *notice = Some(said_anew(notice.as_deref(), said)));
                }
            }
            LiveMessage::Reload => {}
            // Not replayed: what a broken stream missed is read again.
            LiveMessage::Connected if members.with_untracked(Option::is_some) => {}
            _ => return,
        }
        members.refetch();
    });

    view! {
        <section class="card" on:focusin=move |ev| keep_clear_of(pinned, &ev)>
            <h1>"Band members"</h1>
            // The answer to a change made far down the list on a phone
            // stays in view while the list scrolls under it.
            <div class="pinned-notices" node_ref=pinned>
                <ErrorNotice message=error/>
                <p role="status">{move || notice.get()}</p>
                // Offered while the member still has the role given here:
                // after another manager's change it would undo what nobody here saw.
                // By the name the list has now: another manager may rename them.
                {move || undoable.get().filter(|(member, _)| holds(members, member)).map(|(member, old_role)| {
                    let name = name_now(members, &member.id, member.display_name);
                    view! {
                        <p><button type="button" class="secondary" on:click=undo
                            aria-label=move || format!("Undo: make {} a {} again", name.get(), old_role.as_str())>"Undo"</button></p>
                    }
                })}
            </div>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading members…"</p> }>
                {move || members.get().map(|result| match result {
                    Err(failure) => view! { <LoadFailure failure/> }.into_any(),
                    Ok(list) => {
                        // The table is drawn anew after every change. (A
                        // Transition keeps the old one up while it is read
                        // again, so the focused control is still there.)
                        keep_focus();
                        // One's own demotion or disabling cannot be undone
                        // from here: it is asked first, when it can happen
                        // at all (else the server refuses it and says why).
                        let me = untrack(|| session.user()).map(|me| me.id);
                        let others_manage = list.iter().any(|m| {
                            m.role == Role::Manager && !m.disabled && Some(&m.id) != me.as_ref()
                        });
                        let asked_first = move |own: bool, question: &str| {
                            let declined = own && others_manage && !confirm(question);
                            if declined {
                                members.refetch(); // the controls show what is stored
                            }
                            declined
                        };
                        view! {
                        <table class="stacked">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Username"</th>
                                    <th scope="col">"Plays"</th>
                                    <th scope="col">"Role"</th>
                                    <th scope="col">"Account"</th>
                                    <th scope="col"><span class="muted">"Sessions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|member| {
                                    let label = format!("Revoke sessions of {}", member.display_name);
                                    let show_label = format!("Show sessions of {}", member.display_name);
                                    let shown_member = (member.id.clone(), member.display_name.clone());
                                    let reset_member = shown_member.clone();
                                    let name = member.display_name.clone();
                                    let own = me.as_ref() == Some(&member.id);
                                    let role_label = format!("Role of {name}");
                                    let (toggle_text, toggle_label) = if member.disabled {
                                        ("Enable", format!("Enable {name}"))
                                    } else {
                                        ("Disable", format!("Disable {name}"))
                                    };
                                    let reset_label = format!("Reset the password of {name}");
                                    let (role_member, toggle_member) = (member.clone(), member.clone());
                                    let instrument_member = member.clone();
                                    let (typing_in, stored_instrument) = (member.id.clone(), member.instrument.clone());
                                    let instrument_label = format!("Instrument of {name}");
                                    // Typed and not sent yet (it is sent when the field is
                                    // left): a reload or Back asks first.
                                    let (shown_instrument, overtaken) = unsaved_instruments.shown(&member);
                                    let overtaken_id = overtaken.is_some().then(|| format!("plays-overtaken-{}", member.id));
                                    let typed = RwSignal::new(shown_instrument.clone());
                                    let sent = RwSignal::new(member.instrument.clone());
                                    UnsavedWork::track(Memo::new(move |_| typed.with(|t| sent.with(|s| t.trim() != s))));
                                    let leave_instrument = move |instrument: String| {
                                        let instrument = instrument.trim().to_string();
                                        // Sent already (`change`, then `blur`): once is enough.
                                        if instrument == sent.get_untracked() {
                                            return;
                                        }
                                        sent.set(instrument.clone());
                                        if instrument == instrument_member.instrument {
                                            // Put back as stored: nothing is left unsaved.
                                            unsaved_instruments.forget(&instrument_member.id);
                                            return;
                                        }
                                        let done = match instrument.as_str() {
                                            "" => format!("{} plays nothing listed now.", instrument_member.display_name),
                                            plays => format!("{} plays {plays}.", instrument_member.display_name),
                                        };
                                        change(instrument_member.clone(), MemberPatch { instrument: Some(instrument), ..Default::default() }, done);
                                    };
                                    let stored_role = member.role.as_str();
                                    // A closed picker changes its value, and says so, at every
                                    // arrow key or letter: a keyboard walking through the roles
                                    // would change the member's at each step (each a sign-out
                                    // and an audit event). A role walked to waits for Enter or
                                    // "Save role"; one picked from the list opened with Space, a
                                    // mouse or a finger is saved at once. (Where an arrow key
                                    // opens the list, as on a Mac, its pick waits too: safe.)
                                    let walked = StoredValue::new(false);
                                    let picked = RwSignal::new(None::<String>);
                                    let save_role = move |role: String| {
                                        if role == "drummer" && asked_first(own, SELF_DEMOTION) {
                                            return;
                                        }
                                        // Said once: a second Enter while it is on its way is not another change.
                                        picked.set(None);
                                        let after = if role_member.disabled {
                                            "the account stays disabled"
                                        } else {
                                            "their next request signs them in again with it"
                                        };
                                        let done = format!("{} is now a {role}; {after}.", role_member.display_name);
                                        change(role_member.clone(), MemberPatch { role: Some(role), ..Default::default() }, done);
                                    };
                                    let on_role_key = {
                                        let save_role = save_role.clone();
                                        move |ev: leptos::ev::KeyboardEvent| {
                                            let key = ev.key();
                                            if key == "Enter" {
                                                // The picker's value as it is now: where keys reach an
                                                // open list, the last change may not have been heard.
                                                if picked.get_untracked().is_some() {
                                                    ev.prevent_default();
                                                    let role = event_target_value(&ev);
                                                    if role == stored_role {
                                                        picked.set(None);
                                                    } else {
                                                        save_role(role);
                                                    }
                                                }
                                            } else if key == " " {
                                                walked.set_value(false);
                                            } else if key.starts_with("Arrow")
                                                || matches!(key.as_str(), "Home" | "End" | "PageUp" | "PageDown")
                                                || (key.chars().count() == 1 && key != " ")
                                            {
                                                walked.set_value(true);
                                            }
                                        }
                                    };
                                    let on_role = {
                                        let save_role = save_role.clone();
                                        move |ev: leptos::ev::Event| {
                                            let role = event_target_value(&ev);
                                            if walked.get_value() {
                                                walked.set_value(false);
                                                picked.set((role != stored_role).then_some(role));
                                            } else {
                                                save_role(role);
                                            }
                                        }
                                    };
                                    // Its visible words first (a voice user says "Save role", WCAG 2.5.3),
                                    // and not "… role of {name}": the picker's label must stay the only one that says so.
                                    let save_picked_label = format!("Save role for {name}");
                                    let on_toggle = move |_| {
                                        let disabled = !toggle_member.disabled;
                                        if disabled && asked_first(own, SELF_DISABLING) {
                                            return;
                                        }
                                        let done = if disabled {
                                            format!("{} is disabled and signed out everywhere.", toggle_member.display_name)
                                        } else {
                                            format!("{} can sign in again.", toggle_member.display_name)
                                        };
                                        change(toggle_member.clone(), MemberPatch { disabled: Some(disabled), ..Default::default() }, done);
                                    };
                                    let is_manager = member.role == Role::Manager;
                                    // Ids that survive the redrawing, for `keep_focus`.
                                    let member_id = member.id.clone();
                                    let control_id = move |control: &str| format!("{control}-{member_id}");
                                    view! {
                                        <tr>
                                            <td>{member.display_name.clone()}</td>
                                            <td data-label="Username">{member.username.clone()}</td>
                                            <td data-label="Plays">
                                                // Saved when the field is left (`change`), like the role.
                                                <input class="instrument" id=control_id("plays") aria-label=instrument_label list="instruments" maxlength="40"
                                                    aria-describedby=overtaken_id.clone()
                                                    value=shown_instrument on:input=move |ev| {
                                                        // Kept for the row drawn anew by a live re-read.
                                                        let text = event_target_value(&ev);
                                                        unsaved_instruments.typed(&typing_in, &text, &stored_instrument);
                                                        typed.set(text);
                                                    }
                                                    on:change={
                                                        let leave_instrument = leave_instrument.clone();
                                                        move |ev| leave_instrument(event_target_value(&ev))
                                                    }
                                                    // A field drawn anew by a live re-read, with what was
                                                    // typed, fires no `change` when left unchanged.
                                                    on:blur=move |ev| leave_instrument(event_target_value(&ev))/>
                                                {overtaken.map(|said| view! { <p class="notice" id=overtaken_id>{said}</p> })}
                                            </td>
                                            <td data-label="Role">
                                                <select id=control_id("role") aria-label=role_label on:change=on_role
                                                    on:keydown=on_role_key on:pointerdown=move |_| walked.set_value(false)
                                                    on:blur=move |_| walked.set_value(false)>
                                                    <option value="drummer" selected=!is_manager>"Drummer"</option>
                                                    <option value="manager" selected=is_manager>"Manager"</option>
                                                </select>
                                                {move || picked.get().map(|role| {
                                                    let save_role = save_role.clone();
                                                    view! {
                                                        " "
                                                        <button type="button" aria-label=save_picked_label.clone()
                                                            on:click=move |_| save_role(role.clone())>"Save role"</button>
                                                    }
                                                })}
                                            </td>
                                            <td data-label="Account">
                                                {if member.disabled { "Disabled" } else { "Active" }}
                                                " "
                                                <button type="button" class="secondary" id=control_id("toggle") aria-label=toggle_label
                                                    on:click=on_toggle>{toggle_text}</button>
                                                " "
                                                <button type="button" class="secondary" id=control_id("reset") aria-label=reset_label
                                                    on:click=move |_| resetting.set(Some(reset_member.clone()))>"Reset the password"</button>
                                            </td>
                                            <td>
                                                <button type="button" class="secondary" id=control_id("sessions") aria-label=show_label
                                                    on:click=move |_| shown.set(Some(shown_member.clone()))>"Sessions"</button>
                                                " "
                                                <button type="button" class="secondary" id=control_id("revoke") aria-label=label
                                                    on:click=move |_| revoke(member.clone())>"Revoke sessions"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <InstrumentChoices/>
                    }.into_any()
                    }
                })}
            </Transition>
        </section>
        {move || resetting.get().map(|(id, name)| view! { <ResetPassword name=name_now(members, &id, name) id close=move || close_panel(resetting, "reset")/> })}
        {move || shown.get().map(|(id, name)| view! { <MemberSessions name=name_now(members, &id, name) id close=move || close_panel(shown, "sessions")/> })}
        <AddMember on_added=move || members.refetch()/>
    }
}

/// Whether `member` still has the role they have here: not when the list
/// read last shows otherwise (a read that failed shows nothing).
fn holds(members: MembersRead, member: &User) -> bool {
    members.with(|read| match read {
        Some(Ok(list)) => list
            .iter()
            .any(|m| m.id == member.id && m.role == member.role),
        _ => true,
    })
}

/// The member's name as the list has it now, for a panel opened as
/// `opened_as`: another manager may rename them while it is open.
fn name_now(members: MembersRead, id: &str, opened_as: String) -> Signal<String> {
    let id = id.to_owned();
    Signal::derive(move || {
        members
            .with(|read| match read {
                Some(Ok(list)) => list
                    .iter()
                    .find(|m| m.id == id)
                    .map(|m| m.display_name.clone()),
                _ => None,
            })
            .unwrap_or_else(|| opened_as.clone())
    })
}

#[component]
fn MemberSessions(
    id: String,
    name: Signal<String>,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // Opened from a row far above (out of sight on a phone): the keyboard,
    // and the view, go to the panel.
    const SESSIONS_HEADING: &str = "member-sessions";
    focus_soon(SESSIONS_HEADING.into());
    view! {
        <section class="card" on:keydown=move |ev| closes_on_escape(&ev, close)>
            <h2 id=SESSIONS_HEADING tabindex="-1">{move || format!("Sessions of {}", name.get())}</h2>
            // One device at a time: a lost phone, reported to the manager.
            <RevocableSessions list_path=format!("/api/users/{id}/sessions") focus_after=SESSIONS_HEADING/>
            <p><button type="button" class="secondary" on:click=move |_| close()>"Close"</button></p>
        </section>
    }
}

/// Closes the panel `open` (the member it is for: id, name), and the
/// keyboard goes back to the row's button that opened it (`{control}-{id}`).
fn close_panel(open: RwSignal<Option<(String, String)>>, control: &'static str) {
    if let Some((id, _)) = open.get_untracked() {
        refocus(format!("{control}-{id}"));
    }
    open.set(None);
}

/// A manager sets a member's new password; all the member's sessions end.
#[component]
fn ResetPassword(
    id: String,
    name: Signal<String>,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let sending = InFlight::default();
    // Opened from a row far above: the keyboard goes where the typing is.
    const FIELD: &str = "reset-password";
    focus_soon(FIELD.into());
    let refused = RefusedFields::default();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        done.set(None);
        let reset = PasswordReset {
            password: password.get_untracked(),
        };
        if let Some((_, problem)) = validate_new_password("password", &reset.password).pop_first() {
            error.set(Some(format!("• The password {problem}")));
            refused.refuse(vec![FIELD.into()]);
            return;
        }
        refused.clear();
        let path = format!("/api/users/{id}/password");
        // Read now: the panel may be closed before the answer comes.
        let name = name.get_untracked();
        sending.run(async move {
            let answer = client::call::<(), _>(session, Method::Post, &path, Some(&reset)).await;
            match answer {
                Ok(()) => {
                    password.set(String::new());
                    done.set(Some(format!(
                        "{name}'s password is set; they were signed out everywhere."
                    )));
                }
                Err(failure) => {
                    if !failure.fields.is_empty() {
                        refused.refuse(vec![FIELD.into()]);
                    }
                    error.set(Some(failure.describe()));
                }
            }
        });
    };
    view! {
        <section class="card" on:keydown=move |ev| closes_on_escape(&ev, close)>
            <h2>{move || format!("New password for {}", name.get())}</h2>
            <form method="post" novalidate on:submit=submit>
                <label for=FIELD>"New password (10+ characters)"</label>
                <input id=FIELD type="password" required minlength="10" autocomplete="new-password"
                    aria-describedby=RESET_ERROR aria-invalid=refused.mark(FIELD.into()) bind:value=password/>
                <div id=RESET_ERROR><ErrorNotice message=error/></div>
                <p role="status">{move || done.get()}</p>
                <p>
                    <button type="submit" aria-disabled=move || sending.busy().then_some("true")>"Set password"</button>
                    " "
                    <button type="button" class="secondary" on:click=move |_| close()>"Cancel"</button>
                </p>
            </form>
        </section>
    }
}

#[component]
fn AddMember(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new("drummer".to_string());
    let instrument = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let added = RwSignal::new(None::<String>);
    let sending = InFlight::default();
    // The fields refused (here or by the server), marked and listed in the
    // form's order, the first focused.
    let refused = RefusedFields::default();
    let refuse = move |problems: &FieldErrors| {
        let (ids, said) = new_member_refusal(problems);
        refused.refuse(ids);
        said
    };
    // Leaving with a member half typed asks first, like every form here.
    let typed = Memo::new(move |_| {
        [username, display_name, instrument, password]
            .iter()
            .any(|field| field.with(|text| !text.is_empty()))
    });
    UnsavedWork::track(typed);
    // "Added Dee as drummer." is about the last member: it goes once the
    // next one is typed.
    said_until_typing(move || typed.get(), added);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        added.set(None);
        let new = NewUser {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
            instrument: instrument.get_untracked().trim().to_string(),
        };
        let mut problems =
            validate_new_user(&new.username, &new.display_name, &new.role, &new.password);
        problems.extend(validate_instrument(&new.instrument));
        if !problems.is_empty() {
            error.set(Some(refuse(&problems)));
            return;
        }
        // What an earlier try was refused for is mended now.
        refused.clear();
        sending.run(async move {
            let answer =
                client::call::<User, _>(session, Method::Post, "/api/users", Some(&new)).await;
            match answer {
                Ok(user) => {
                    added.set(Some(format!(
                        "Added {} as {}.",
                        user.display_name,
                        user.role.as_str()
                    )));
                    username.set(String::new());
                    display_name.set(String::new());
                    instrument.set(String::new());
                    password.set(String::new());
                    on_added();
                }
                Err(failure) if !failure.fields.is_empty() => {
                    error.set(Some(refuse(&failure.fields)));
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let marked = move |field: &str| refused.mark(new_member_field_id(field));

    view! {
        <section class="card">
            <h2>"Add a member"</h2>
            // novalidate: the app's own checks run and are announced (role=alert).
            <form method="post" novalidate on:submit=submit>
                <div class="row">
                    <div>
                        <label for="member-username">"Username"</label>
                        <input id="member-username" aria-describedby=ADD_ERROR aria-invalid=marked("username") required maxlength="64" autocomplete="off" bind:value=username/>
                    </div>
                    <div>
                        <label for="member-display-name">"Display name"</label>
                        <input id="member-display-name" aria-describedby=ADD_ERROR aria-invalid=marked("display_name") required maxlength="120" bind:value=display_name/>
                    </div>
                </div>
                <div class="row">
                    <div>
                        <label for="member-role">"Role"</label>
                        <select id="member-role" aria-describedby=ADD_ERROR aria-invalid=marked("role") bind:value=role>
                            <option value="drummer">"Drummer"</option>
                            <option value="manager">"Manager"</option>
                        </select>
                    </div>
                    <div>
                        <label for="member-instrument">"Instrument (optional)"</label>
                        <input id="member-instrument" aria-describedby=ADD_ERROR aria-invalid=marked("instrument") list="instruments" maxlength="40" bind:value=instrument/>
                    </div>
                    <div>
                        <label for="member-password">"Initial password (10+ characters)"</label>
                        <input id="member-password" aria-describedby=ADD_ERROR aria-invalid=marked("password") type="password" required minlength="10" autocomplete="new-password" bind:value=password/>
                    </div>
                </div>
                <p class="muted">"The role is what they may do here: a manager plans the shows; a drummer-role member sets tempos and their own notes, whatever they play."</p>
                <div id=ADD_ERROR><ErrorNotice message=error/></div>
                <p role="status">{move || added.get()}</p>
                <p><button type="submit" aria-disabled=move || sending.busy().then_some("true")>"Add member"</button></p>
            </form>
        </section>
    }
}

/// The new-member form's fields in its order, as the checks name them.
const NEW_MEMBER_FIELDS: [&str; 5] = ["username", "display_name", "role", "instrument", "password"];

/// The ids of the refused fields, in the form's order, and what to say:
/// each problem in that order, then any the form has no field for (a newer
/// server's), which are still said.
fn new_member_refusal(problems: &FieldErrors) -> (Vec<String>, String) {
    let line = |field: &str, problem: &str| format!("• {} {problem}", field_label(field));
    let in_order = NEW_MEMBER_FIELDS.iter().filter_map(|field| {
        let problem = problems.get(*field)?;
        Some((new_member_field_id(field), line(field, problem)))
    });
    let (ids, mut lines): (Vec<String>, Vec<String>) = in_order.unzip();
    lines.extend(
        problems
            .iter()
            .filter(|(field, _)| !NEW_MEMBER_FIELDS.contains(&field.as_str()))
            .map(|(field, problem)| line(field, problem)),
    );
    (ids, format!("Please check:\n{}", lines.join("\n")))
}

/// `display_name` → `member-display-name`, the field's element id.
fn new_member_field_id(field: &str) -> String {
    format!("member-{}", field.replace('_', "-"))
}

/// Suggestions for the instrument fields; any other text is fine too.
#[component]
fn InstrumentChoices() -> impl IntoView {
    const COMMON: [&str; 8] = [
        "vocals",
        "guitar",
        "bass",
        "keys",
        "drums",
        "percussion",
        "saxophone",
        "trumpet",
    ];
    view! {
        <datalist id="instruments">
            {COMMON.map(|name| view! { <option value=name></option> }).collect_view()}
        </datalist>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_fields_in_the_forms_order_and_keeps_the_ones_it_has_no_field_for() {
        let problems = FieldErrors::from([
            (
                "password".to_string(),
                "must be 10 to 128 characters".to_string(),
            ),
            ("team".to_string(), "is full".to_string()),
            ("username".to_string(), "is taken".to_string()),
        ]);
        let (ids, said) = new_member_refusal(&problems);
        assert_eq!(ids, ["member-username", "member-password"]);
        assert_eq!(
            said,
            "Please check:\n• username is taken\n• password must be 10 to 128 characters\n• team is full"
        );
    }

    fn plays(instrument: &str) -> User {
        User {
            id: "m1".into(),
            username: "kit".into(),
            display_name: "Kit".into(),
            role: Role::Drummer,
            disabled: false,
            instrument: instrument.into(),
        }
    }

    #[test]
    fn only_someone_elses_change_to_an_instrument_being_typed_is_said() {
        Owner::new().with(|| {
            let unsaved = UnsavedInstruments::default();
            unsaved.typed("m1", "organ", "");
            assert_eq!(unsaved.shown(&plays("")), ("organ".into(), None));
            // Another manager's "bass" meanwhile.
            let (shown, said) = unsaved.shown(&plays("bass"));
            assert_eq!(shown, "organ");
            assert!(said.unwrap().starts_with("Changed to “bass” meanwhile"));

            // This manager's own save, with more typed while it was on its way.
            let unsaved = UnsavedInstruments::default();
            unsaved.typed("m1", "organ", "");
            unsaved.typed("m1", "organ2", "");
            unsaved.saved("m1", "organ");
            assert_eq!(unsaved.shown(&plays("organ")), ("organ2".into(), None));
            // Saved as typed: nothing is left unsaved.
            unsaved.saved("m1", "organ2");
            assert_eq!(unsaved.shown(&plays("organ2")), ("organ2".into(), None));
            unsaved.typed("m1", "bass", "organ2");
            unsaved.typed("m1", "organ2", "organ2");
            assert_eq!(unsaved.shown(&plays("keys")), ("keys".into(), None));
        });
    }
}
