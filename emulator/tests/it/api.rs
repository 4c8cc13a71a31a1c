//! Protocol, auth, accounts, instances, users, channels, batch.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::start;

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

#[tokio::test]
async fn instance_defaults_rename_and_tenancy() {
    let api = start().await;
    let r = api.post("/v1.1/instances/", json!({"name": "ab"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["name"].is_array(), "{:?}", r.body);
    let r = api.post("/v1.1/instances/", json!({})).await;
    assert_eq!(r.body, json!({"name": ["This field is required."]}));

    let r = api
        .post(
            "/v1.1/instances/",
            json!({"name": "my-shop", "description": "shop"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
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
    // the create answer shows `api_key` as the role; reading it back shows the caller's
    assert_eq!(r.body["role"], "api_key");
    assert_eq!(
        api.get("/v1.1/instances/my-shop/").await.body["role"],
        "full"
    );
    let created = r.body["created_at"].as_str().expect("created_at");
    assert_eq!(created.len(), "2026-11-22T17:37:25.474230Z".len());
    assert!(created.ends_with('Z'));
    let r = api
        .post("/v1.1/instances/", json!({"name": "MY-SHOP"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"name": ["This field must be unique."]}));

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

    // read-only name ignored on update, description written
    let r = api
        .patch(
            "/v1.1/instances/my-shop/",
            json!({"name": "other", "description": "new"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "my-shop");
    assert_eq!(r.body["description"], "new");

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

    // another account sees none of it
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/register/",
            None,
            Some(json!({"email": "other@example.com", "password": "pw"})),
        )
        .await;
    let other = r.body["account_key"].as_str().expect("key").to_owned();
    let r = api
        .call(Method::GET, "/v1.1/instances/", Some(&other), None)
        .await;
    assert_eq!(r.body["objects"], json!([]));
    let r = api
        .call(
            Method::GET,
            "/v1.1/instances/my-store/classes/",
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // a key of one instance is unknown in another
    let inst_b = api.instance("second").await;
    let (_, key_a) = api
        .api_key("/v1.1/instances/my-store/", json!({"ignore_acl": true}))
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
            "/v1.1/instances/my-store/classes/",
            Some(&key_a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = api.delete("/v1.1/instances/my-store/").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/v1.1/instances/my-store/classes/").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn api_keys_users_and_user_keys() {
    let api = start().await;
    let inst = api.instance("people").await;
    let (kid, plain) = api
        .api_key(
            &inst,
            json!({"description": "app", "allow_user_create": true}),
        )
        .await;
    assert_eq!(kid, 1);
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

    let r = api
        .call(
            Method::POST,
            &format!("{inst}users/"),
            Some(&plain),
            Some(json!({"username": "john", "password": "pw1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["id"], 1);
    assert!(r.body.get("password").is_none());
    assert!(r.body["profile"]["id"].is_i64(), "{:?}", r.body);
    let user_key = r.body["user_key"].as_str().expect("user key").to_owned();

    let r = api
        .call(
            Method::POST,
            &format!("{inst}users/"),
            Some(&plain),
            Some(json!({"username": "x"})),
        )
        .await;
    assert_eq!(r.body, json!({"password": ["This field is required."]}));

    let r = api
        .call(
            Method::POST,
            &format!("{inst}user/auth/"),
            Some(&plain),
            Some(json!({"username": "john", "password": "bad"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, json!({"detail": "Invalid password."}));
    let r = api
        .call(
            Method::POST,
            &format!("{inst}user/auth/"),
            Some(&plain),
            Some(json!({"username": "nobody", "password": "bad"})),
        )
        .await;
    assert_eq!(r.body, json!({"detail": "Invalid username."}));
    let r = api
        .call(
            Method::POST,
            &format!("{inst}user/auth/"),
            Some(&plain),
            Some(json!({"username": "john", "password": "pw1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user_key"], user_key.as_str());

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

    // groups and memberships from both sides
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

    // profiles follow the user_profile class
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
    // reset the user key
    let r = api
        .post(&format!("{inst}users/1/reset_key/"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.body["user_key"], user_key.as_str());
}

#[tokio::test]
async fn channels_publish_and_history() {
    let api = start().await;
    let inst = api.instance("chans").await;
    let r = api
        .post(
            &format!("{inst}channels/"),
            json!({"name": "news", "custom_publish": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api
        .post(
            &format!("{inst}channels/news/publish/"),
            json!({"payload": {"a": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["payload"], json!({"a": 1}));
    assert_eq!(r.body["action"], "custom");
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
    api.post(
        &format!("{inst}channels/news/publish/"),
        json!({"payload": {"a": 2}}),
    )
    .await;
    let r = api.get(&format!("{inst}channels/news/history/")).await;
    let ids: Vec<i64> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![1, 2]);
    // keys with a user: subscribe to see, publish to publish
    let (_, key) = api.api_key(&inst, json!({})).await;
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": "reader", "password": "pw"}),
        )
        .await;
    let user_key = r.body["user_key"].as_str().expect("user key").to_owned();
    // without a user key, a key that allows no anonymous reads reaches no channel
    let r = api
        .call(Method::GET, &format!("{inst}channels/"), Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
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
    let r = api
        .call_h(Method::GET, &chans, Some(&key), Some(&user_key), None)
        .await;
    let mut names: Vec<&str> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, vec!["open", "talk"]);
    let r = api
        .call_h(
            Method::GET,
            &format!("{chans}news/history/"),
            Some(&key),
            Some(&user_key),
            None,
        )
        .await;
    // found, then refused: the platform looks a channel up unfiltered
    assert_eq!(r.status, StatusCode::FORBIDDEN);
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
    let r = api
        .get(&format!("{inst}channels/news/history/?last_id=1"))
        .await;
    assert_eq!(r.body["objects"][0]["payload"], json!({"a": 2}));
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn run_endpoints_are_disabled_scripts_are_stored() {
    let api = start().await;
    let inst = api.instance("codes").await;
    let r = api
        .post(
            &format!("{inst}snippets/scripts/"),
            json!({"label": "s", "source": "print(1)", "runtime_name": "python3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
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
    let r = api.get(&format!("{inst}snippets/scripts/{id}/")).await;
    assert_eq!(r.body["source"], "print(1)");
    assert_eq!(
        r.body["links"]["self"],
        format!("{inst}snippets/scripts/{id}/").as_str()
    );
    // references must exist
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
    // schedules: interval bounds, crontab shape, the next run
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
    let r = api
        .post(&sched, json!({"script": id, "interval_sec": 60}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["scheduled_next"].is_string());
    assert_eq!(r.body["timezone"], "UTC");
    // response templates: unknown → 406, known → rendering is disabled
    let r = api
        .get(&format!("{inst}classes/?template_response=nope"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
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
    // runtimes come from the schema's choices
    let r = api.get(&format!("{inst}snippets/scripts/runtimes/")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("python3").is_some(), "{:?}", r.body);
    // public script endpoints: no key, 404 for a wrong link, else disabled
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

#[tokio::test]
async fn invitations_make_admins_with_roles() {
    let api = start().await;
    let inst = api.instance("shared-one").await;
    let r = api
        .post(
            &format!("{inst}invitations/"),
            json!({"email": "Jane@Example.com", "role": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let key = r.body["key"].as_str().expect("key").to_owned();
    assert_eq!(r.body["state"], "new");
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/register/",
            None,
            Some(json!({"email": "jane@example.com", "password": "pw"})),
        )
        .await;
    let jane = r.body["account_key"].as_str().expect("key").to_owned();
    // not an admin yet
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
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/invitations/accept/",
            Some(&jane),
            Some(json!({"invitation_key": "0".repeat(40)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/invitations/accept/",
            Some(&jane),
            Some(json!({"invitation_key": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
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
    let r = api.get(&format!("{inst}admins/")).await;
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(2));
    let owner_id = r.body["objects"][0]["id"].as_i64().expect("owner id");
    let jane_id = r.body["objects"][1]["id"].as_i64().expect("jane id");
    let r = api.delete(&format!("{inst}admins/{owner_id}/")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .patch(
            &format!("{inst}admins/{jane_id}/"),
            json!({"role": "write"}),
        )
        .await;
    assert_eq!(r.body["role"], "write");
    let r = api.delete(&format!("{inst}admins/{jane_id}/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api
        .call(Method::GET, &format!("{inst}classes/"), Some(&jane), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get(&format!("{inst}invitations/")).await;
    assert_eq!(r.body["objects"][0]["state"], "accepted");
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
