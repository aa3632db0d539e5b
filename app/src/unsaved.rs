//! Unsaved work on screen: leaving it asks first, however one leaves.
//!
//! A page with unsaved edits says so (`UnsavedWork::track`). Until it is
//! saved or gone, every way out asks before the edits are lost:
//!
//! - Reload, closing the tab, a typed address: the browser's own question
//!   (`beforeunload`).
//! - An in-app link: asked before the router sees the click.
//! - Back and Forward: the history has already moved when the browser tells
//!   the app, so a "stay" puts the page's address back, unseen by the router.
//! - Log out, or revoking this device's own session (`may_sign_out`), which
//!   also asks about work kept by another tab: signing out forgets it.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use leptos::prelude::*;

use crate::session::Session;

/// Unsaved work on the page on screen.
#[derive(Clone, Copy)]
pub struct UnsavedWork(RwSignal<Parts>);

/// How many parts of the page (a form, the CSV box) hold unsaved work, and
/// the page's address. Counted, because one page may have several: a part
/// that saves must not clear another's.
#[derive(Default)]
struct Parts {
    unsaved: usize,
    address: String,
}

const QUESTION: &str = "You have unsaved changes. Leave without saving them?";
const KEPT_ELSEWHERE: &str = "Changes you have not saved are kept on this device (in another tab, or from an earlier visit). Log out and discard them?";

impl UnsavedWork {
    /// Made once, by the app, before the router: its Back handler must run
    /// before the router's.
    pub fn provide() -> UnsavedWork {
        let work = UnsavedWork(RwSignal::new(Parts::default()));
        #[cfg(feature = "hydrate")]
        work.guard_the_exits();
        provide_context(work);
        work
    }

    /// Follows one part's own "unsaved" flag until the part is gone.
    pub fn track(unsaved: Memo<bool>) {
        let Some(UnsavedWork(work)) = use_context::<UnsavedWork>() else {
            return;
        };
        // Whether this part is counted now, so it is counted once at most.
        let counted = Arc::new(AtomicBool::new(false));
        let count = move |now: bool| {
            if counted.swap(now, Ordering::Relaxed) != now {
                work.update(|parts| match now {
                    true => {
                        parts.unsaved += 1;
                        parts.address = current_address();
                    }
                    false => parts.unsaved -= 1,
                });
            }
        };
        let uncount = count.clone();
        Effect::new(move |_| count(unsaved.get()));
        on_cleanup(move || uncount(false));
    }

    /// `track` for a part that its page replaces with another while the rest
    /// of the page stays (the song library's form, opened on another song):
    /// `typed` mirrors the part's flag, for `may_replace`.
    pub fn track_replaceable(unsaved: Memo<bool>, typed: RwSignal<bool>) {
        Self::track(unsaved);
        Effect::new(move |_| typed.set(unsaved.get()));
        on_cleanup(move || {
            typed.try_set(false);
        });
    }

    /// Whether a part followed by `track_replaceable` may be replaced: asked
    /// about that part alone, since nothing else on the page is lost.
    pub fn may_replace(typed: RwSignal<bool>) -> bool {
        !typed.get_untracked() || confirm(QUESTION)
    }

    fn any(self) -> bool {
        self.0.with_untracked(|parts| parts.unsaved > 0)
    }

    /// True when nothing is unsaved, or the person chose to leave anyway.
    pub fn may_leave(self) -> bool {
        !self.any() || confirm(QUESTION)
    }

    /// Whether this device may be signed out: "Log out", or revoking its
    /// own session on the sessions page. Both forget all the member's work
    /// kept on this device (`kept::forget_all_of`), so they ask first when
    /// there is any: on this page, or kept by another tab, whose editor
    /// would otherwise lose it without a word.
    pub fn may_sign_out(self, session: Session) -> bool {
        if self.any() {
            return confirm(QUESTION);
        }
        let member = untrack(|| session.user())
            .map(|me| me.id)
            .unwrap_or_default();
        !crate::kept::any_of(&member) || confirm(KEPT_ELSEWHERE)
    }

    #[cfg(feature = "hydrate")]
    fn guard_the_exits(self) {
        use wasm_bindgen::{JsCast, prelude::Closure};
        let unsaved = move || self.any();

        // No text of ours: browsers show their own words for this one.
        let _ = window_event_listener(leptos::ev::beforeunload, move |event| {
            if unsaved() {
                event.prevent_default();
                event.set_return_value("");
            }
        });

        let _ = window_event_listener(leptos::ev::popstate, move |event| {
            if unsaved() && !confirm(QUESTION) {
                // The router never hears of it, and the address is the page's again.
                event.stop_immediate_propagation();
                let history = window().history().expect("the window has a history");
                self.0.with_untracked(|parts| {
                    let _ = history.push_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some(&parts.address),
                    );
                });
            }
        });

        // Capture, so that this runs before the router's own click handler,
        // which leaves a click whose default was prevented alone.
        let on_click =
            Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |event: web_sys::MouseEvent| {
                let on_link = event
                    .target()
                    .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                    .and_then(|element| element.closest("a[href]").ok().flatten())
                    .is_some();
                if on_link && !event.default_prevented() && unsaved() && !confirm(QUESTION) {
                    event.prevent_default();
                    event.stop_immediate_propagation();
                }
            });
        let _ = window().add_event_listener_with_callback_and_bool(
            "click",
            on_click.as_ref().unchecked_ref(),
            true,
        );
        // The app lives as long as the page: so does its listener.
        on_click.forget();
    }
}

/// The page's address as the history knows it: path, query and fragment.
fn current_address() -> String {
    #[cfg(feature = "hydrate")]
    {
        let location = window().location();
        let part = |part: Result<String, _>| part.unwrap_or_default();
        format!(
            "{}{}{}",
            part(location.pathname()),
            part(location.search()),
            part(location.hash())
        )
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

pub(crate) fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(question).unwrap_or(true)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        true
    }
}
