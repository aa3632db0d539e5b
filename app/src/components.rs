//! Small pieces the pages share.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use crate::{
    api::{ErrorCode, Role, client::ApiFailure, validation::percent_encode},
    session::{Status, use_session},
    unsaved::UnsavedWork,
};

/// The login page's address that comes back to the page on screen (its
/// `pathname` and `search`, from `use_location`) once signed in; from the
/// home page or the login page, the login page itself (which goes on to the
/// setlists). (Tracked.)
pub fn login_here(pathname: Memo<String>, search: Memo<String>) -> String {
    pathname.with(|path| match path.as_str() {
        "/" | "/login" => "/login".to_string(),
        _ => search
            .with(|search| format!("/login?next={}", percent_encode(&format!("{path}{search}")))),
    })
}

/// Shows `children` to a signed-in member; sends anyone else to the login
/// page, remembering where they wanted to go.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        // Already on the login page (after "Log out"): nothing to come back to.
        if session.status() == Status::SignedOut && location.pathname.get_untracked() != "/login" {
            navigate(
                &untrack(|| login_here(location.pathname, location.search)),
                Default::default(),
            );
        }
    });
    // A memo notifies only on change, so the page is not rebuilt on every refresh.
    let signed_in = Memo::new(move |_| session.status() == Status::SignedIn);
    // The server always renders the "checking" line (it never has the token).
    // Hydration must find that line even when the silent refresh finished
    // (or failed for want of a signal) first, as it does while a lazily
    // loaded page's chunk arrives: any other line there stops the app.
    let hydrated = crate::use_hydrated();
    move || {
        if signed_in.get() && hydrated.get() {
            children().into_any()
        } else if session.unreachable() && hydrated.get() {
            // A setlist's address (left stage mode offline after a reload):
            // the way back to its kept copy, not a dead end.
            let setlist = location
                .pathname
                .with(|path| setlist_in(path).map(str::to_string));
            view! {
                <p class="muted" role="status">"Cannot reach Backstage right now. Trying again…"</p>
                {setlist.map(|id| view! { <KeptCopyLinks id/> })}
            }
            .into_any()
        } else {
            view! { <p class="muted" role="status">"Checking your backstage pass…"</p> }.into_any()
        }
    }
}

/// The setlist a path like `/setlists/{id}/…` names, if any.
fn setlist_in(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/setlists/")?.split('/').next()?;
    (!id.is_empty() && id != "new").then_some(id)
}

/// With no signal, stage mode and the print sheet still open a show kept
/// on this device (any show opened in either): the way back to the stage
/// for a drummer who left it offline. Not looked up here: the Cache API's
/// code would weigh on every first load, and those pages say if nothing is kept.
#[component]
pub fn KeptCopyLinks(id: String) -> impl IntoView {
    view! {
        <p class="notice">"A show opened on stage on this device is kept there: "
            <a href=format!("/setlists/{id}/stage")>"Stage mode"</a>" · "
            <a href=format!("/setlists/{id}/print")>"Print sheet"</a>
        </p>
    }
}

/// Gives the focus to the element `id` once the page has changed, if it fell
/// to the page meanwhile: a button that takes itself away (Remove, Cancel,
/// a row that moves) would send a keyboard or screen-reader user back to the
/// top of the page.
pub fn refocus(id: String) {
    refocus_first(vec![id]);
}

/// `refocus` to the first of `ids` the page has then.
pub fn refocus_first(ids: Vec<String>) {
    refocus_and(ids, |_| ());
}

/// `refocus`, with the field's text selected: typing replaces a name the
/// app filled in ("Set 2") instead of adding to it.
pub fn refocus_selected(id: String) {
    refocus_and(vec![id], |element| {
        use leptos::wasm_bindgen::JsCast;
        if let Some(input) = element.dyn_ref::<leptos::web_sys::HtmlInputElement>() {
            input.select();
        }
    });
}

/// `refocus_first`, then `then` with the element that got the focus.
fn refocus_and(ids: Vec<String>, then: impl FnOnce(&leptos::web_sys::HtmlElement) + 'static) {
    // After the DOM update the change caused.
    set_timeout(
        move || {
            let focus_lost = document()
                .active_element()
                .is_none_or(|element| element.tag_name() == "BODY");
            let first_there = || ids.iter().find_map(|id| html_element(id));
            if let Some(element) = focus_lost.then(first_there).flatten() {
                let _ = element.focus();
                then(&element);
            }
        },
        std::time::Duration::ZERO,
    );
}

/// The ids of the fields the last save was refused for, shared with the
/// forms inside a page (context) so that each field marks itself
/// `aria-invalid` until the next save.
#[derive(Clone, Copy, Default)]
pub struct RefusedFields(RwSignal<Vec<String>>);

impl RefusedFields {
    /// Marks the fields `ids` (in the page's order) and gives the first one
    /// the focus: on a phone the list of problems pushes Save out of sight,
    /// so the first field to mend takes the focus (and the view).
    pub fn refuse(self, ids: Vec<String>) {
        if let Some(first) = ids.first() {
            focus_soon(first.clone());
        }
        self.0.set(ids);
    }

    pub fn clear(self) {
        self.0.set(Vec::new());
    }

    /// `aria-invalid` for the field `id`.
    pub fn mark(self, id: String) -> impl Fn() -> Option<&'static str> + Clone + Send + Sync {
        move || self.is_refused(&id).then_some("true")
    }

    pub fn is_refused(self, id: &str) -> bool {
        self.0.with(|ids| ids.iter().any(|refused| refused == id))
    }
}

/// Gives the focus to the element `id` once the page has drawn it: the
/// first field of something just added. The drawing is a task on leptos's
/// executor, so this waits for the executor's next turn (`tick`), which
/// comes after it and before the browser's next event, whether it is called
/// before or after the change. A timer would come later than keys typed
/// straight after a click (input events go first): they would land on the
/// button clicked.
pub fn focus_soon(id: String) {
    leptos::task::spawn_local(async move {
        leptos::task::tick().await;
        focus(&id);
    });
}

/// `focus_soon`, with the notice `reason` (what the field is asked for)
/// kept in view: a phone scrolls a focused field to the middle of its
/// screen, which can take a notice above it off the top.
pub fn focus_soon_below(id: &'static str, reason: &'static str) {
    leptos::task::spawn_local(async move {
        leptos::task::tick().await;
        focus(id);
        if let Some(notice) = html_element(reason) {
            let nearest = leptos::web_sys::ScrollIntoViewOptions::new();
            nearest.set_block(leptos::web_sys::ScrollLogicalPosition::Nearest);
            notice.scroll_into_view_with_scroll_into_view_options(&nearest);
        }
    });
}

/// Gives the focus to the element `id`, if the page has one.
pub fn focus(id: &str) {
    if let Some(element) = html_element(id) {
        let _ = element.focus();
    }
}

fn html_element(id: &str) -> Option<leptos::web_sys::HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    document().get_element_by_id(id)?.dyn_into().ok()
}

/// After a move to another page, the keyboard (and a screen reader) would
/// start again from the top of the document, the control that was used gone:
/// once the new page is drawn, the focus goes to its `<main>`, unless the
/// page has given it somewhere itself.
#[component]
pub fn FocusAfterNavigation() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        Effect::new(move |shown: Option<String>| {
            let path = location.pathname.get();
            if shown.is_some_and(|shown| shown != path) {
                focus_main_once_drawn(document().active_element(), 40);
            }
            path
        });
    }
}

/// Waits (up to `tries` × 50 ms) while the control used to leave is still
/// focused: a page that is loading still shows the old one. A link in the
/// top bar stays on every page, so waiting for it to go would leave the
/// keyboard there: `<main>` takes the focus at once, the new page drawn
/// into it.
#[cfg(feature = "hydrate")]
fn focus_main_once_drawn(used: Option<leptos::web_sys::Element>, tries: u32) {
    set_timeout(
        move || {
            let now = document().active_element();
            let lost = now
                .as_ref()
                .is_none_or(|element| element.tag_name() == "BODY");
            let in_top_bar = now == used
                && now.as_ref().is_some_and(|element| {
                    element.closest(".topbar").is_ok_and(|bar| bar.is_some())
                });
            if lost || in_top_bar {
                if let Some(main) = html_element("content") {
                    let _ = main.focus();
                }
            } else if now == used && tries > 0 {
                focus_main_once_drawn(used, tries - 1);
            }
        },
        std::time::Duration::from_millis(50),
    );
}

/// The id of the element that has the focus, if it has one (in the browser).
pub fn focused_id() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let id = document().active_element()?.id();
        (!id.is_empty()).then_some(id)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Called where a list is drawn anew or its rows move (a re-read after a
/// change, someone else's reorder): the control that has the focus now gets
/// it back afterwards, found by its id, with the caret where it was in a
/// text field — instead of the keyboard falling to the top of the page
/// mid-word.
pub fn keep_focus() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(element) = document().active_element() else {
            return;
        };
        let id = element.id();
        if id.is_empty() {
            return;
        }
        let caret = ["selectionStart", "selectionEnd"]
            .map(|end| js_sys::Reflect::get(&element, &end.into()).ok()?.as_f64());
        refocus_and(vec![id], move |element| {
            let [Some(start), Some(end)] = caret else {
                return;
            };
            let select = js_sys::Reflect::get(element, &"setSelectionRange".into());
            if let Ok(select) = select.and_then(|f| f.dyn_into::<js_sys::Function>()) {
                let _ = select.call2(element, &start.into(), &end.into());
            }
        });
    }
}

/// A row's control that had the focus when a live change re-read a list,
/// for the rows drawn again: by position (the overview) or all anew (the
/// library), the element under the keyboard shows another row or is gone.
#[derive(Clone, Copy)]
pub struct RowFocus(StoredValue<Option<(String, leptos::web_sys::Element)>, LocalStorage>);

impl Default for RowFocus {
    fn default() -> RowFocus {
        RowFocus(StoredValue::new_local(None))
    }
}

impl RowFocus {
    /// Remembers the focused control, if its id starts with `prefix` (a row's).
    pub fn remember(self, prefix: &str) {
        let focused = document().active_element().and_then(|element| {
            let id = element.id();
            id.starts_with(prefix).then_some((id, element))
        });
        self.0.set_value(focused);
    }

    /// Called as the rows are drawn: once they are, the control remembered
    /// gets the focus back if the element that had it shows another row
    /// now, or is gone and the focus fell to the page; `fallback` gets it
    /// when that row is gone too (deleted, or out of a search). A person
    /// who has moved on to another control keeps their place.
    pub fn give_back(self, fallback: Option<&'static str>) {
        let Some((id, element)) = self.0.get_value() else {
            return;
        };
        set_timeout(
            move || {
                let moved = match document().active_element() {
                    Some(active) if active == element => active.id() != id,
                    Some(active) => active.tag_name() == "BODY" && !element.is_connected(),
                    None => true,
                };
                if moved {
                    let target = html_element(&id).or_else(|| fallback.and_then(html_element));
                    if let Some(target) = target {
                        let _ = target.focus();
                    }
                }
            },
            std::time::Duration::ZERO,
        );
    }
}

/// A form's request on its way: a second submit meanwhile is ignored (a
/// double click added the member twice, or imported the songs twice).
#[derive(Clone, Copy, Default)]
pub struct InFlight(RwSignal<bool>);

impl InFlight {
    /// Runs `request` (the call and what is done with its answer) unless one
    /// is under way already, in which case this press is ignored.
    pub fn run(self, request: impl Future<Output = ()> + 'static) {
        if self.0.get_untracked() {
            return;
        }
        self.0.set(true);
        leptos::task::spawn_local(async move {
            request.await;
            // The form may be gone by the time the answer is in.
            self.0.try_set(false);
        });
    }

    /// Whether one is under way (tracked: for a button's `disabled`).
    pub fn busy(self) -> bool {
        self.0.get()
    }
}

/// The top bar: the band's way around, and who is signed in.
#[component]
pub fn TopBar() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // The link to the page on screen says so (to screen readers, and in the
    // accent colour); a section's link, for a page under it.
    let current = move |to: &'static str| {
        move || {
            location.pathname.with(|path| match path.strip_prefix(to) {
                Some("") => Some("page"),
                Some(rest) if rest.starts_with('/') => Some("true"),
                _ => None,
            })
        }
    };
    let navigate = use_navigate();
    let unsaved = use_context::<UnsavedWork>();
    let logout = move |_| {
        if unsaved.is_some_and(|work| !work.may_sign_out(session)) {
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let _ = session.logout().await;
            navigate("/login", Default::default());
        });
    };
    view! {
        <header class="topbar">
            // Past the top bar's links in one press, for the keyboard. The
            // router would take the fragment for a page: focus it directly.
            <a class="skip-link" href="#content" on:click=|ev| {
                ev.prevent_default();
                focus_soon("content".into());
            }>"Skip to content"</a>
            // An inline mark, not an emoji: without an emoji font that is an empty box.
            <a class="brand" href="/">
                <svg class="mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <ellipse cx="12" cy="9" rx="9" ry="3.5" fill="none" stroke="currentColor" stroke-width="2"/>
                    <path d="M3 9v6.5c0 1.9 4 3.5 9 3.5s9-1.6 9-3.5V9" fill="none" stroke="currentColor" stroke-width="2"/>
                    <path d="M6 2l5 5.5M18 2l-5 5.5" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
                </svg>
                "Backstage"
            </a>
            <nav aria-label="Main">
                <Show
                    when=move || session.status() == Status::SignedIn
                    fallback=move || view! {
                        <Show when=move || session.offers_login()>
                            // Back to this page once signed in.
                            <a href=move || login_here(location.pathname, location.search) aria-current=current("/login")>"Log in"</a>
                        </Show>
                    }
                >
                    <a href="/setlists" aria-current=current("/setlists")>"Setlists"</a>
                    <a href="/songs" aria-current=current("/songs")>"Songs"</a>
                    <Show when=move || session.is_manager()>
                        <a href="/members" aria-current=current("/members")>"Members"</a>
                        <a href="/audit" aria-current=current("/audit")>"Audit"</a>
                    </Show>
                    <a href="/pass" aria-current=current("/pass")>"Your pass"</a>
                    <a href="/sessions" aria-current=current("/sessions")>"Sessions"</a>
                    <a href="/password" aria-current=current("/password")>"Password"</a>
                    <span class="muted" data-testid="signed-in-as">
                        {move || session.user().map(|u| match u.instrument.as_str() {
                            "" => format!("{} · {}", u.display_name, u.role.as_str()),
                            plays => format!("{} ({plays}) · {}", u.display_name, u.role.as_str()),
                        })}
                    </span>
                    <button type="button" class="secondary" on:click=logout.clone()>
                        "Log out"
                    </button>
                </Show>
            </nav>
        </header>
    }
}

/// A manager changing this member's role changes the pages under them (the
/// setlist editor becomes the drummer's view, the top bar loses Members and
/// Audit): said, and shown until the next page. Typed setlist work is kept
/// (`kept::forget_when_left`).
#[component]
pub fn RoleChangeNotice() -> impl IntoView {
    let session = use_session();
    let said = RwSignal::new(None::<String>);
    // `None` while nobody is signed in: signing in is no change of role, nor
    // is another member signing in on this browser.
    Effect::new(move |before: Option<Option<(String, Role)>>| {
        let now = session.user().map(|user| (user.id, user.role));
        if let (Some(Some((was_member, was))), Some((member, role))) = (&before, &now)
            && was_member == member
            && was != role
        {
            let kept = if crate::kept::any_of(member) {
                " Setlist edits you had not saved stay on this device, and come back in the view they were made in."
            } else {
                ""
            };
            said.set(Some(format!(
                "Your role is now {}: the app shows what a {} can do.{kept}",
                role.as_str(),
                role.as_str()
            )));
        }
        now
    });
    // Said of the page it happened on: cleared on the next one (not on the
    // first run, which a role change may already have beaten).
    let location = use_location();
    Effect::new(move |seen: Option<()>| {
        location.pathname.track();
        if seen.is_some() {
            said.set(None);
        }
    });
    // Always there, so that a screen reader hears what comes into it.
    view! {
        <div role="status">
            {move || said.get().map(|text| view! { <p class="notice">{text}</p> })}
        </div>
    }
}

/// A manager's page opened by a drummer: its heading, and why it shows nothing.
#[component]
pub fn ManagersOnly(
    /// The page's own heading, so that the page is named either way.
    heading: &'static str,
    children: Children,
) -> impl IntoView {
    let session = use_session();
    let as_drummer = move || {
        session
            .user()
            .is_some_and(|me| me.role == Role::Drummer)
            .then_some(" You are signed in as a drummer.")
    };
    view! {
        <section class="card">
            <h1>{heading}</h1>
            <p class="error" role="alert">{children()}{as_drummer}</p>
        </section>
    }
}

/// A failure, announced to screen readers as it appears. A form's fields
/// point at it (wrapped in an element with an id) with `aria-describedby`:
/// a screen reader back on such a field hears why it is invalid, not only
/// that.
#[component]
pub fn ErrorNotice(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="error multiline" role="alert">
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}

/// What a setlist's pages say when the server has no such setlist.
pub const NO_SUCH_SETLIST: &str = "There is no such setlist: it may have been deleted.";

/// A page's data that could not be loaded; `missing` says what a 404 means
/// on this page, in the band's words rather than the API's.
#[component]
pub fn LoadFailure(
    failure: ApiFailure,
    #[prop(optional)] missing: Option<&'static str>,
) -> impl IntoView {
    let text = match missing {
        Some(missing) if failure.code == ErrorCode::NotFound => missing.to_string(),
        _ => failure.describe(),
    };
    view! { <p class="error multiline" role="alert">{text}</p> }
}

/// The list a page last read. A re-read that fails (a live change's, on a
/// weak signal) shows it, marked as behind, instead of blanking the page for
/// an error; `read_until_answered` tries the read again on its own when it
/// failed for want of signal or a 503 (another failure waits for the next
/// change).
pub struct LastRead<T: Send + Sync + 'static>(StoredValue<Option<T>>);

impl<T: Send + Sync + 'static> Clone for LastRead<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for LastRead<T> {}

impl<T: Send + Sync + 'static> Default for LastRead<T> {
    fn default() -> Self {
        LastRead(StoredValue::new(None))
    }
}

impl<T: Clone + Send + Sync + 'static> LastRead<T> {
    /// This read's answer, or the last one when it failed: the failure only
    /// when nothing was read before.
    pub fn or_last(self, read: Result<T, ApiFailure>) -> Result<T, ApiFailure> {
        match read {
            Ok(answer) => {
                self.0.set_value(Some(answer.clone()));
                Ok(answer)
            }
            Err(failure) => self.0.get_value().ok_or(failure),
        }
    }

    /// Whether the page shows the last answer because `read` failed.
    pub fn shown_for(self, read: Option<&Result<T, ApiFailure>>) -> bool {
        matches!(read, Some(Err(_))) && self.0.with_value(Option::is_some)
    }

    pub fn get(self) -> Option<T> {
        self.0.get_value()
    }
}

/// Said above a list that `LastRead` shows as it was. (Beside the list, not
/// in it: the list's own view stays one type, and the wasm smaller.)
pub fn behind_notice(behind: bool) -> impl IntoView {
    behind.then(|| {
        view! {
            <p class="notice" role="status">"Could not read the latest changes: this is the list as it was."</p>
        }
    })
}

/// `1` → `1 song`, `3` → `3 songs`.
pub fn songs_count(count: usize) -> String {
    counted(count, "song")
}

/// `(1, "new song")` → `1 new song`, `(3, "new song")` → `3 new songs`.
pub fn counted(count: usize, one: &str) -> String {
    match count {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    }
}

/// `250` → `4:10`.
pub fn minutes_seconds(total_secs: i64) -> String {
    format!("{}:{:02}", total_secs / 60, total_secs % 60)
}

/// `4:10` or `250` → `250`; nothing → `0` (untimed); anything else is `None`.
pub fn parse_minutes_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    match text.split_once(':') {
        Some((minutes, seconds)) if seconds.len() == 2 => {
            let seconds = digits(seconds).filter(|s| *s < 60)?;
            // Checked: a huge number of minutes is an error, not a wrapped
            // (and perhaps plausible) length.
            digits(minutes)?.checked_mul(60)?.checked_add(seconds)
        }
        Some(_) => None,
        None => digits(text),
    }
}

/// A number written with digits only: `-0:30` or `1:+5` (which `str::parse`
/// takes) is a typo, not a length.
pub fn digits(text: &str) -> Option<i64> {
    let all_digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    all_digits.then(|| text.parse().ok()).flatten()
}

/// A length typed into a form: `4:10`, or nothing (untimed). A bare number
/// is refused, not read as seconds: typed by a person, `4` meant four
/// minutes, and became a song of four seconds. (A CSV, often written by a
/// program, may give seconds: `parse_minutes_seconds`.)
pub fn parse_length_field(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && !text.contains(':') {
        return None;
    }
    parse_minutes_seconds(text)
}

/// A length as a form shows it: `4:10`, or nothing for an untimed song (0).
pub fn length_field(secs: i64) -> String {
    if secs == 0 {
        String::new()
    } else {
        minutes_seconds(secs)
    }
}

/// "3 songs · total 12:25 (12 min) + 2 untimed": the timed songs add up, and
/// the untimed ones (length 0) are counted, not guessed.
pub fn running_time(lengths: impl IntoIterator<Item = i64>) -> String {
    let (mut songs, mut total, mut untimed) = (0, 0, 0);
    for secs in lengths {
        songs += 1;
        total += secs;
        untimed += usize::from(secs == 0);
    }
    let mut text = format!(
        "{} · total {} ({})",
        songs_count(songs),
        minutes_seconds(total),
        show_length(total)
    );
    if untimed > 0 {
        text.push_str(&format!(" + {untimed} untimed"));
    }
    text
}

/// A set's slot as its field shows it: `2700` → `45` (minutes), `2730` → `45:30`.
pub fn slot_field(secs: i64) -> String {
    if secs % 60 == 0 {
        (secs / 60).to_string()
    } else {
        minutes_seconds(secs)
    }
}

/// Escape closes a panel or form, as its Close or Cancel button does: not
/// the Escape that cancels a composition (an IME's), nor a held key's repeats.
pub fn closes_on_escape(ev: &leptos::ev::KeyboardEvent, close: impl Fn()) {
    if ev.key() == "Escape" && !ev.is_composing() && !ev.repeat() {
        close();
    }
}

/// A line about the last save ("Saved.") speaks of what is saved: it goes
/// once something new is typed (`unsaved` turns true), not to stand beside
/// "Unsaved changes".
pub fn said_until_typing(unsaved: impl Fn() -> bool + 'static, line: RwSignal<Option<String>>) {
    Effect::new(move |was_unsaved: Option<bool>| {
        let now = unsaved();
        if now && was_unsaved == Some(false) {
            line.set(None);
        }
        now
    });
}

/// A slot as typed: whole minutes (`45`) or `45:30`; nothing is no slot.
/// Anything else is an error, saying what to type.
pub fn parse_slot(text: &str) -> Result<Option<i64>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let secs = if text.contains(':') {
        parse_minutes_seconds(text)
    } else {
        digits(text).and_then(|minutes| minutes.checked_mul(60))
    };
    secs.map(Some).ok_or("must be minutes, like 45")
}

/// A set's length against its slot: "3 min over the 45 min slot", "5 min
/// to spare in the 45 min slot", or "fills the 45 min slot". In whole
/// minutes as `show_length` rounds the set's total beside it and the slot,
/// so the line adds up: a total of 12:17 ("12 min") is 2 min over a 10 min
/// slot, not 3; 10:29 fills it.
pub fn slot_verdict(total_secs: i64, slot_secs: i64) -> String {
    let slot = show_length(slot_secs);
    let rounded = |secs: i64| (secs + 30) / 60;
    let over_minutes = rounded(total_secs) - rounded(slot_secs);
    let by = show_length(over_minutes.abs() * 60);
    match over_minutes {
        1.. => format!("{by} over the {slot} slot"),
        ..=-1 => format!("{by} to spare in the {slot} slot"),
        0 => format!("fills the {slot} slot"),
    }
}

/// `4230` → `1 h 10 min`, `600` → `10 min`.
pub fn show_length(total_secs: i64) -> String {
    let minutes = (total_secs + 30) / 60;
    match minutes / 60 {
        0 => format!("{minutes} min"),
        hours => format!("{hours} h {:02} min", minutes % 60),
    }
}

/// "2026-12-03T12:27:27Z" as "Thu 3 Dec 2026, 13:27" in the browser's time
/// zone (as stage mode's clock), with `:27` when `seconds`. The pages that
/// show these render only in the browser (behind the sign-in guard): the
/// server, with no time zone to go by, says UTC, which would not hydrate.
/// Without a browser, or for a time it cannot read, it is UTC and says so.
pub fn show_moment(rfc3339: &str, seconds: bool) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&leptos::wasm_bindgen::JsValue::from_str(rfc3339));
        if !date.get_time().is_nan() {
            let day = format!(
                "{:04}-{:02}-{:02}",
                date.get_full_year(),
                date.get_month() + 1,
                date.get_date()
            );
            return format!("{}, {}", show_date_short(&day), local_clock(&date, seconds));
        }
    }
    let time = rfc3339.get(11..if seconds { 19 } else { 16 });
    match (rfc3339.get(..10), time) {
        (Some(date), Some(time)) => format!("{}, {time} UTC", show_date_short(date)),
        _ => rfc3339.to_string(),
    }
}

/// A browser `Date`'s "18:04" (with `:09` when `seconds`), in its time zone.
#[cfg(feature = "hydrate")]
pub fn local_clock(date: &js_sys::Date, seconds: bool) -> String {
    let minutes = format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
    match seconds {
        true => format!("{minutes}:{:02}", date.get_seconds()),
        false => minutes,
    }
}

/// "2026-12-04" as "Friday 4 December 2026" (a date that is not one stays as it is).
pub fn show_date_long(date: &str) -> String {
    show_date(date, usize::MAX)
}

/// "2026-12-04" as "Fri 4 Dec 2026": the overview's and the headers' form.
pub fn show_date_short(date: &str) -> String {
    show_date(date, 3)
}

/// The date with its weekday, names cut to `letters`.
fn show_date(date: &str, letters: usize) -> String {
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return date.to_string();
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return date.to_string();
    }
    // Sakamoto's method: the weekday of a Gregorian date.
    const OFFSETS: [i64; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let weekday = (y + y / 4 - y / 100 + y / 400 + OFFSETS[month as usize - 1] + day) % 7;
    let cut = |name: &'static str| &name[..letters.min(name.len())];
    format!(
        "{} {day} {} {year}",
        cut(DAYS[weekday as usize]),
        cut(MONTHS[month as usize - 1])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setlist_is_found_in_its_pages_paths() {
        assert_eq!(setlist_in("/setlists/abc"), Some("abc"));
        assert_eq!(setlist_in("/setlists/abc/stage"), Some("abc"));
        for none in ["/setlists", "/setlists/", "/setlists/new", "/songs/abc"] {
            assert_eq!(setlist_in(none), None, "{none}");
        }
    }

    #[test]
    fn a_moment_without_a_browser_is_a_day_and_a_utc_time() {
        let moment = "2026-12-03T12:27:27Z";
        assert_eq!(show_moment(moment, false), "Thu 3 Dec 2026, 12:27 UTC");
        assert_eq!(show_moment(moment, true), "Thu 3 Dec 2026, 12:27:27 UTC");
        assert_eq!(show_moment("soon", false), "soon");
    }

    #[test]
    fn a_show_date_reads_with_its_weekday() {
        assert_eq!(show_date_long("2026-12-04"), "Friday 4 December 2026");
        assert_eq!(show_date_long("2024-02-29"), "Thursday 29 February 2024");
        assert_eq!(show_date_long("2000-01-01"), "Saturday 1 January 2000");
        assert_eq!(show_date_long("soon"), "soon");
        assert_eq!(show_date_short("2026-06-12"), "Fri 12 Jun 2026");
        assert_eq!(show_date_short("2026-13-01"), "2026-13-01");
    }

    #[test]
    fn durations_read_and_print_as_minutes_and_seconds() {
        assert_eq!(minutes_seconds(250), "4:10");
        assert_eq!(parse_minutes_seconds("4:10"), Some(250));
        assert_eq!(parse_minutes_seconds("250"), Some(250));
        assert_eq!(parse_minutes_seconds("4:7"), None);
        assert_eq!(parse_minutes_seconds("4:75"), None);
        assert_eq!(parse_minutes_seconds("4.15"), None);
        for signed in ["-0:30", "1:+5", "+4:10", "-30", "+30", ":30", "4: 5"] {
            assert_eq!(parse_minutes_seconds(signed), None, "{signed}");
        }
        assert_eq!(parse_minutes_seconds(" "), Some(0), "empty is untimed");
        assert_eq!(
            parse_length_field("4"),
            None,
            "four minutes or four seconds?"
        );
        assert_eq!(parse_length_field(" 4:10 "), Some(250));
        assert_eq!(parse_length_field(""), Some(0));
        assert_eq!(length_field(0), "");
        assert_eq!(slot_field(2700), "45");
        assert_eq!(slot_field(2730), "45:30");
        assert_eq!(parse_slot(" 45 "), Ok(Some(2700)));
        assert_eq!(parse_slot("45:30"), Ok(Some(2730)));
        assert_eq!(parse_slot(""), Ok(None));
        assert!(parse_slot("45 min").is_err());
        // 307445734561825861 × 60 wraps to 44 in 64 bits.
        assert!(parse_slot("307445734561825861").is_err());
        assert_eq!(parse_minutes_seconds("307445734561825861:00"), None);
        assert_eq!(slot_verdict(48 * 60, 45 * 60), "3 min over the 45 min slot");
        // As the total beside it rounds: 12:17 is "12 min".
        assert_eq!(
            slot_verdict(12 * 60 + 17, 10 * 60),
            "2 min over the 10 min slot"
        );
        assert_eq!(
            slot_verdict(12 * 60 + 17, 11 * 60),
            "1 min over the 11 min slot"
        );
        assert_eq!(
            slot_verdict(12 * 60 + 40, 10 * 60),
            "3 min over the 10 min slot"
        );
        assert_eq!(slot_verdict(45 * 60 + 1, 45 * 60), "fills the 45 min slot");
        assert_eq!(
            slot_verdict(4 * 60 + 30, 10 * 60),
            "5 min to spare in the 10 min slot"
        );
        assert_eq!(slot_verdict(10 * 60 + 29, 10 * 60), "fills the 10 min slot");
        assert_eq!(
            slot_verdict(10 * 60 + 30, 10 * 60),
            "1 min over the 10 min slot"
        );
        assert_eq!(
            slot_verdict(40 * 60 - 1, 45 * 60),
            "5 min to spare in the 45 min slot"
        );
        assert_eq!(
            slot_verdict(4 * 3600, 3 * 3600),
            "1 h 00 min over the 3 h 00 min slot"
        );
        assert_eq!(
            running_time([250, 0, 200, 0]),
            "4 songs · total 7:30 (8 min) + 2 untimed"
        );
        assert_eq!(running_time([250]), "1 song · total 4:10 (4 min)");
        assert_eq!(show_length(4230), "1 h 11 min");
        assert_eq!(show_length(600), "10 min");
        assert_eq!(songs_count(1), "1 song");
        assert_eq!(songs_count(0), "0 songs");
    }
}
