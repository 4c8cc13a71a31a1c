//! Protocol, auth, accounts, instances, users, channels, batch.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Api, Reply, start};

#[tokio::test]
async fn root_links_schema_and_unknown_paths() {
    let api = start().await;
    let r = api.get("/v1.1/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["links"]["instances"], "/v1.1/instances/");
    assert_eq!(r.body["links"]["account"], "/v1.1/account/");
    assert_eq!(r.body["links"]["schema"], "/v1.1/schema/");
    let r = api.get("/v1.1/instances/nope-nope/snippets/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers["content-type"], "application/json");

    let r = api.call(Method::GET, "/v1.1/schema/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc: serde_json::Value =
        serde_json::from_str(syncano_emulator::EMBEDDED_SCHEMA).expect("snapshot is JSON");
    assert_eq!(r.body, doc, "serves the snapshot as loaded");

    let r = api.get("/v1.1/no-such-thing/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({"detail": "Not found."}));
    let r = api.get("/v3/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn method_not_allowed_and_options() {
    let api = start().await;
    let inst = api.instance("methods").await;
    api.class(&inst, "book", json!([{"name": "title", "type": "string"}]))
        .await;
    api.post(
        &format!("{inst}classes/book/objects/"),
        json!({"title": "a"}),
    )
    .await;
    // no PUT on data objects
    let r = api
        .put(&format!("{inst}classes/book/objects/1/"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body, json!({"detail": "Method \"PUT\" not allowed."}));
    assert_eq!(
        r.headers["allow"],
        "GET, POST, PATCH, DELETE, HEAD, OPTIONS"
    );
    // authentication comes first, as in DRF
    let r = api
        .call(
            Method::PUT,
            &format!("{inst}classes/book/objects/1/"),
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .call(
            Method::PUT,
            &format!("{inst}classes/book/objects/1/"),
            Some(&"a".repeat(40)),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.body, json!({"detail": "No such API Key."}));
    let r = api.delete("/v1.1/account/").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body, json!({"detail": "Method \"DELETE\" not allowed."}));

    let r = api
        .call(
            Method::OPTIONS,
            &format!("{inst}classes/"),
            Some(&api.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["name"].is_string());
    assert_eq!(r.body["renders"], json!(["application/json"]));
    assert_eq!(r.headers["allow"], "GET, POST, HEAD, OPTIONS");
    let name = &r.body["actions"]["POST"]["name"];
    assert_eq!(name["required"], json!(true));
    assert_eq!(name["read_only"], json!(false));
    assert!(name["type"].is_string());
    assert!(name["label"].is_string());
    let perms = &r.body["actions"]["POST"]["other_permissions"];
    let values: Vec<&str> = perms["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .filter_map(|c| c["value"].as_str())
        .collect();
    assert!(values.contains(&"create_objects"), "{perms}");
}

#[tokio::test]
async fn keys_missing_unknown_and_transport_forms() {
    let api = start().await;
    let r = api.call(Method::GET, "/v1.1/instances/", None, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"detail": "You do not have permission to perform this action."})
    );
    let r = api
        .call(Method::GET, "/v1.1/instances/", Some(&"0".repeat(40)), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, json!({"detail": "No such API Key."}));

    // Authorization: token K and the api_key query parameter
    let resp = api
        .http
        .get(format!("{}/v1.1/instances/", api.base))
        .header("Authorization", format!("token {}", api.key))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = api
        .http
        .get(format!("{}/v1.1/instances/?api_key={}", api.base, api.key))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn account_register_auth_reset_key() {
    let api = start().await;
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/register/",
            None,
            Some(json!({"email": "jane@example.com", "password": "secret", "first_name": "Jane"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let key = r.body["account_key"].as_str().expect("key").to_owned();
    assert_eq!(key.len(), 40);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(
        r.body.get("password").is_none(),
        "write-only never returned"
    );

    let r = api
        .call(
            Method::POST,
            "/v1.1/account/auth/",
            None,
            Some(json!({"email": "jane@example.com", "password": "wrong"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, json!({"detail": "Invalid password."}));
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/auth/",
            None,
            Some(json!({"email": "nobody@example.com", "password": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, json!({"detail": "Invalid email."}));
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/auth/",
            None,
            Some(json!({"email": "jane@example.com", "password": "secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["account_key"], key.as_str());

    let r = api
        .call(Method::POST, "/v1.1/account/reset_key/", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let new_key = r.body["account_key"].as_str().expect("new key").to_owned();
    assert_ne!(new_key, key);
    let r = api
        .call(Method::GET, "/v1.1/account/", Some(&key), None)
        .await;
    assert_eq!(r.body, json!({"detail": "No such API Key."}));
    let r = api
        .call(Method::GET, "/v1.1/account/", Some(&new_key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["email"], "jane@example.com");
    assert_eq!(r.body["first_name"], "Jane");
}

/// Registers another account `email` and returns its account key.
async fn register(api: &Api, email: &str) -> String {
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/register/",
            None,
            Some(json!({"email": email, "password": "pw"})),
        )
        .await;
    r.body["account_key"].as_str().expect("key").to_owned()
}

/// Creates the instance `my-shop` and returns the create answer.
async fn my_shop(api: &Api) -> Reply {
    let r = api
        .post(
            "/v1.1/instances/",
            json!({"name": "my-shop", "description": "shop"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    r
}

#[tokio::test]
async fn an_instance_name_is_required_long_enough_and_unique() {
    let api = start().await;
    let r = api.post("/v1.1/instances/", json!({"name": "ab"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["name"].is_array(), "{:?}", r.body);
    let r = api.post("/v1.1/instances/", json!({})).await;
    assert_eq!(r.body, json!({"name": ["This field is required."]}));
    my_shop(&api).await;
    let r = api
        .post("/v1.1/instances/", json!({"name": "MY-SHOP"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"name": ["This field must be unique."]}));
}

#[tokio::test]
async fn a_new_instance_has_the_platforms_links() {
    let api = start().await;
    let r = my_shop(&api).await;
    assert_eq!(r.body["links"]["self"], "/v1.1/instances/my-shop/");
    // exactly the links the platform's instance serializer declares
    let mut names: Vec<&str> = r.body["links"]
        .as_object()
        .map(|l| l.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "admins",
            "api_keys",
            "backups",
            "batch",
            "channels",
            "classes",
            "endpoints",
            "groups",
            "hosting",
            "invitations",
            "push_notification",
            "rename",
            "restores",
            "schedules",
            "self",
            "snippets",
            "triggers",
            "users"
        ]
    );
    assert_eq!(
        r.body["links"]["push_notification"],
        "/v1.1/instances/my-shop/push_notifications/"
    );
}

#[tokio::test]
async fn an_instance_shows_the_callers_role_once_created() {
    let api = start().await;
    let r = my_shop(&api).await;
    // the create answer shows `api_key` as the role; reading it back shows the caller's
    assert_eq!(r.body["role"], "api_key");
    assert_eq!(
        api.get("/v1.1/instances/my-shop/").await.body["role"],
        "full"
    );
}

#[tokio::test]
async fn an_instance_created_at_has_microseconds_in_utc() {
    let api = start().await;
    let r = my_shop(&api).await;
    let created = r.body["created_at"].as_str().expect("created_at");
    assert_eq!(created.len(), "2026-11-22T17:37:25.474230Z".len());
    assert!(created.ends_with('Z'));
}

#[tokio::test]
async fn a_new_instance_holds_the_user_profile_class_its_owner_and_built_in_channels() {
    let api = start().await;
    my_shop(&api).await;
    let r = api
        .get("/v1.1/instances/my-shop/classes/user_profile/")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get("/v1.1/instances/my-shop/admins/").await;
    assert_eq!(r.body["objects"][0]["email"], api.emu.account_email());
    assert_eq!(r.body["objects"][0]["role"], "full");
    let r = api.get("/v1.1/instances/my-shop/channels/default/").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get("/v1.1/instances/my-shop/channels/eventlog/").await;
    assert_eq!(r.body["type"], "separate_rooms");
}

#[tokio::test]
async fn an_instance_update_ignores_the_read_only_name() {
    let api = start().await;
    my_shop(&api).await;
    let r = api
        .patch(
            "/v1.1/instances/my-shop/",
            json!({"name": "other", "description": "new"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "my-shop");
    assert_eq!(r.body["description"], "new");
}

#[tokio::test]
async fn a_renamed_instance_keeps_its_contents() {
    let api = start().await;
    my_shop(&api).await;
    let r = api
        .post(
            "/v1.1/instances/my-shop/rename/",
            json!({"new_name": "my-store"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["name"], "my-store");
    assert_eq!(
        api.get("/v1.1/instances/my-shop/").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("/v1.1/instances/my-store/classes/user_profile/")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn another_account_sees_none_of_an_instance() {
    let api = start().await;
    my_shop(&api).await;
    let other = register(&api, "other@example.com").await;
    let r = api
        .call(Method::GET, "/v1.1/instances/", Some(&other), None)
        .await;
    assert_eq!(r.body["objects"], json!([]));
    let r = api
        .call(
            Method::GET,
            "/v1.1/instances/my-shop/classes/",
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_instance_key_is_unknown_in_another_instance() {
    let api = start().await;
    my_shop(&api).await;
    let inst_b = api.instance("second").await;
    let (_, key_a) = api
        .api_key("/v1.1/instances/my-shop/", json!({"ignore_acl": true}))
        .await;
    let r = api
        .call(
            Method::GET,
            &format!("{inst_b}classes/"),
            Some(&key_a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, json!({"detail": "No such API Key."}));
    let r = api
        .call(
            Method::GET,
            "/v1.1/instances/my-shop/classes/",
            Some(&key_a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deleted_instance_takes_its_contents_with_it() {
    let api = start().await;
    my_shop(&api).await;
    let r = api.delete("/v1.1/instances/my-shop/").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/v1.1/instances/my-shop/classes/").await.status,
        StatusCode::NOT_FOUND
    );
}

/// An instance `people` with a plain key that may create users; returns (instance
/// path, the key's id, the key).
async fn people(api: &Api) -> (String, i64, String) {
    let inst = api.instance("people").await;
    let (kid, plain) = api
        .api_key(
            &inst,
            json!({"description": "app", "allow_user_create": true}),
        )
        .await;
    (inst, kid, plain)
}

/// Registers the user `john` (password `pw1`) through `plain`; returns the answer.
async fn john(api: &Api, inst: &str, plain: &str) -> Reply {
    let r = api
        .call(
            Method::POST,
            &format!("{inst}users/"),
            Some(plain),
            Some(json!({"username": "john", "password": "pw1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r
}

/// `{inst}user/auth/` through `plain` with `username` and `password`.
async fn user_auth(api: &Api, inst: &str, plain: &str, username: &str, password: &str) -> Reply {
    api.call(
        Method::POST,
        &format!("{inst}user/auth/"),
        Some(plain),
        Some(json!({"username": username, "password": password})),
    )
    .await
}

#[tokio::test]
async fn an_instances_first_api_key_has_id_1() {
    let api = start().await;
    let (_, kid, _) = people(&api).await;
    assert_eq!(kid, 1);
}

#[tokio::test]
async fn an_api_key_cannot_create_api_keys() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    // keys cannot manage keys (they may read themselves: see fidelity.rs)
    let r = api
        .call(
            Method::POST,
            &format!("{inst}api_keys/"),
            Some(&plain),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_new_user_shows_a_profile_and_no_password() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    let r = john(&api, &inst, &plain).await;
    assert_eq!(r.body["id"], 1);
    assert!(r.body.get("password").is_none());
    assert!(r.body["profile"]["id"].is_i64(), "{:?}", r.body);
}

#[tokio::test]
async fn a_new_user_needs_a_password() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    let r = api
        .call(
            Method::POST,
            &format!("{inst}users/"),
            Some(&plain),
            Some(json!({"username": "x"})),
        )
        .await;
    assert_eq!(r.body, json!({"password": ["This field is required."]}));
}

#[tokio::test]
async fn user_auth_tells_a_wrong_password_from_an_unknown_username() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    john(&api, &inst, &plain).await;
    let r = user_auth(&api, &inst, &plain, "john", "bad").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, json!({"detail": "Invalid password."}));
    let r = user_auth(&api, &inst, &plain, "nobody", "bad").await;
    assert_eq!(r.body, json!({"detail": "Invalid username."}));
}

#[tokio::test]
async fn user_auth_answers_the_users_key() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    let user_key = john(&api, &inst, &plain).await.body["user_key"].clone();
    let r = user_auth(&api, &inst, &plain, "john", "pw1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user_key"], user_key);
}

#[tokio::test]
async fn the_current_user_needs_a_user_key() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    let r = john(&api, &inst, &plain).await;
    let user_key = r.body["user_key"].as_str().expect("user key").to_owned();
    let r = api
        .call(Method::GET, &format!("{inst}user/"), Some(&plain), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .call_h(
            Method::GET,
            &format!("{inst}user/"),
            Some(&plain),
            Some(&user_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["username"], "john");
}

#[tokio::test]
async fn group_memberships_show_from_both_sides() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    john(&api, &inst, &plain).await;
    let r = api
        .post(&format!("{inst}groups/"), json!({"label": "admins"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let gid = r.body["id"].as_i64().expect("gid");
    let r = api
        .post(&format!("{inst}users/1/groups/"), json!({"group": gid}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.get(&format!("{inst}groups/{gid}/users/")).await;
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["objects"][0]["user"]["username"], "john");
    let r = api.get(&format!("{inst}users/1/")).await;
    assert_eq!(r.body["groups"][0]["label"], "admins");
    let r = api.delete(&format!("{inst}groups/{gid}/users/1/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.get(&format!("{inst}users/1/groups/")).await;
    assert_eq!(r.body["objects"], json!([]));
}

#[tokio::test]
async fn a_users_profile_follows_the_user_profile_class() {
    let api = start().await;
    let (inst, _, _) = people(&api).await;
    let r = api
        .patch(
            &format!("{inst}classes/user_profile/"),
            json!({"schema": [{"name": "nick", "type": "string"}, {"name": "age", "type": "integer"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": "jo", "password": "p", "profile": {"nick": "Jo"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["profile"]["nick"], "Jo");
    let jo = r.body["id"].as_i64().expect("id");
    let r = api
        .patch(
            &format!("{inst}users/{jo}/"),
            json!({"profile": {"age": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["profile"]["age"].is_array(), "{:?}", r.body);
    let r = api
        .patch(
            &format!("{inst}users/{jo}/"),
            json!({"profile": {"age": 30}}),
        )
        .await;
    assert_eq!(r.body["profile"]["age"], 30);
    assert_eq!(r.body["profile"]["nick"], "Jo");
    assert_eq!(r.body["profile"]["revision"], 2);
}

#[tokio::test]
async fn resetting_a_user_key_changes_it() {
    let api = start().await;
    let (inst, _, plain) = people(&api).await;
    let user_key = john(&api, &inst, &plain).await.body["user_key"].clone();
    let r = api
        .post(&format!("{inst}users/1/reset_key/"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.body["user_key"], user_key);
}

/// An instance `chans` with the channel `news` that allows custom publish; returns
/// the instance path.
async fn news(api: &Api) -> String {
    let inst = api.instance("chans").await;
    let r = api
        .post(
            &format!("{inst}channels/"),
            json!({"name": "news", "custom_publish": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    inst
}

/// Publishes `payload` to `news` with the account key.
async fn publish_news(api: &Api, inst: &str, payload: Value) -> Reply {
    api.post(
        &format!("{inst}channels/news/publish/"),
        json!({ "payload": payload }),
    )
    .await
}

#[tokio::test]
async fn publishing_answers_the_custom_message() {
    let api = start().await;
    let inst = news(&api).await;
    let r = publish_news(&api, &inst, json!({"a": 1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["payload"], json!({"a": 1}));
    assert_eq!(r.body["action"], "custom");
}

#[tokio::test]
async fn a_channel_without_custom_publish_refuses_publish() {
    let api = start().await;
    let inst = news(&api).await;
    let r = api
        .post(
            &format!("{inst}channels/eventlog/publish/"),
            json!({"payload": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"detail": "Custom publish not allowed on this channel."})
    );
}

#[tokio::test]
async fn a_channel_history_lists_its_messages_in_order() {
    let api = start().await;
    let inst = news(&api).await;
    publish_news(&api, &inst, json!({"a": 1})).await;
    publish_news(&api, &inst, json!({"a": 2})).await;
    let r = api.get(&format!("{inst}channels/news/history/")).await;
    let ids: Vec<i64> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![1, 2]);
}

#[tokio::test]
async fn a_channel_history_after_last_id_lists_the_later_messages() {
    let api = start().await;
    let inst = news(&api).await;
    publish_news(&api, &inst, json!({"a": 1})).await;
    publish_news(&api, &inst, json!({"a": 2})).await;
    let r = api
        .get(&format!("{inst}channels/news/history/?last_id=1"))
        .await;
    assert_eq!(r.body["objects"][0]["payload"], json!({"a": 2}));
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
}

/// Besides `news`: `open` (others may subscribe) and `talk` (others may publish),
/// a plain key and a user `reader`; returns (instance path, key, user key).
async fn reader(api: &Api) -> (String, String, String) {
    let inst = news(api).await;
    let (_, key) = api.api_key(&inst, json!({})).await;
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": "reader", "password": "pw"}),
        )
        .await;
    let user_key = r.body["user_key"].as_str().expect("user key").to_owned();
    let chans = format!("{inst}channels/");
    api.post(
        &chans,
        json!({"name": "open", "other_permissions": "subscribe"}),
    )
    .await;
    api.post(
        &chans,
        json!({"name": "talk", "other_permissions": "publish", "custom_publish": true}),
    )
    .await;
    (inst, key, user_key)
}

#[tokio::test]
async fn a_key_that_allows_no_anonymous_reads_reaches_no_channel_without_a_user() {
    let api = start().await;
    let (inst, key, _) = reader(&api).await;
    let r = api
        .call(Method::GET, &format!("{inst}channels/"), Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_user_lists_the_channels_others_may_subscribe_to() {
    let api = start().await;
    let (inst, key, user_key) = reader(&api).await;
    let r = api
        .call_h(
            Method::GET,
            &format!("{inst}channels/"),
            Some(&key),
            Some(&user_key),
            None,
        )
        .await;
    let mut names: Vec<&str> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, vec!["open", "talk"]);
}

#[tokio::test]
async fn a_channel_the_user_may_not_subscribe_to_is_refused() {
    let api = start().await;
    let (inst, key, user_key) = reader(&api).await;
    let r = api
        .call_h(
            Method::GET,
            &format!("{inst}channels/news/history/"),
            Some(&key),
            Some(&user_key),
            None,
        )
        .await;
    // found, then refused: the platform looks a channel up unfiltered
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_user_publishes_only_where_others_may_publish() {
    let api = start().await;
    let (inst, key, user_key) = reader(&api).await;
    let chans = format!("{inst}channels/");
    let body = Some(json!({"payload": {}}));
    let r = api
        .call_h(
            Method::POST,
            &format!("{chans}open/publish/"),
            Some(&key),
            Some(&user_key),
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .call_h(
            Method::POST,
            &format!("{chans}talk/publish/"),
            Some(&key),
            Some(&user_key),
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

/// An instance `codes` with the script `s` (`print(1)`); returns (instance path,
/// script id).
async fn codes(api: &Api) -> (String, i64) {
    let inst = api.instance("codes").await;
    let r = api
        .post(
            &format!("{inst}snippets/scripts/"),
            json!({"label": "s", "source": "print(1)", "runtime_name": "python3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (inst, r.body["id"].as_i64().expect("id"))
}

#[tokio::test]
async fn running_a_script_is_disabled() {
    let api = start().await;
    let (inst, id) = codes(&api).await;
    let r = api
        .post(
            &format!("{inst}snippets/scripts/{id}/run/"),
            json!({"payload": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": syncano_emulator::EXECUTION_DISABLED})
    );
}

#[tokio::test]
async fn a_script_runtime_must_be_a_known_one() {
    let api = start().await;
    let (inst, _) = codes(&api).await;
    let r = api
        .post(
            &format!("{inst}snippets/scripts/"),
            json!({"label": "s", "source": "x", "runtime_name": "cobol"}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"runtime_name": ["\"cobol\" is not a valid choice."]})
    );
}

#[tokio::test]
async fn a_stored_script_reads_back_with_its_link() {
    let api = start().await;
    let (inst, id) = codes(&api).await;
    let r = api.get(&format!("{inst}snippets/scripts/{id}/")).await;
    assert_eq!(r.body["source"], "print(1)");
    assert_eq!(
        r.body["links"]["self"],
        format!("{inst}snippets/scripts/{id}/").as_str()
    );
}

#[tokio::test]
async fn a_trigger_needs_an_existing_class_and_script() {
    let api = start().await;
    let (inst, id) = codes(&api).await;
    let r = api
        .post(
            &format!("{inst}triggers/"),
            json!({"signal": "post_create", "class": "nope", "script": 999}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({
            "class": ["Object with name=nope does not exist."],
            "script": ["Invalid pk \"999\" - object does not exist."]
        })
    );
    let r = api
        .post(
            &format!("{inst}triggers/"),
            json!({"signal": "post_create", "class": "user_profile", "script": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn a_schedule_checks_its_interval_and_crontab() {
    let api = start().await;
    let (inst, id) = codes(&api).await;
    let sched = format!("{inst}schedules/");
    let r = api
        .post(&sched, json!({"script": id, "interval_sec": 10}))
        .await;
    assert_eq!(
        r.body,
        json!({"interval_sec": ["Ensure this value is greater than or equal to 30."]})
    );
    let r = api
        .post(&sched, json!({"script": id, "crontab": "* *"}))
        .await;
    assert_eq!(
        r.body,
        json!({"crontab": ["Crontab has to have 5 parts specified."]})
    );
}

#[tokio::test]
async fn a_schedule_answers_its_next_run_in_utc() {
    let api = start().await;
    let (inst, id) = codes(&api).await;
    let r = api
        .post(
            &format!("{inst}schedules/"),
            json!({"script": id, "interval_sec": 60}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["scheduled_next"].is_string());
    assert_eq!(r.body["timezone"], "UTC");
}

#[tokio::test]
async fn an_unknown_response_template_is_not_acceptable() {
    let api = start().await;
    let inst = api.instance("codes").await;
    let r = api
        .get(&format!("{inst}classes/?template_response=nope"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn rendering_a_known_template_is_disabled() {
    let api = start().await;
    let inst = api.instance("codes").await;
    let r = api
        .get(&format!(
            "{inst}classes/?template_response=objects_html_table"
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": syncano_emulator::RENDERING_DISABLED})
    );
    let r = api
        .post(
            &format!("{inst}snippets/templates/objects_html_table/render/"),
            json!({"context": {}}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"detail": syncano_emulator::RENDERING_DISABLED})
    );
}

#[tokio::test]
async fn script_runtimes_come_from_the_schemas_choices() {
    let api = start().await;
    let inst = api.instance("codes").await;
    let r = api.get(&format!("{inst}snippets/scripts/runtimes/")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("python3").is_some(), "{:?}", r.body);
}

/// A public script endpoint `hello` on the script of [`codes`]; returns (instance
/// path, its public link).
async fn public_hello(api: &Api) -> (String, String) {
    let (inst, id) = codes(api).await;
    let r = api
        .post(
            &format!("{inst}endpoints/scripts/"),
            json!({"name": "hello", "script": id, "public": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let link = r.body["public_link"]
        .as_str()
        .expect("public link")
        .to_owned();
    (inst, link)
}

#[tokio::test]
async fn a_public_script_endpoint_needs_no_key_and_answers_disabled() {
    let api = start().await;
    let (inst, link) = public_hello(&api).await;
    let r = api
        .call(
            Method::GET,
            &format!("{inst}endpoints/scripts/p/{link}/hello/"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": syncano_emulator::EXECUTION_DISABLED})
    );
}

#[tokio::test]
async fn a_wrong_public_link_is_not_found() {
    let api = start().await;
    let (inst, _) = public_hello(&api).await;
    let r = api
        .call(
            Method::GET,
            &format!("{inst}endpoints/scripts/p/{}/hello/", "0".repeat(40)),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn batch_dispatches_with_the_callers_auth() {
    let api = start().await;
    let inst = api.instance("batches").await;
    api.class(&inst, "item", json!([{"name": "n", "type": "integer"}]))
        .await;
    let objs = format!("{inst}classes/item/objects/");
    let r = api
        .post(
            &format!("{inst}batch/"),
            json!({"requests": [
                {"method": "POST", "path": objs, "body": {"n": 1}},
                {"method": "POST", "path": objs, "body": {"n": "x"}},
                {"method": "GET", "path": format!("{objs}1/")},
                {"method": "DELETE", "path": format!("{objs}99/")},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let codes: Vec<u64> = r
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x["code"].as_u64())
        .collect();
    assert_eq!(codes, vec![201, 400, 200, 404]);
    assert_eq!(r.body[2]["content"]["n"], 1);
    assert_eq!(
        r.body[1]["content"],
        json!({"n": ["A valid integer is required."]})
    );

    let many: Vec<serde_json::Value> = (0..51)
        .map(|_| json!({"method": "GET", "path": objs}))
        .collect();
    let r = api
        .post(&format!("{inst}batch/"), json!({"requests": many}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": "Max requests per batch exceeded (50)."})
    );
    let r = api
        .post(
            &format!("{inst}batch/"),
            json!({"requests": [
                {"method": "GET", "path": objs},
                {"method": "GET", "path": "/v1.1/instances/elsewhere/classes/"},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"requests": [{}, {"path": ["Path needs to point to an endpoint within current instance and API version."]}]})
    );
    let r = api
        .post(
            &format!("{inst}batch/"),
            json!({"requests": [{"method": "POST", "path": format!("{inst}batch/"), "body": {"requests": []}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!([{"code": 405, "content": {"detail": "Batching not allowed."}}])
    );
}

#[tokio::test]
async fn rate_limit_is_off_by_default_and_answers_429_when_on() {
    let api = start().await;
    for _ in 0..30 {
        assert_eq!(
            api.call(Method::GET, "/v1.1/", None, None).await.status,
            StatusCode::OK
        );
    }
    let limited = crate::common::start_with(syncano_emulator::EmulatorConfig {
        rate_limit: Some((60, 10)),
        ..syncano_emulator::EmulatorConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = limited.call(Method::GET, "/v1.1/", None, None).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers.get("retry-after").is_some());
            assert!(r.body["detail"].is_string());
        }
        statuses.push(r.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // a keyed caller has its own budget
    assert_eq!(limited.get("/v1.1/instances/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn channel_poll_waits_for_a_change() {
    let api = std::sync::Arc::new(
        crate::common::start_with(syncano_emulator::EmulatorConfig {
            poll_timeout: std::time::Duration::from_millis(400),
            ..syncano_emulator::EmulatorConfig::default()
        })
        .await,
    );
    let inst = api.instance("polling").await;
    api.post(
        &format!("{inst}channels/"),
        json!({"name": "live", "custom_publish": true}),
    )
    .await;
    // nothing happens: 204 after the timeout
    let started = std::time::Instant::now();
    let r = api.get(&format!("{inst}channels/live/poll/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(started.elapsed() >= std::time::Duration::from_millis(350));
    // a publish while polling wakes the poll
    let poller = {
        let api = api.clone();
        let path = format!("{inst}channels/live/poll/?last_id=0");
        tokio::spawn(async move { api.get(&path).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let r = api
        .post(
            &format!("{inst}channels/live/publish/"),
            json!({"payload": {"hi": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = poller.await.expect("poll task");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["payload"], json!({"hi": 1}));
    // an older last_id answers at once
    let r = api
        .get(&format!("{inst}channels/live/poll/?last_id=0"))
        .await;
    assert_eq!(r.body["id"], 1);
}

/// `apps/channels/v1/views.py` `poll`: without `last_id` a poll waits for the next
/// change, whatever the history holds already.
#[tokio::test]
async fn a_poll_without_last_id_waits_for_the_next_change() {
    let api = std::sync::Arc::new(
        crate::common::start_with(syncano_emulator::EmulatorConfig {
            poll_timeout: std::time::Duration::from_millis(400),
            ..syncano_emulator::EmulatorConfig::default()
        })
        .await,
    );
    let inst = api.instance("pollnext").await;
    api.post(
        &format!("{inst}channels/"),
        json!({"name": "live", "custom_publish": true}),
    )
    .await;
    let publish = |n: i64| {
        let (api, path) = (api.clone(), format!("{inst}channels/live/publish/"));
        async move {
            let r = api.post(&path, json!({"payload": {"n": n}})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        }
    };
    publish(1).await;
    // the history holds a change, but it is not news
    let r = api.get(&format!("{inst}channels/live/poll/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert!(
        !r.headers.contains_key("x-emulator-poll-after"),
        "the internal header stays inside"
    );
    let poller = {
        let (api, path) = (api.clone(), format!("{inst}channels/live/poll/"));
        tokio::spawn(async move { api.get(&path).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    publish(2).await;
    let r = poller.await.expect("poll task");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["payload"], json!({"n": 2}));
}

#[tokio::test]
async fn another_schema_document_can_be_served() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interim-schema.json");
    let api = crate::common::start_with(syncano_emulator::EmulatorConfig {
        schema_path: Some(path.clone()),
        ..syncano_emulator::EmulatorConfig::default()
    })
    .await;
    let r = api.call(Method::GET, "/v1.1/schema/", None, None).await;
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json");
    assert_eq!(r.body, doc);
    let bad = syncano_emulator::Emulator::start(syncano_emulator::EmulatorConfig {
        schema_path: Some(path.with_file_name("missing.json")),
        ..syncano_emulator::EmulatorConfig::default()
    })
    .await;
    assert!(matches!(bad, Err(syncano_emulator::Error::Schema(_))));
}

/// An instance `shared-one` with a `read` invitation for Jane, and Jane's account
/// (registered with her address in lower case); returns (instance path, the
/// invitation's create answer, Jane's account key).
async fn invited_jane(api: &Api) -> (String, Reply, String) {
    let inst = api.instance("shared-one").await;
    let invitation = api
        .post(
            &format!("{inst}invitations/"),
            json!({"email": "Jane@Example.com", "role": "read"}),
        )
        .await;
    assert_eq!(
        invitation.status,
        StatusCode::CREATED,
        "{:?}",
        invitation.body
    );
    let jane = register(api, "jane@example.com").await;
    (inst, invitation, jane)
}

/// Jane's account accepts the invitation `key`.
async fn accept(api: &Api, jane: &str, key: Value) -> Reply {
    api.call(
        Method::POST,
        "/v1.1/account/invitations/accept/",
        Some(jane),
        Some(json!({ "invitation_key": key })),
    )
    .await
}

/// [`invited_jane`] with the invitation accepted: Jane is a `read` admin; returns
/// (instance path, Jane's account key).
async fn jane_admin(api: &Api) -> (String, String) {
    let (inst, invitation, jane) = invited_jane(api).await;
    let r = accept(api, &jane, invitation.body["key"].clone()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    (inst, jane)
}

/// The instance's admins: (owner id, Jane's id).
async fn owner_and_jane(api: &Api, inst: &str) -> (i64, i64) {
    let r = api.get(&format!("{inst}admins/")).await;
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(2));
    (
        r.body["objects"][0]["id"].as_i64().expect("owner id"),
        r.body["objects"][1]["id"].as_i64().expect("jane id"),
    )
}

#[tokio::test]
async fn a_new_invitation_has_a_key_and_is_new() {
    let api = start().await;
    let (_, invitation, _) = invited_jane(&api).await;
    assert!(invitation.body["key"].is_string(), "{:?}", invitation.body);
    assert_eq!(invitation.body["state"], "new");
}

#[tokio::test]
async fn an_invited_account_sees_the_invitation_but_not_the_instance() {
    let api = start().await;
    let (inst, _, jane) = invited_jane(&api).await;
    let r = api
        .call(Method::GET, &format!("{inst}classes/"), Some(&jane), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .call(Method::GET, "/v1.1/account/invitations/", Some(&jane), None)
        .await;
    assert_eq!(
        r.body["objects"][0]["instance"], "shared-one",
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn an_unknown_invitation_key_is_refused() {
    let api = start().await;
    let (_, _, jane) = invited_jane(&api).await;
    let r = accept(&api, &jane, json!("0".repeat(40))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_accepted_invitation_makes_an_admin_with_its_role() {
    let api = start().await;
    let (inst, jane) = jane_admin(&api).await;
    let r = api
        .call(Method::GET, "/v1.1/instances/", Some(&jane), None)
        .await;
    assert_eq!(r.body["objects"][0]["name"], "shared-one");
    assert_eq!(r.body["objects"][0]["role"], "read");
    let r = api
        .call(Method::GET, &format!("{inst}classes/"), Some(&jane), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api
        .call(
            Method::POST,
            &format!("{inst}classes/"),
            Some(&jane),
            Some(json!({"name": "x", "schema": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_accepted_invitation_is_marked_accepted() {
    let api = start().await;
    let (inst, _) = jane_admin(&api).await;
    let r = api.get(&format!("{inst}invitations/")).await;
    assert_eq!(r.body["objects"][0]["state"], "accepted");
}

#[tokio::test]
async fn the_instance_owner_cannot_be_removed_from_its_admins() {
    let api = start().await;
    let (inst, _) = jane_admin(&api).await;
    let (owner_id, _) = owner_and_jane(&api, &inst).await;
    let r = api.delete(&format!("{inst}admins/{owner_id}/")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admins_role_can_be_changed() {
    let api = start().await;
    let (inst, _) = jane_admin(&api).await;
    let (_, jane_id) = owner_and_jane(&api, &inst).await;
    let r = api
        .patch(
            &format!("{inst}admins/{jane_id}/"),
            json!({"role": "write"}),
        )
        .await;
    assert_eq!(r.body["role"], "write");
}

#[tokio::test]
async fn a_removed_admin_loses_the_instance() {
    let api = start().await;
    let (inst, jane) = jane_admin(&api).await;
    let (_, jane_id) = owner_and_jane(&api, &inst).await;
    let r = api.delete(&format!("{inst}admins/{jane_id}/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api
        .call(Method::GET, &format!("{inst}classes/"), Some(&jane), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// `default` and `eventlog` are built into every instance and cannot be deleted, not
/// even by its owner (`apps/channels/permissions.py` `ProtectBuiltinChannel`); other
/// channels can.
#[tokio::test]
async fn built_in_channels_cannot_be_deleted() {
    let api = start().await;
    let inst = api.instance("builtins").await;
    for name in ["default", "eventlog"] {
        let r = api.delete(&format!("{inst}channels/{name}/")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {:?}", r.body);
        assert_eq!(
            api.get(&format!("{inst}channels/{name}/")).await.status,
            StatusCode::OK,
            "{name} is still there"
        );
    }
    let r = api
        .post(&format!("{inst}channels/"), json!({"name": "news"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.delete(&format!("{inst}channels/news/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}
