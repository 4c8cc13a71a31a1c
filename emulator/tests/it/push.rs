//! Push notification messages: `content` validated with the platform's JSON schemas
//! and messages, the config each environment needs (a GCM API key, an APNS
//! certificate and bundle identifier), the answered and stored status (`scheduled`
//! in the create answer, then `error`: the emulator sends nothing), and a device's
//! `send_message`.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::common::{Api, start};

const REQUIRED: &str = "This field is required.";
const MISSING_KEYS: &str = "Invalid JSON: Object is missing one or all of required properties";
const GCM_NOT_SENT: &str =
    "Push notifications are not delivered by the emulator: the message was not sent to GCM.";
const APNS_NOT_SENT: &str =
    "Push notifications are not delivered by the emulator: the message was not sent to APNS.";
const APNS_DEVICE: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// POSTs each body and expects 400 with `{"content": [message]}`.
async fn refused(api: &Api, path: &str, cases: Vec<(Value, &str)>) {
    for (body, message) in cases {
        let r = api.post(path, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        assert_eq!(r.body, json!({ "content": [message] }), "{body}");
    }
}

fn gcm_content(extra: Value) -> Value {
    let mut c = json!({"registration_ids": ["a", "b"], "environment": "development"});
    for (k, v) in extra.as_object().expect("an object") {
        c[k] = v.clone();
    }
    json!({ "content": c })
}

fn apns_content(aps: Value) -> Value {
    json!({"content": {"registration_ids": [APNS_DEVICE], "environment": "development", "aps": aps}})
}

#[tokio::test]
async fn gcm_content_follows_the_platform_schema() {
    let api = start().await;
    let inst = api.instance("push-gcm-schema").await;
    api.gcm_key(&inst, "development").await;
    let path = format!("{inst}push_notifications/gcm/messages/");
    let many: Vec<String> = (0..1001).map(|i| format!("r{i}")).collect();
    let wide: Map<String, Value> = (0..257).map(|i| (format!("k{i}"), json!(i))).collect();
    refused(
        &api,
        &path,
        vec![
            // missing or empty, as the platform's JSON field sees it
            (json!({}), REQUIRED),
            (json!({"content": null}), REQUIRED),
            (json!({"content": {}}), REQUIRED),
            (json!({"content": ""}), REQUIRED),
            (json!({"content": []}), REQUIRED),
            // a string is parsed
            (json!({"content": "{not json"}), "Not a valid JSON string."),
            (json!({"content": "{\"environment\": \"development\"}"}), MISSING_KEYS),
            (
                json!({"content": [1]}),
                "Invalid JSON: Object contains value of wrong type (expected: object).",
            ),
            (json!({"content": {"environment": "development"}}), MISSING_KEYS),
            (json!({"content": {"registration_ids": ["a"]}}), MISSING_KEYS),
            (
                gcm_content(json!({"environment": "dummy"})),
                "Invalid JSON: Element \"environment\" contains invalid value.",
            ),
            (
                gcm_content(json!({"environment": true})),
                "Invalid JSON: Element \"environment\" contains value of wrong type (expected: string).",
            ),
            (
                gcm_content(json!({"registration_ids": ["c", "c", "c"]})),
                "Invalid JSON: Element \"registration_ids\" contains non-unique values.",
            ),
            (
                gcm_content(json!({"registration_ids": [1, {}, "c", true]})),
                "Invalid JSON: Element \"registration_ids->0\" contains value of wrong type (expected: string).",
            ),
            (
                gcm_content(json!({"registration_ids": many})),
                "Invalid JSON: Element \"registration_ids\" contains too many items defined (max: 1000).",
            ),
            (
                gcm_content(json!({"additional_attr": "a"})),
                "Invalid JSON: Object contains unexpected property.",
            ),
            (
                gcm_content(json!({"data": wide})),
                "Invalid JSON: Element \"data\" contains too many properties defined (max: 256).",
            ),
            (
                gcm_content(json!({"notification": "hi"})),
                "Invalid JSON: Element \"notification\" contains value of wrong type (expected: object).",
            ),
            (
                gcm_content(json!({"priority": "urgent"})),
                "Invalid JSON: Element \"priority\" contains invalid value.",
            ),
            (
                gcm_content(json!({"dry_run": "yes"})),
                "Invalid JSON: Element \"dry_run\" contains value of wrong type (expected: boolean).",
            ),
            (
                gcm_content(json!({"time_to_live": 0})),
                "Invalid JSON: Element \"time_to_live\" contains too low value (min: 1).",
            ),
            (
                gcm_content(json!({"time_to_live": 2_419_201})),
                "Invalid JSON: Element \"time_to_live\" contains too high value (max: 2419200).",
            ),
            (
                gcm_content(json!({"time_to_live": 1.5})),
                "Invalid JSON: Element \"time_to_live\" contains value of wrong type (expected: integer).",
            ),
        ],
    )
    .await;
    // not an object at all
    let r = api.post(&path, json!([1])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    // nothing refused was kept
    assert_eq!(api.get(&path).await.body["objects"], json!([]));
    // every documented key, at its limits
    let full = gcm_content(json!({
        "data": {"n": 1}, "notification": {"title": "t"}, "collapse_key": "k", "priority": "high",
        "content_available": true, "delay_while_idle": false, "time_to_live": 2_419_200,
        "restricted_package_name": "com.example", "dry_run": true
    }));
    let r = api.post(&path, full.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["content"], full["content"]);
}

#[tokio::test]
async fn apns_content_follows_the_platform_schema() {
    let api = start().await;
    let inst = api.instance("push-apns-schema").await;
    api.apns_config(&inst, "development", Some("com.example.app"))
        .await;
    let path = format!("{inst}push_notifications/apns/messages/");
    refused(
        &api,
        &path,
        vec![
            (json!({}), REQUIRED),
            (
                json!({"content": {"registration_ids": ["a"], "environment": "development"}}),
                MISSING_KEYS,
            ),
            (
                apns_content(json!("x")),
                "Invalid JSON: Element \"aps\" contains value of wrong type (expected: object).",
            ),
            (
                apns_content(json!({"badge": 1})),
                "Invalid JSON: Element \"aps\" is missing one or all of required properties",
            ),
            // `alert` is a string or an object with `title` and `body`; as the platform's
            // `jsonschema`, the reported error is one of the alternatives', with its path
            // relative to `alert`
            (
                apns_content(json!({"alert": true})),
                "Invalid JSON: Object contains value of wrong type (expected: string).",
            ),
            (
                apns_content(json!({"alert": {}})),
                "Invalid JSON: Object contains value of wrong type (expected: string).",
            ),
            (
                apns_content(json!({"alert": {"title": 1}})),
                "Invalid JSON: Element \"title\" contains value of wrong type (expected: string).",
            ),
            (
                apns_content(json!({"alert": {"title": "t", "body": "b", "loc-args": [1]}})),
                "Invalid JSON: Element \"loc-args->0\" contains value of wrong type (expected: string).",
            ),
            (
                apns_content(json!({"alert": "hi", "badge": "1"})),
                "Invalid JSON: Element \"aps->badge\" contains value of wrong type (expected: integer).",
            ),
            (
                apns_content(json!({"alert": "hi", "sound": 1})),
                "Invalid JSON: Element \"aps->sound\" contains value of wrong type (expected: string).",
            ),
            (
                json!({"content": {"registration_ids": ["a", "a"], "environment": "production",
                    "aps": {"alert": "hi"}}}),
                "Invalid JSON: Element \"registration_ids\" contains non-unique values.",
            ),
        ],
    )
    .await;
    // other keys are the app's own payload: allowed
    let content = json!({"registration_ids": [APNS_DEVICE], "environment": "development",
        "aps": {"alert": {"title": "t", "body": "b"}, "badge": 2, "content-available": 1},
        "order": {"id": 7}});
    let r = api.post(&path, json!({ "content": content })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["content"], content);
}

#[tokio::test]
async fn messages_need_the_config_of_their_environment() {
    let api = start().await;
    let inst = api.instance("push-config").await;
    let gcm = format!("{inst}push_notifications/gcm/messages/");
    let apns = format!("{inst}push_notifications/apns/messages/");
    let non_field = |m: &str| json!({ "non_field_errors": [m] });

    let r = api.post(&gcm, gcm_content(json!({}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        non_field("GCM api key for \"development\" environment is required.")
    );
    // the other environment's key does not do
    api.gcm_key(&inst, "production").await;
    let r = api.post(&gcm, gcm_content(json!({}))).await;
    assert_eq!(
        r.body,
        non_field("GCM api key for \"development\" environment is required.")
    );
    let r = api
        .post(&gcm, gcm_content(json!({"environment": "production"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // an empty key is no key
    let r = api
        .patch(
            &format!("{inst}push_notifications/gcm/config/"),
            json!({"production_api_key": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api
        .post(&gcm, gcm_content(json!({"environment": "production"})))
        .await;
    assert_eq!(
        r.body,
        non_field("GCM api key for \"production\" environment is required.")
    );

    let message = apns_content(json!({"alert": "hi"}));
    let r = api.post(&apns, message.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        non_field("APNS certificate for \"development\" environment is required.")
    );
    // a bundle identifier without a certificate
    let r = api
        .patch(
            &format!("{inst}push_notifications/apns/config/"),
            json!({"development_bundle_identifier": "com.example.app"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.post(&apns, message.clone()).await;
    assert_eq!(
        r.body,
        non_field("APNS certificate for \"development\" environment is required.")
    );
    // a certificate without a bundle identifier
    let r = api
        .patch(
            &format!("{inst}push_notifications/apns/config/"),
            json!({"development_bundle_identifier": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    api.apns_config(&inst, "development", None).await;
    let r = api.post(&apns, message.clone()).await;
    assert_eq!(
        r.body,
        non_field("APNS bundle identifier for \"development\" environment is required.")
    );
    api.apns_config(&inst, "development", Some("com.example.app"))
        .await;
    let r = api.post(&apns, message.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // a removed certificate is required again
    let r = api
        .post(
            &format!("{inst}push_notifications/apns/config/remove_certificate/"),
            json!({"development_certificate": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.post(&apns, message).await;
    assert_eq!(
        r.body,
        non_field("APNS certificate for \"development\" environment is required.")
    );
    // content errors come before the config check
    let r = api.post(&apns, json!({"content": {}})).await;
    assert_eq!(r.body, json!({ "content": [REQUIRED] }));
}

#[tokio::test]
async fn a_message_is_answered_scheduled_and_then_reads_as_not_delivered() {
    let api = start().await;
    let inst = api.instance("push-status").await;
    api.gcm_key(&inst, "development").await;
    api.apns_config(&inst, "development", Some("com.example.app"))
        .await;
    for (service, body, result) in [
        ("gcm", gcm_content(json!({"data": {"n": 1}})), GCM_NOT_SENT),
        ("apns", apns_content(json!({"alert": "hi"})), APNS_NOT_SENT),
    ] {
        let path = format!("{inst}push_notifications/{service}/messages/");
        // read-only fields are ignored
        let mut sent = body.clone();
        sent["status"] = json!("delivered");
        sent["result"] = json!({"success": 2});
        let r = api.post(&path, sent).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let id = r.body["id"].as_i64().expect("an id");
        let link = format!("{path}{id}/");
        assert_eq!(r.body["links"]["self"], json!(link));
        assert_eq!(r.body["content"], body["content"]);
        // as the platform answers: saved, the sending task not yet run
        assert_eq!(r.body["status"], "scheduled");
        assert_eq!(r.body["result"], json!({}));
        let created_at = r.body["created_at"].clone();

        let g = api.get(&link).await;
        assert_eq!(g.status, StatusCode::OK, "{:?}", g.body);
        assert_eq!(g.body["content"], body["content"]);
        assert_eq!(g.body["status"], "error");
        assert_eq!(g.body["result"], result);
        assert_eq!(g.body["created_at"], created_at);
        assert_eq!(g.body["updated_at"], r.body["updated_at"]);

        let l = api.get(&path).await;
        assert_eq!(l.body["objects"].as_array().map(Vec::len), Some(1));
        assert_eq!(l.body["objects"][0]["status"], "error");
        // messages are never changed or deleted
        for m in [Method::PATCH, Method::PUT, Method::DELETE] {
            let r = api
                .call(m.clone(), &link, Some(&api.key.clone()), Some(json!({})))
                .await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m}");
        }
    }
}

#[tokio::test]
async fn send_message_targets_the_device_and_validates_the_same_way() {
    let api = start().await;
    let inst = api.instance("push-send").await;
    let devices = format!("{inst}push_notifications/gcm/devices/");
    let r = api
        .post(&devices, json!({"registration_id": "gcm-device-1"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let send = format!("{devices}gcm-device-1/send_message/");
    assert_eq!(r.body["links"]["send_message"], json!(send));
    let content = json!({"environment": "development", "data": {"text": "hi"}});

    // the config first
    let r = api.post(&send, json!({ "content": content })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"non_field_errors": ["GCM api key for \"development\" environment is required."]})
    );
    api.gcm_key(&inst, "development").await;
    // no content: the device alone is not enough
    for body in [None, Some(json!({})), Some(json!({"content": {}}))] {
        let r = api
            .call(Method::POST, &send, Some(&api.key.clone()), body.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(r.body, json!({ "content": [MISSING_KEYS] }), "{body:?}");
    }
    let r = api
        .post(&send, json!({"content": {"environment": "staging"}}))
        .await;
    assert_eq!(
        r.body,
        json!({"content": ["Invalid JSON: Element \"environment\" contains invalid value."]})
    );
    // content that is no object: a 400 (the platform's send_message fails with a 500)
    let r = api.post(&send, json!({"content": ["a", "list"]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"content": ["Invalid JSON: Object contains value of wrong type (expected: object)."]})
    );

    // registration ids given are replaced by the device's
    let mut given = content.clone();
    given["registration_ids"] = json!(["someone-else", "another"]);
    let r = api.post(&send, json!({ "content": given })).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mut expected = content.clone();
    expected["registration_ids"] = json!(["gcm-device-1"]);
    assert_eq!(r.body["content"], expected);
    assert_eq!(r.body["status"], "scheduled");
    let link = r.body["links"]["self"].as_str().expect("a link").to_owned();
    assert!(
        link.starts_with(&format!("{inst}push_notifications/gcm/messages/")),
        "{link}"
    );
    let g = api.get(&link).await;
    assert_eq!(g.body["content"], expected);
    assert_eq!(g.body["status"], "error");
    assert_eq!(g.body["result"], GCM_NOT_SENT);
    // content as a JSON string, as a form would send it
    let r = api
        .post(
            &send,
            json!({"content": "{\"environment\": \"development\"}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["content"],
        json!({"environment": "development", "registration_ids": ["gcm-device-1"]})
    );
    // an unknown device
    let r = api
        .post(
            &format!("{devices}nobody/send_message/"),
            json!({ "content": content }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // APNS: `aps` is required as for any APNS message
    api.apns_config(&inst, "development", Some("com.example.app"))
        .await;
    let adevices = format!("{inst}push_notifications/apns/devices/");
    let r = api
        .post(&adevices, json!({"registration_id": APNS_DEVICE}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let asend = format!("{adevices}{APNS_DEVICE}/send_message/");
    let r = api
        .post(&asend, json!({"content": {"environment": "development"}}))
        .await;
    assert_eq!(r.body, json!({ "content": [MISSING_KEYS] }));
    let r = api
        .post(
            &asend,
            json!({"content": {"environment": "development", "aps": {"alert": "hi"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["content"]["registration_ids"], json!([APNS_DEVICE]));
    let g = api
        .get(r.body["links"]["self"].as_str().expect("a link"))
        .await;
    assert_eq!(g.body["status"], "error");
    assert_eq!(g.body["result"], APNS_NOT_SENT);
}
