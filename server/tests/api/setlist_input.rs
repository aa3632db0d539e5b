//! Setlist bodies: every limit at and past its edge, bad input with its
//! status and code, and text that round-trips verbatim.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use server::startup::DEMO_PASSWORD;

use super::setlists::{create, put, setlist, song};

/// `ok` is accepted (201); `bad` is refused with 422 naming `field`.
async fn assert_edge(app: &TestApp, manager: &Session, ok: &Value, bad: &Value, field: &str) {
    let post = |body: &Value| {
        app.authed(Method::POST, "/api/setlists", &manager.access_token)
            .json(body)
            .send()
    };
    let accepted = post(ok).await.unwrap();
    assert_eq!(
        accepted.status(),
        StatusCode::CREATED,
        "{field} at its edge"
    );
    let refused = post(bad).await.unwrap();
    let error = expect_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        error["error"]["fields"][field].is_string(),
        "{field} past its edge: {error}"
    );
}

#[tokio::test]
async fn every_limit_is_checked_at_and_past_its_edge() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let setlist_cases: Vec<(&str, Value, Value)> = vec![
        ("name", json!("x".repeat(120)), json!("x".repeat(121))),
        ("name", json!("x"), json!("")),
        ("notes", json!("n".repeat(2000)), json!("n".repeat(2001))),
        ("show_date", json!("2028-02-29"), json!("2027-02-29")),
    ];
    for (field, ok, bad) in setlist_cases {
        let (mut accepted, mut refused) = (setlist("Limits"), setlist("Limits"));
        accepted[field] = ok;
        refused[field] = bad;
        assert_edge(&app, &manager, &accepted, &refused, field).await;
    }
    let song_cases: Vec<(&str, Value, Value)> = vec![
        ("title", json!("t".repeat(200)), json!("t".repeat(201))),
        ("title", json!("t"), json!("")),
        ("notes", json!("n".repeat(2000)), json!("n".repeat(2001))),
        ("duration_secs", json!(3600), json!(3601)),
        ("duration_secs", json!(0), json!(-1)),
        ("bpm", json!(400), json!(401)),
        ("bpm", json!(20), json!(19)),
    ];
    for (field, ok, bad) in song_cases {
        let (mut accepted, mut refused) = (setlist("Song limits"), setlist("Song limits"));
        accepted["songs"][0][field] = ok;
        refused["songs"][0][field] = bad;
        assert_edge(
            &app,
            &manager,
            &accepted,
            &refused,
            &format!("songs[0].{field}"),
        )
        .await;
    }
    let (mut accepted, mut refused) = (setlist("Many songs"), setlist("Many songs"));
    accepted["songs"] = json!(vec![song("S", 60); 200]);
    refused["songs"] = json!(vec![song("S", 60); 201]);
    assert_edge(&app, &manager, &accepted, &refused, "songs").await;
}

#[tokio::test]
async fn bad_input_gets_its_status_and_error_code() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    let send = |method: Method, path: &str, content_type: &str, body: Vec<u8>| {
        app.authed(method, path, token)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };

    let malformed = send(
        Method::POST,
        "/api/setlists",
        "application/json",
        b"{\"name\":".to_vec(),
    )
    .await
    .unwrap();
    expect_error(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_utf8 = send(
        Method::POST,
        "/api/setlists",
        "application/json",
        vec![b'"', 0xff, 0xfe, b'"'],
    )
    .await
    .unwrap();
    expect_error(not_utf8, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_an_object = send(
        Method::POST,
        "/api/setlists",
        "application/json",
        b"[]".to_vec(),
    )
    .await
    .unwrap();
    expect_error(not_an_object, StatusCode::BAD_REQUEST, "bad_request").await;
    // serde fills a struct from an array, by position: this was a login.
    let positional = app
        .request(Method::POST, "/api/auth/login")
        .json(&json!(["drummer", DEMO_PASSWORD]))
        .send()
        .await
        .unwrap();
    expect_error(positional, StatusCode::BAD_REQUEST, "bad_request").await;
    // An id that is not even UTF-8 names nothing, in the contract's words.
    for (method, path) in [
        (Method::GET, "/api/setlists/%FF"),
        (Method::PATCH, "/api/setlists/%FF/songs/%FE"),
        (Method::PATCH, "/api/users/%FF"),
    ] {
        let response = app.authed(method, path, token).json(&json!({})).send();
        expect_error(response.await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    }
    // Well-formed JSON that does not fit: 422, naming the field like any
    // other validation error, and nothing is stored.
    // A key given twice is well-formed JSON too (`json!` cannot write one).
    for (body, field, message) in [
        (
            json!({ "name": 5, "show_date": "2026-01-01" }).to_string(),
            "name",
            "invalid type",
        ),
        (
            json!({ "show_date": "2026-01-01" }).to_string(),
            "name",
            "is required",
        ),
        (
            json!({ "name": "N", "show_date": "2026-01-01",
                    "songs": [{ "title": "T" }, { "title": "U", "bpm": "fast" }] })
            .to_string(),
            "songs[1].bpm",
            "invalid type: string \"fast\", expected a whole number",
        ),
        (
            json!({ "name": "N", "show_date": "2026-01-01", "songs": [{ "artist": "A" }] })
                .to_string(),
            "songs[0].title",
            "is required",
        ),
        (
            json!({ "name": "N", "show_date": "2026-01-01", "songs": ["Everlong"] }).to_string(),
            "songs[0]",
            "invalid type: string \"Everlong\", expected an object",
        ),
        (
            r#"{"name":"first","name":"second","show_date":"2026-01-01"}"#.to_string(),
            "name",
            "is given twice",
        ),
        (
            r#"{"name":"N","show_date":"2026-01-01","songs":[{"title":"T","bpm":90,"bpm":400}]}"#
                .to_string(),
            "songs[0].bpm",
            "is given twice",
        ),
        // Valid JSON whatever its size (serde_json calls it a syntax error).
        (
            r#"{"name":"N","show_date":"2026-01-01","songs":[{"title":"T","bpm":1e400}]}"#
                .to_string(),
            "songs[0].bpm",
            "is a number out of range",
        ),
        // Past 64 bits, read as a float or refused as a value by serde.
        (
            r#"{"name":"N","show_date":"2026-01-01","songs":[{"title":"T","bpm":18446744073709551617}]}"#
                .to_string(),
            "songs[0].bpm",
            "is a number out of range",
        ),
        (
            r#"{"name":"N","show_date":"2026-01-01","songs":[{"title":"T","bpm":9223372036854775808}]}"#
                .to_string(),
            "songs[0].bpm",
            "is a number out of range",
        ),
        (
            r#"{"name":"N","show_date":"2026-01-01","songs":[{"title":"T","bpm":90.5}]}"#
                .to_string(),
            "songs[0].bpm",
            "invalid type: floating point `90.5`, expected a whole number",
        ),
        // Ids are UUIDs: anything else was never one of this setlist's songs,
        // and stored as a new song its client would not know it by.
        (
            json!({ "name": "N", "show_date": "2026-01-01",
                    "songs": [{ "title": "T" }, { "id": "song-2", "title": "U" }] })
            .to_string(),
            "songs[1].id",
            "must be a song id as the API gave it",
        ),
        // serde fills a struct from an array by position, inside a body too.
        (
            json!({ "name": "N", "show_date": "2026-01-01", "songs": [[null, "Everlong"]] })
                .to_string(),
            "songs[0]",
            "invalid type: sequence, expected an object",
        ),
        (
            json!({ "name": "N", "show_date": "2026-01-01", "sets": [["Set 1", []]] }).to_string(),
            "sets[0]",
            "invalid type: sequence, expected an object",
        ),
    ] {
        let response = send(
            Method::POST,
            "/api/setlists",
            "application/json",
            body.clone().into_bytes(),
        )
        .await
        .unwrap();
        let error = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let said = error["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(said.starts_with(message), "{body} → {error}");
        assert!(!said.contains("line"), "no parser positions: {said}");
    }
    assert_eq!(app.get_json("/api/setlists", token).await, json!([]));
    // Only JSON labelled as JSON, in the one encoding JSON has.
    let created = json!({ "name": "Labelled", "show_date": "2026-01-01" });
    for content_type in [
        "text/plain",
        "application/vnd.evil+json",
        "application/problem+json",
        "application/json; charset=utf-16",
        "application/json; charset=latin1",
    ] {
        let refused = send(
            Method::POST,
            "/api/setlists",
            content_type,
            serde_json::to_vec(&created).unwrap(),
        )
        .await
        .unwrap();
        expect_error(
            refused,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    // Two labels: which one a proxy checked is anyone's guess.
    let twice_labelled = app
        .authed(Method::POST, "/api/setlists", token)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(serde_json::to_vec(&created).unwrap())
        .send()
        .await
        .unwrap();
    expect_error(
        twice_labelled,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // A body in a coding the server does not decode: refused, not read as
    // plain bytes (this one is plain JSON that only claims to be gzip).
    let send_coded = |coding: &'static str| {
        app.authed(Method::POST, "/api/setlists", token)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, coding)
            .body(serde_json::to_vec(&created).unwrap())
            .send()
    };
    for coding in ["gzip", "br", "identity, gzip"] {
        let encoded = send_coded(coding).await.unwrap();
        assert_eq!(encoded.headers()[header::ACCEPT_ENCODING], "identity");
        expect_error(
            encoded,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    assert_eq!(app.get_json("/api/setlists", token).await, json!([]));
    // RFC 9110 allows blanks around the `;`.
    for content_type in [
        "Application/JSON",
        "application/json; charset=\"UTF-8\"",
        "application/json ; charset=utf-8",
    ] {
        let taken = send(
            Method::POST,
            "/api/setlists",
            content_type,
            serde_json::to_vec(&created).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(taken.status(), StatusCode::CREATED, "{content_type}");
    }
    // `identity` is no coding at all: taken, whatever its case.
    for coding in ["identity", " IDENTITY "] {
        let plain = send_coded(coding).await.unwrap();
        assert_eq!(plain.status(), StatusCode::CREATED, "{coding}");
    }
    let huge = serde_json::to_vec(
        &json!({ "name": "x".repeat(1024 * 1024 + 1), "show_date": "2026-01-01" }),
    )
    .unwrap();
    let too_large = send(Method::POST, "/api/setlists", "application/json", huge)
        .await
        .unwrap();
    expect_error(
        too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    let not_uuid = app
        .authed(Method::GET, "/api/setlists/not-a-uuid", token)
        .send()
        .await
        .unwrap();
    expect_error(not_uuid, StatusCode::NOT_FOUND, "not_found").await;
    // An id has one address: other spellings of a stored id name nothing.
    let stored = create(&app, &manager, &setlist("One address")).await;
    let id = stored["id"].as_str().unwrap();
    let path = |spelling: String| format!("/api/setlists/{spelling}");
    assert_eq!(app.get_json(&path(id.to_string()), token).await["id"], id);
    for spelling in [
        id.to_uppercase(),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
        id.replace('-', ""),
    ] {
        let response = app.authed(Method::GET, &path(spelling), token).send();
        expect_error(response.await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    }
    let unknown = app
        .authed(
            Method::GET,
            &format!("/api/setlists/{}", uuid::Uuid::new_v4()),
            token,
        )
        .send()
        .await
        .unwrap();
    expect_error(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let put_unknown = put(
        &app,
        token,
        &uuid::Uuid::new_v4().to_string(),
        &json!({ "name": "x", "show_date": "2026-01-01", "version": 1 }),
    )
    .await;
    expect_error(put_unknown, StatusCode::NOT_FOUND, "not_found").await;
    let no_route = app
        .authed(Method::GET, "/api/nothing-here", token)
        .send()
        .await
        .unwrap();
    expect_error(no_route, StatusCode::NOT_FOUND, "not_found").await;
    let wrong_method = app
        .authed(Method::PATCH, "/api/setlists", token)
        .send()
        .await
        .unwrap();
    expect_error(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    // The operational routes at the root answer the same way.
    for path in ["/.well-known/jwks.json", "/healthz", "/readyz", "/metrics"] {
        let wrong_method = app.request(Method::POST, path).send().await.unwrap();
        assert_eq!(wrong_method.headers()["allow"], "GET,HEAD", "{path}");
        expect_error(
            wrong_method,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
    let no_version = put(
        &app,
        token,
        &uuid::Uuid::new_v4().to_string(),
        &json!({ "name": "x", "show_date": "2026-01-01" }),
    )
    .await;
    let error = expect_error(
        no_version,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(error["error"]["fields"]["version"].is_string());
}

#[tokio::test]
async fn text_round_trips_verbatim() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let mut body = setlist("<script>alert(1)</script>");
    body["songs"][0]["title"] = json!("\"Quotes\" & <b>tags</b> — ünïcödé 🥁");
    body["notes"] = json!("line one\nline two\t'single'");

    let created = create(&app, &manager, &body).await;

    let id = created["id"].as_str().unwrap();
    let stored = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(stored["name"], "<script>alert(1)</script>");
    assert_eq!(stored["songs"][0]["title"], body["songs"][0]["title"]);
    assert_eq!(stored["notes"], body["notes"]);
}

/// The `fields` of the 422 that `body`, posted to `path` by `manager`, gets.
async fn refused_fields(app: &TestApp, manager: &Session, path: &str, body: &Value) -> Value {
    let refused = app
        .authed(Method::POST, path, &manager.access_token)
        .json(body)
        .send()
        .await
        .unwrap();
    let error = expect_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    error["error"]["fields"].clone()
}

/// PostgreSQL cannot store U+0000, in text or in JSON: text holding it is
/// refused with the field named before any query, on both databases, and a
/// login with it is just a wrong login, never a 500.
#[tokio::test]
async fn a_nul_character_is_refused_before_it_reaches_the_database() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for (path, body, field) in [
        (
            "/api/setlists",
            json!({ "name": "Fri\u{0}day", "show_date": "2026-01-01" }),
            "name",
        ),
        (
            "/api/setlists",
            json!({ "name": "Friday", "show_date": "2026-01-01", "songs": [{ "title": "Ever\u{0}long" }] }),
            "songs[0].title",
        ),
        ("/api/songs", json!({ "title": "Ever\u{0}long" }), "title"),
        (
            "/api/users",
            json!({ "username": "nul", "display_name": "N\u{0}", "role": "drummer", "password": "long-enough-1" }),
            "display_name",
        ),
    ] {
        let fields = refused_fields(&app, &manager, path, &body).await;
        assert!(fields[field].is_string(), "{body} → {fields}");
    }
    // Where it is only looked for, it finds nothing.
    for path in [
        "/api/songs?q=%00",
        "/api/songs?tag=%00",
        "/api/audit?type=%00&user=%00",
    ] {
        let found = app
            .authed(Method::GET, path, &manager.access_token)
            .send()
            .await
            .unwrap();
        assert!(
            [StatusCode::OK, StatusCode::BAD_REQUEST].contains(&found.status()),
            "{path}: {}",
            found.status()
        );
    }
    let presence = app
        .authed(Method::POST, "/api/presence", &manager.access_token)
        .json(&json!({ "setlist_id": "\u{0}", "activity": "viewing" }))
        .send()
        .await
        .unwrap();
    expect_error(
        presence,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for (username, password) in [
        ("man\u{0}ager", DEMO_PASSWORD),
        ("manager", "backstage\u{0}pass-1"),
    ] {
        let login = app.login_response(username, password).await;
        expect_error(login, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
}

/// An escape sequence in a title would reach the terminal of whoever reads an
/// export or a log; a name of one control character would be a row nobody
/// can see; the year 0 cannot be shown by a browser's date field. Each is a
/// 422 naming the field. A tag that shows nothing is dropped, as a blank one is.
#[tokio::test]
async fn control_characters_and_the_year_0_are_refused_and_invisible_tags_dropped() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for (body, field, message) in [
        (
            json!({ "name": "\u{1}", "show_date": "2026-01-01" }),
            "name",
            "must not be empty",
        ),
        (
            json!({ "name": "Friday", "show_date": "2026-01-01", "songs": [{ "title": "\u{1B}[2JEverlong" }] }),
            "songs[0].title",
            "must not contain the character U+001B",
        ),
        (
            json!({ "name": "Friday", "show_date": "0000-01-01" }),
            "show_date",
            "must be a date as YYYY-MM-DD",
        ),
    ] {
        let fields = refused_fields(&app, &manager, "/api/setlists", &body).await;
        assert_eq!(fields[field], message, "{body}");
    }
    let tabbed =
        json!({ "name": "Friday", "show_date": "2026-01-01", "notes": "Load in\r\n\tat six" });
    let created = create(&app, &manager, &tabbed).await;
    assert_eq!(created["notes"], "Load in\r\n\tat six");
    let song = app
        .authed(Method::POST, "/api/songs", &manager.access_token)
        .json(&json!({ "title": "Everlong", "tags": ["\u{200B}", " ", "\u{7F}", "Rock"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(song.status(), StatusCode::CREATED);
    let song: Value = song.json().await.unwrap();
    assert_eq!(song["tags"], json!(["rock"]));
}
