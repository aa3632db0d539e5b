//! What a forged or tampered token meets: every one is refused the same way.

use crate::common::*;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!("{}.{}.", part(header), part(claims))
}

/// A fresh Ed25519 key that the server has never seen, as PKCS#8.
fn foreign_key() -> EncodingKey {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[7u8; 32]);
    EncodingKey::from_ed_der(&der)
}

fn uuidv7_at_secs(seconds: i64) -> String {
    let at = uuid::Timestamp::from_unix(uuid::NoContext, seconds as u64, 0);
    uuid::Uuid::new_v7(at).to_string()
}

/// What `/api/setlists` answers `token` with: the route `assert_refused` asks.
async fn setlists_status(app: &TestApp, token: &str) -> StatusCode {
    app.authed(Method::GET, "/api/setlists", token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;
    let genuine_header = header_of(&session.access_token);
    let claims = claims_of(&session.access_token);
    let now = claims["iat"].as_i64().unwrap();

    let mut none_header = genuine_header.clone();
    none_header["alg"] = json!("none");
    assert_refused(&app, &unsigned(&none_header, &claims), "alg none").await;

    let mut promoted = claims.clone();
    promoted["role"] = json!("manager");
    let (head, _, signature) = {
        let mut parts = session.access_token.split('.');
        (parts.next().unwrap(), parts.next(), parts.next().unwrap())
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&promoted).unwrap());
    assert_refused(
        &app,
        &format!("{head}.{payload}.{signature}"),
        "tampered payload",
    )
    .await;

    let sign = |header: &Header, claims: &Value| {
        jsonwebtoken::encode(header, claims, &foreign_key()).unwrap()
    };
    let mut same_kid = Header::new(Algorithm::EdDSA);
    same_kid.kid = genuine_header["kid"].as_str().map(String::from);
    assert_refused(&app, &sign(&same_kid, &claims), "foreign key, known kid").await;

    let mut unknown_kid = same_kid.clone();
    unknown_kid.kid = Some("attacker".into());
    assert_refused(&app, &sign(&unknown_kid, &claims), "unknown kid").await;

    let mut with_jwk = same_kid.clone();
    with_jwk.jku = Some("http://attacker.example/jwks.json".into());
    assert_refused(&app, &sign(&with_jwk, &claims), "jku header").await;

    // Our own key, and a header that names a critical extension: RFC 7515
    // says a verifier that does not know it must refuse the token.
    let current = app.state.keys.current();
    let (signer, own_kid) = (&current.signer, &current.signer.kid);
    for (header, why) in [
        (
            json!({ "alg": "EdDSA", "kid": own_kid, "crit": ["exp"] }),
            "crit header",
        ),
        // (Refused before the crit check too: jsonwebtoken's header takes
        // only text in fields it does not know.)
        (
            json!({ "alg": "EdDSA", "kid": own_kid, "b64": false, "crit": ["b64"] }),
            "unencoded payload (RFC 7797)",
        ),
    ] {
        assert_refused(&app, &signer.sign(&header, &claims).unwrap(), why).await;
    }
    let plain = json!({ "alg": "EdDSA", "kid": own_kid });
    assert_eq!(
        setlists_status(&app, &signer.sign(&plain, &claims).unwrap()).await,
        StatusCode::OK,
        "the control: the same header without crit passes"
    );

    let hs = jsonwebtoken::encode(
        &Header {
            kid: same_kid.kid.clone(),
            ..Header::new(Algorithm::HS256)
        },
        &claims,
        &EncodingKey::from_secret(b"public key bytes"),
    )
    .unwrap();
    assert_refused(&app, &hs, "HS256 instead of EdDSA").await;

    let (signed_part, signature) = session.access_token.rsplit_once('.').unwrap();
    assert_refused(&app, &format!("{signed_part}."), "signature stripped").await;
    assert_refused(&app, signed_part, "signature segment missing").await;
    let zeros = URL_SAFE_NO_PAD.encode([0u8; 64]);
    assert_refused(
        &app,
        &format!("{signed_part}.{zeros}"),
        "all-zero signature",
    )
    .await;
    assert_eq!(
        URL_SAFE_NO_PAD.decode(signature).unwrap().len(),
        64,
        "the control: an Ed25519 signature"
    );
    assert_refused(&app, "not.a.jwt", "garbage").await;
    assert_refused(
        &app,
        &session.access_token[..session.access_token.len() - 2],
        "truncated",
    )
    .await;

    // Genuinely signed tokens with bad claims need the server's own key.
    let keys = app.state.keys.current();
    let mut own = Header::new(Algorithm::EdDSA);
    own.kid = Some(keys.signer.kid.clone());
    let own_sign = |claims: &Value| keys.signer.sign(&own, claims).unwrap();
    assert_eq!(
        setlists_status(&app, &own_sign(&claims)).await,
        StatusCode::OK,
        "the control: a re-signed copy of the genuine claims passes"
    );
    for (claim, value, why) in [
        ("exp", json!(now - 60), "expired"),
        // No grace after `exp` (there was a 5 s leeway once).
        ("exp", json!(now - 2), "expired two seconds ago"),
        ("exp", json!(now), "expired this second"),
        ("nbf", json!(now + 600), "not yet valid"),
        ("iat", json!(now + 600), "issued in the future"),
        ("aud", json!("someone-else"), "wrong audience"),
        ("iss", json!("https://evil.example"), "wrong issuer"),
        ("exp", json!("9999999999"), "exp as a string"),
        (
            "jti",
            json!(uuid::Uuid::new_v4().to_string()),
            "jti not a UUIDv7",
        ),
        // A forger dating jti after a member's cut-off to dodge it.
        ("jti", json!(uuidv7_at_secs(now + 2)), "jti later than iat"),
        (
            "jti",
            json!(uuidv7_at_secs(now - 60)),
            "jti earlier than iat",
        ),
        ("exp", json!(now + 300 + 60), "a lifetime longer than ours"),
        // No leeway on the lifetime: our own tokens are never a second longer.
        (
            "exp",
            json!(claims["iat"].as_i64().unwrap() + 301),
            "a lifetime a second longer than ours",
        ),
    ] {
        let mut bad = claims.clone();
        bad[claim] = value;
        assert_refused(&app, &own_sign(&bad), why).await;
    }
    // The leeway is for clocks ahead of ours: a token another instance has
    // just issued, its clock three seconds ahead, verifies at once.
    let mut from_ahead = claims.clone();
    from_ahead["iat"] = json!(now + 3);
    from_ahead["nbf"] = json!(now + 3);
    from_ahead["jti"] = json!(uuidv7_at_secs(now + 3));
    assert_eq!(
        setlists_status(&app, &own_sign(&from_ahead)).await,
        StatusCode::OK,
        "a token issued by a clock a little ahead"
    );
    for claim in [
        "exp",
        "nbf",
        "iat",
        "iss",
        "aud",
        "sub",
        "sid",
        "jti",
        "role",
        "preferred_username",
    ] {
        let mut missing = claims.clone();
        missing.as_object_mut().unwrap().remove(claim);
        assert_refused(&app, &own_sign(&missing), &format!("missing {claim}")).await;
    }
    let mut admin = claims.clone();
    admin["role"] = json!("admin");
    let response = app
        .authed(Method::GET, "/api/setlists", &own_sign(&admin))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}
