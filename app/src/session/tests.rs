use super::*;

#[test]
fn a_jwt_segment_decodes_to_its_json() {
    // {"alg":"EdDSA","kid":"k1"} in base64url, unpadded.
    let header = decode_segment("eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0").unwrap();
    assert_eq!(header, r#"{"alg":"EdDSA","kid":"k1"}"#);
    assert_eq!(serde_json::from_str::<KeyId>(&header).unwrap().kid, "k1");
    assert!(decode_segment("not base64!").is_none());
}

#[test]
fn refreshes_are_due_before_expiry_but_not_too_early() {
    assert_eq!(refresh_delay_ms(300_000.0), 270_000.0);
    assert_eq!(refresh_delay_ms(10_000.0), 8_000.0);
    assert_eq!(refresh_delay_ms(500.0), 1_000.0);
}

#[test]
fn with_no_signal_the_refresh_is_tried_less_and_less_often() {
    let waits: Vec<u64> = (0..7).map(no_signal_retry_secs).collect();
    assert_eq!(waits, [3, 6, 12, 24, 30, 30, 30]);
}
