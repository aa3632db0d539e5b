//! "Dee is viewing · Max is editing": who else has this setlist open, told
//! by each page (`POST /api/presence`) and heard on the live stream.

use leptos::prelude::*;

use super::random_name;
use crate::{
    api::{
        Activity, PRESENCE_HEARTBEAT_MS, Presence, PresenceInput,
        client::{self, Method},
    },
    live::{LiveMessage, use_live},
    session::{Session, use_session},
};

#[component]
pub fn PresenceLine(setlist_id: String, #[prop(into)] activity: Signal<Activity>) -> impl IntoView {
    let session = use_session();
    let others = RwSignal::new(Vec::<Presence>::new());
    let me = session.user().map(|user| user.id).unwrap_or_default();
    let own = me.clone();
    let heard = move |presence: &Presence| {
        others.update(|list| {
            list.retain(|other| other.user_id != presence.user_id);
            if presence.activity != Activity::Left && presence.user_id != own {
                list.push(presence.clone());
            }
        })
    };
    let on_this_page = setlist_id.clone();
    use_live().subscribe(move |message| {
        if let LiveMessage::Presence(presence) = message
            && presence.setlist_id == on_this_page
        {
            heard(presence);
        }
    });
    // Who this page is to the server; a page back from the browser's page
    // cache is a new one (its goodbye was said).
    let page = StoredValue::new(random_name());
    let said = move |activity: Activity| PresenceInput {
        setlist_id: setlist_id.clone(),
        activity,
        page: page.get_value(),
    };
    let input_for = said.clone();
    let tell = move |activity: Activity| {
        let input = input_for(activity);
        let me = me.clone();
        leptos::task::spawn_local(async move {
            let answer = tell_presence(session, &input).await;
            if let Some(present) = answer.filter(|_| activity != Activity::Left) {
                others.try_set(present.into_iter().filter(|p| p.user_id != me).collect());
            }
        });
    };
    let tell_now = tell.clone();
    Effect::new(move |_| tell_now(activity.get()));
    let heartbeat = tell.clone();
    Effect::new(move |_| {
        let heartbeat = heartbeat.clone();
        let handle = set_interval_with_handle(
            move || heartbeat(activity.get_untracked()),
            std::time::Duration::from_millis(PRESENCE_HEARTBEAT_MS),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    // A tab closed or reloaded says goodbye too: the others would otherwise
    // see this member "viewing" for another minute. Back from the browser's
    // page cache, it says hello again.
    #[cfg(feature = "hydrate")]
    {
        let leaving = window_event_listener(leptos::ev::pagehide, move |_| {
            if let Some(token) = session.fresh_token() {
                let goodbye = said(Activity::Left);
                crate::api::transport::post_while_leaving("/api/presence", &token, &goodbye);
            }
        });
        let hello = tell.clone();
        let back = window_event_listener(leptos::ev::pageshow, move |event| {
            if event.persisted() {
                page.set_value(random_name());
                hello(activity.get_untracked())
            }
        });
        on_cleanup(move || {
            leaving.remove();
            back.remove();
        });
    }
    // Goodbye from the browser only (the server renders no page that stays).
    #[cfg(feature = "hydrate")]
    on_cleanup(move || {
        // Signed out already (the page goes with the session): nothing to tell.
        if session.status_untracked() == crate::session::Status::SignedIn {
            tell(Activity::Left)
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (tell, said);

    view! {
        <p class="muted presence" data-testid="presence">
            {move || others.with(|list| describe(list))}
        </p>
    }
}

async fn tell_presence(session: Session, input: &PresenceInput) -> Option<Vec<Presence>> {
    client::call::<Vec<Presence>, _>(session, Method::Post, "/api/presence", Some(input))
        .await
        .ok()
}

/// "Dee is viewing · Max is editing"; empty when nobody else is here.
fn describe(present: &[Presence]) -> String {
    present
        .iter()
        .map(|p| match p.activity {
            Activity::Editing => format!("{} is editing", p.name),
            _ => format!("{} is viewing", p.name),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
