//! `POST /login`: the login form before (or without) the app's wasm. It sets
//! the same cookies as the JSON login, never puts a token in the page, and
//! answers with redirects; a foreign page cannot post it (login CSRF).

use crate::common::*;
use reqwest::{Method, Response, StatusCode, header};
use server::startup::DEMO_PASSWORD;

async fn post_form(app: &TestApp, origin: &str, body: &str) -> Response {
    app.request(Method::POST, "/login")
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn location(response: &Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_form_signs_in_with_a_cookie_and_goes_where_the_member_wanted() {
    let app = spawn_app().await;
    let body = format!("username=drummer&password={DEMO_PASSWORD}&next=%2Fsetlists%2Fabc");

    let response = post_form(&app, &app.address, &body).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/setlists/abc");
    let cookie = new_refresh_cookie(&response).expect("a refresh cookie");
    let set_cookies: Vec<_> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .collect();
    assert!(set_cookies.iter().any(|c| c.contains("HttpOnly")));
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    // No token in the answer: the app gets one by a silent refresh.
    assert!(response.text().await.unwrap().is_empty());
    let refreshed = app.refresh_response(&cookie).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_failed_attempt_goes_back_to_the_login_page_saying_why_and_nothing_else() {
    let app = spawn_app().await;

    let wrong = post_form(
        &app,
        &app.address,
        "username=drummer&password=wrong-password",
    )
    .await;

    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert!(new_refresh_cookie(&wrong).is_none());
    let back = location(&wrong);
    assert_eq!(back, "/login?error=invalid_credentials");
    let page = app.page(&back).await;
    assert!(page.contains("Wrong username or password."), "{page}");

    // Where the member wanted to go survives the retry; a foreign one never counts.
    let wanted = post_form(&app, &app.address, "username=x&password=y&next=%2Faudit").await;
    assert_eq!(
        location(&wanted),
        "/login?error=invalid_credentials&next=/audit"
    );
    let body = format!("username=drummer&password={DEMO_PASSWORD}&next=%2F%2Fevil.example");
    let foreign = post_form(&app, &app.address, &body).await;
    assert_eq!(location(&foreign), "/setlists");
}

/// The `Set-Cookie` of the typed-username cookie, if the answer has one.
fn typed_username_cookie(response: &Response) -> Option<String> {
    let cookies = response.headers().get_all(header::SET_COOKIE).iter();
    let mut cookies = cookies.filter_map(|value| value.to_str().ok());
    cookies
        .find(|cookie| cookie.starts_with("backstage_login_name="))
        .map(str::to_string)
}

async fn page_with_cookie(app: &TestApp, path: &str, cookie: &str) -> Response {
    let request = app
        .request(Method::GET, path)
        .header(header::COOKIE, cookie);
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_page_after_a_refused_attempt_has_the_username_filled_in() {
    let app = spawn_app().await;

    // Typed on a phone: the keyboard's space after the word is no part of it.
    let wrong = post_form(&app, &app.address, "username=drummer+&password=wrong-pass").await;

    // Kept a minute, for the login page only, out of script's reach.
    let cookie = typed_username_cookie(&wrong).expect("the username kept");
    for attribute in [
        "backstage_login_name=drummer;",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/login",
        "Max-Age=60",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let page = page_with_cookie(&app, &location(&wrong), "backstage_login_name=drummer").await;
    // Someone's username in a page: no cache may keep it.
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"value="drummer""#), "{page}");
    assert!(
        page.contains("autofocus"),
        "the password is what is left to type"
    );
    assert!(!app.page("/login").await.contains(r#"value="drummer""#));

    // Nothing that could not be a username is kept, or put in a page.
    let hostile = post_form(&app, &app.address, "username=%22%3E%3Cscript%3E&password=x").await;
    assert!(typed_username_cookie(&hostile).is_none());
    let planted = page_with_cookie(&app, "/login", "backstage_login_name=\"><script>").await;
    let planted = planted.text().await.unwrap();
    assert!(
        !planted.contains(r#""><script>"#) && !planted.contains("&lt;script"),
        "{planted}"
    );

    // Signed in: the kept username goes.
    let body = format!("username=drummer&password={DEMO_PASSWORD}");
    let signed_in = post_form(&app, &app.address, &body).await;
    let cleared = typed_username_cookie(&signed_in).expect("the kept username cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn a_next_that_a_browser_would_read_as_another_host_goes_to_the_setlists() {
    let app = spawn_app().await;
    // Browsers drop tabs and newlines and read `\` as `/`: each of these is
    // `//evil.example` to them. A control character is not even a valid
    // `Location` (it was a 500 that had already signed the member in).
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2F%5Cevil.example",
        "%2Fa%0Db",
        "%2Fa%00b",
    ] {
        let body = format!("username=drummer&password={DEMO_PASSWORD}&next={next}");
        let response = post_form(&app, &app.address, &body).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&response), "/setlists", "{next}");
    }
}

#[tokio::test]
async fn a_foreign_page_cannot_log_a_browser_in() {
    let app = spawn_app().await;
    let body = format!("username=drummer&password={DEMO_PASSWORD}");

    let response = post_form(&app, "https://evil.example", &body).await;

    assert!(new_refresh_cookie(&response).is_none());
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    // A browser posting from our page sends `Origin: null` (no-referrer) and
    // says `same-origin`; anything else it says is refused.
    // Another site's `Origin` is refused even beside `same-origin`.
    for (origin, site, status) in [
        ("null", "same-origin", StatusCode::SEE_OTHER),
        ("null", "same-site", StatusCode::FORBIDDEN),
        ("null", "cross-site", StatusCode::FORBIDDEN),
        ("https://evil.example", "same-origin", StatusCode::FORBIDDEN),
    ] {
        let response = app
            .request(Method::POST, "/login")
            .header(header::ORIGIN, origin)
            .header("sec-fetch-site", site)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{origin}, {site}");
    }
    // A header sent twice is judged by neither value, whichever comes first.
    let doubled: [(&[&str], &[&str]); 5] = [
        (&["null", "https://evil.example"], &["same-origin"]),
        (&["https://evil.example", "null"], &["same-origin"]),
        (&["null", "null"], &["same-origin"]),
        (&["null"], &["same-origin", "cross-site"]),
        (&["null"], &["cross-site", "same-origin"]),
    ];
    for (origins, sites) in doubled {
        let mut request = app.request(Method::POST, "/login");
        for origin in origins {
            request = request.header(header::ORIGIN, *origin);
        }
        for site in sites {
            request = request.header("sec-fetch-site", *site);
        }
        let response = request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{origins:?}, {sites:?}"
        );
    }
}

#[tokio::test]
async fn a_body_no_login_form_would_send_is_refused_unread() {
    let app = spawn_app().await;
    let padding = "x".repeat(64 * 1024);
    let body = format!("username=drummer&password={DEMO_PASSWORD}&next=/{padding}");
    let response = post_form(&app, &app.address, &body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
}
