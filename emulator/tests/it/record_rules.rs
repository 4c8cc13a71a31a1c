//! The platform's rules on single records that the permission table cannot say:
//! what a user key reaches among users, memberships and devices, names that must
//! be slugs, and the channel rules of data objects.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Api, start};

/// An instance with a plain API key: (instance path, plain key).
async fn instance_with_key(api: &Api, name: &str) -> (String, String) {
    let inst = api.instance(name).await;
    let (_, key) = api.api_key(&inst, json!({})).await;
    (inst, key)
}

fn ids(body: &Value) -> Vec<i64> {
    body["objects"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_user_key_reaches_only_its_own_user() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "selfonly").await;
    let (ann, ann_key) = api.user(&inst, &api.key, "ann").await;
    let (bob, _) = api.user(&inst, &api.key, "bob").await;
    let as_ann = |m: Method, path: String, body: Option<Value>| {
        let (api, key, ann_key) = (&api, key.clone(), ann_key.clone());
        async move { api.call_h(m, &path, Some(&key), Some(&ann_key), body).await }
    };
    let list = as_ann(Method::GET, format!("{inst}users/"), None).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(ids(&list.body), vec![ann]);
    for m in [Method::GET, Method::PATCH] {
        let r = as_ann(m.clone(), format!("{inst}users/{bob}/"), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{m} bob: {:?}", r.body);
    }
    let r = as_ann(Method::POST, format!("{inst}users/{bob}/reset_key/"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "reset bob's key");
    let r = as_ann(Method::GET, format!("{inst}users/{ann}/"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // deleting users is for admins and ignore_acl keys, even one's own
    let r = as_ann(Method::DELETE, format!("{inst}users/{ann}/"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get(&format!("{inst}users/")).await.body["objects"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn usernames_are_stored_lowercase_and_match_in_any_case() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "usernames").await;
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": " Alice ", "password": "p"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["username"], "alice");
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": "ALICE", "password": "q"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["username"][0], "This field must be unique.");
    let r = api
        .call(
            Method::POST,
            &format!("{inst}user/auth/"),
            Some(&key),
            Some(json!({"username": "aLiCe", "password": "p"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["username"], "alice");
}

#[tokio::test]
async fn a_user_key_reads_only_its_own_memberships() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "members").await;
    let (ann, ann_key) = api.user(&inst, &api.key, "ann").await;
    let (bob, _) = api.user(&inst, &api.key, "bob").await;
    let g = api
        .post(&format!("{inst}groups/"), json!({"label": "crew"}))
        .await;
    let g = g.body["id"].as_i64().expect("group id");
    for u in [ann, bob] {
        let r = api
            .post(&format!("{inst}groups/{g}/users/"), json!({"user": u}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let get = |path: String| {
        let (api, key, ann_key) = (&api, key.clone(), ann_key.clone());
        async move {
            api.call_h(Method::GET, &path, Some(&key), Some(&ann_key), None)
                .await
        }
    };
    let own = get(format!("{inst}users/{ann}/groups/")).await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    assert_eq!(own.body["objects"][0]["group"]["id"], g);
    let other = get(format!("{inst}users/{bob}/groups/")).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let members = get(format!("{inst}groups/{g}/users/")).await;
    assert_eq!(members.status, StatusCode::OK, "{:?}", members.body);
    let shown: Vec<&Value> = members.body["objects"]
        .as_array()
        .map(|a| a.iter().map(|m| &m["user"]["id"]).collect())
        .unwrap_or_default();
    assert_eq!(shown, vec![&json!(ann)]);
    let r = get(format!("{inst}groups/{g}/users/{bob}/")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // adding members is for admins
    let r = api
        .call_h(
            Method::POST,
            &format!("{inst}groups/{g}/users/"),
            Some(&key),
            Some(&ann_key),
            Some(json!({"user": ann})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_user_key_reaches_only_its_own_devices() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "devices").await;
    let (ann, ann_key) = api.user(&inst, &api.key, "ann").await;
    let (bob, bob_key) = api.user(&inst, &api.key, "bob").await;
    let devices = format!("{inst}push_notifications/gcm/devices/");
    let r = api
        .call_h(
            Method::POST,
            &devices,
            Some(&key),
            Some(&ann_key),
            Some(json!({"registration_id": "ann-phone"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["user"], ann, "registered to its user");
    let phone = format!("{devices}ann-phone/");
    let r = api
        .call_h(Method::GET, &phone, Some(&key), Some(&bob_key), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .call_h(Method::GET, &devices, Some(&key), Some(&bob_key), None)
        .await;
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(0));
    let r = api
        .call_h(
            Method::PATCH,
            &phone,
            Some(&key),
            Some(&ann_key),
            Some(json!({"user": bob})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["user"][0], "Cannot change owner of Device.");
    let r = api
        .call_h(Method::DELETE, &phone, Some(&key), Some(&bob_key), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&phone).await.status, StatusCode::OK, "still there");
}

#[tokio::test]
async fn channel_endpoint_and_template_names_are_slugs() {
    let api = start().await;
    let inst = api.instance("slugs").await;
    let r = api
        .post(&format!("{inst}channels/"), json!({"name": " News "}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["name"], "news", "lowercased and stripped");
    assert_eq!(
        r.body["links"]["self"],
        format!("{inst}channels/news/").as_str()
    );
    for (path, bad, want) in [
        ("channels/", "..", "Value has to start with a letter."),
        ("channels/", "1st", "Value has to start with a letter."),
        (
            "channels/",
            "ends-",
            "Value has to end with a letter or a number.",
        ),
        (
            "endpoints/data/",
            "a b",
            "Enter a valid value consisting of letters, numbers, underscores, hyphens.",
        ),
        (
            "snippets/templates/",
            "x%2fy",
            "Enter a valid value consisting of letters, numbers, underscores, hyphens.",
        ),
    ] {
        let r = api
            .post(
                &format!("{inst}{path}"),
                json!({"name": bad, "class": "user_profile", "content": "x", "content_type": "text/html"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{path} {bad:?}: {:?}",
            r.body
        );
        let errors = r.body["name"].as_array().cloned().unwrap_or_default();
        assert!(errors.contains(&json!(want)), "{path} {bad:?}: {errors:?}");
    }
    let r = api
        .post(
            &format!("{inst}endpoints/data/"),
            json!({"name": "people", "class": "user_profile"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api
        .post(
            &format!("{inst}endpoints/data/people/rename/"),
            json!({"new_name": "x/../../y"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert!(r.body["new_name"].is_array());
    assert_eq!(
        api.get(&format!("{inst}endpoints/data/people/"))
            .await
            .status,
        StatusCode::OK
    );
}

/// A class `book` open to everyone, channels `open` (anyone publishes) and `quiet`
/// (anyone subscribes), and a user with its keys: (instance, key, user key).
async fn channels_and_user(api: &Api, name: &str) -> (String, String, String) {
    let (inst, key) = instance_with_key(api, name).await;
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": "book", "schema": [{"name": "title", "type": "string"}],
                   "other_permissions": "create_objects"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for (channel, other) in [("open", "publish"), ("quiet", "subscribe")] {
        let r = api
            .post(
                &format!("{inst}channels/"),
                json!({"name": channel, "other_permissions": other, "custom_publish": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let (_, user_key) = api.user(&inst, &api.key, "ann").await;
    (inst, key, user_key)
}

#[tokio::test]
async fn an_objects_channel_is_set_on_create_only() {
    let api = start().await;
    let (inst, _, _) = channels_and_user(&api, "chanro").await;
    let objects = format!("{inst}classes/book/objects/");
    let r = api
        .post(
            &objects,
            json!({"title": "a", "channel": "open", "channel_room": "r1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let r = api
        .patch(
            &format!("{objects}{id}/"),
            json!({"channel": "quiet", "channel_room": "r2", "title": "b"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["channel"], "open");
    assert_eq!(r.body["channel_room"], "r1");
    assert_eq!(r.body["title"], "b");
}

#[tokio::test]
async fn a_user_writes_objects_only_into_channels_it_may_publish_to() {
    let api = start().await;
    let (inst, key, user_key) = channels_and_user(&api, "chanpub").await;
    let objects = format!("{inst}classes/book/objects/");
    let post = |channel: &'static str| {
        let (api, objects, key, user_key) = (&api, objects.clone(), key.clone(), user_key.clone());
        async move {
            api.call_h(
                Method::POST,
                &objects,
                Some(&key),
                Some(&user_key),
                Some(json!({"title": "t", "channel": channel})),
            )
            .await
        }
    };
    let r = post("quiet").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(
        r.body["detail"],
        "You do not have permission to publish data to specified channel."
    );
    assert_eq!(
        ids(&api.get(&objects).await.body),
        Vec::<i64>::new(),
        "nothing written"
    );
    let history = api.get(&format!("{inst}channels/quiet/history/")).await;
    assert_eq!(history.body["objects"].as_array().map(Vec::len), Some(0));
    let r = post("open").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn keys_do_not_run_script_endpoints() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "runners").await;
    for name in ["missing", "other"] {
        let r = api
            .call(
                Method::POST,
                &format!("{inst}endpoints/scripts/{name}/run/"),
                Some(&key),
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {:?}", r.body);
        assert_eq!(
            r.body["detail"], "You do not have permission to perform this action.",
            "no word on which endpoints exist"
        );
    }
}

/// Registers another account and returns its key.
async fn stranger(api: &Api) -> String {
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/register/",
            None,
            Some(json!({"email": "stranger@example.com", "password": "stranger-pw"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["account_key"]
        .as_str()
        .expect("account key")
        .to_owned()
}

#[tokio::test]
async fn options_tells_nothing_before_the_caller_is_known_and_allowed() {
    let api = start().await;
    let inst = api.instance("optionsauth").await;
    api.class(
        &inst,
        "secret",
        json!([{"name": "codename", "type": "string"}]),
    )
    .await;
    let other = api.instance("otherinst").await;
    let (_, other_key) = api.api_key(&other, json!({})).await;
    let stranger = stranger(&api).await;
    let path = format!("{inst}classes/secret/objects/");
    for (who, key, status) in [
        ("no key", None, StatusCode::FORBIDDEN),
        (
            "another instance's key",
            Some(other_key.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (
            "another account",
            Some(stranger.as_str()),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = api.call(Method::OPTIONS, &path, key, None).await;
        assert_eq!(r.status, status, "{who}: {:?}", r.body);
        assert!(
            !r.body.to_string().contains("codename"),
            "{who} learnt a field name: {:?}",
            r.body
        );
    }
    // the owner still gets the metadata, with the class's own fields
    let r = api.call(Method::OPTIONS, &path, Some(&api.key), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.to_string().contains("codename"), "{:?}", r.body);
}

#[tokio::test]
async fn a_data_endpoint_of_a_class_closed_to_others_is_closed_to_users() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "closedclass").await;
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": "vault", "schema": [{"name": "n", "type": "integer"}],
                   "other_permissions": "none"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api
        .post(
            &format!("{inst}classes/vault/objects/"),
            json!({"n": 1, "other_permissions": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let r = api
        .post(
            &format!("{inst}endpoints/data/"),
            json!({"name": "vaulted", "class": "vault"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (_, user_key) = api.user(&inst, &api.key, "ann").await;
    for path in [
        format!("{inst}endpoints/data/vaulted/get/"),
        format!("{inst}classes/vault/objects/"),
        format!("{inst}classes/vault/objects/{id}/"),
    ] {
        let r = api
            .call_h(Method::GET, &path, Some(&key), Some(&user_key), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {:?}", r.body);
    }
    // the class itself is hidden from the key
    let r = api
        .call_h(
            Method::GET,
            &format!("{inst}classes/vault/"),
            Some(&key),
            Some(&user_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn group_names_are_unique_lowercase_slugs_and_members_join_once() {
    let api = start().await;
    let inst = api.instance("groupnames").await;
    let groups = format!("{inst}groups/");
    let r = api
        .post(&groups, json!({"name": "Crew", "label": "The crew"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["name"], "crew");
    let id = r.body["id"].as_i64().expect("id");
    let r = api.post(&groups, json!({"name": "CREW"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["name"][0], "This field must be unique.");
    let r = api.post(&groups, json!({"name": "a b"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["name"].is_array(), "{:?}", r.body);
    // a group keeps its own name on update
    let r = api
        .patch(
            &format!("{groups}{id}/"),
            json!({"name": "crew", "label": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (ann, _) = api.user(&inst, &api.key, "ann").await;
    let members = format!("{groups}{id}/users/");
    assert_eq!(
        api.post(&members, json!({"user": ann})).await.status,
        StatusCode::CREATED
    );
    let r = api.post(&members, json!({"user": ann})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["detail"], "User is already a part of that group.");
}

#[tokio::test]
async fn instance_and_class_names_follow_the_platforms_slug_rules() {
    let api = start().await;
    for (name, want) in [
        (
            "media",
            "Unable to use that value. Please choose a different one.",
        ),
        ("my--shop", "Double hyphens are reserved."),
        (
            "my_shop",
            "Enter a valid value consisting of letters, numbers, hyphens.",
        ),
        ("shop-", "Value has to end with a letter or a number."),
        ("9shop", "Value has to start with a letter."),
    ] {
        let r = api.post("/v1.1/instances/", json!({"name": name})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {:?}", r.body);
        let errors = r.body["name"].as_array().cloned().unwrap_or_default();
        assert!(errors.contains(&json!(want)), "{name}: {errors:?}");
    }
    let r = api
        .post("/v1.1/instances/", json!({"name": " My-Shop "}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["name"], "my-shop");
    let inst = "/v1.1/instances/my-shop/";
    for (name, want) in [
        (
            "users",
            "Unable to use that value. Please choose a different one.",
        ),
        (
            "my-class",
            "Enter a valid value consisting of letters, numbers, underscores.",
        ),
        ("_books", "Value has to start with a letter."),
    ] {
        let r = api
            .post(
                &format!("{inst}classes/"),
                json!({"name": name, "schema": []}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {:?}", r.body);
        let errors = r.body["name"].as_array().cloned().unwrap_or_default();
        assert!(errors.contains(&json!(want)), "{name}: {errors:?}");
    }
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": "My_Books", "schema": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["name"], "my_books");
}

#[tokio::test]
async fn a_refused_object_write_into_a_channel_leaves_its_file_alone() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "chanfiles").await;
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": "doc", "schema": [{"name": "f", "type": "file"}],
                   "other_permissions": "create_objects"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api
        .post(
            &format!("{inst}channels/"),
            json!({"name": "quiet", "other_permissions": "subscribe"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (ann, ann_key) = api.user(&inst, &api.key, "ann").await;
    // the admin files an object of ann's (she may write it) into the quiet channel
    let form = reqwest::multipart::Form::new()
        .text("owner", ann.to_string())
        .text("owner_permissions", "full")
        .text("channel", "quiet")
        .part(
            "f",
            reqwest::multipart::Part::bytes(b"original".to_vec()).file_name("a.txt"),
        );
    let r = api
        .form(Method::POST, &format!("{inst}classes/doc/objects/"), form)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let url = r.body["f"]["value"].as_str().expect("file url").to_owned();
    let object = format!("{}{inst}classes/doc/objects/{id}/", api.base);
    let as_ann = |form: reqwest::multipart::Form| {
        api.http
            .patch(&object)
            .header("X-API-KEY", &key)
            .header("X-USER-KEY", &ann_key)
            .multipart(form)
            .send()
    };
    let r = as_ann(reqwest::multipart::Form::new().part(
        "f",
        reqwest::multipart::Part::bytes(b"EVIL".to_vec()).file_name("b.txt"),
    ))
    .await
    .expect("sent");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = api
        .call_h(
            Method::PATCH,
            &format!("{inst}classes/doc/objects/{id}/"),
            Some(&key),
            Some(&ann_key),
            Some(json!({"f": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let bytes = api
        .http
        .get(&url)
        .send()
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("body");
    assert_eq!(
        &bytes[..],
        b"original",
        "the refused writes changed nothing"
    );
}

#[tokio::test]
async fn a_data_endpoint_never_creates_user_profiles() {
    let api = start().await;
    let inst = api.instance("noprofiles").await;
    let r = api
        .post(
            &format!("{inst}endpoints/data/"),
            json!({"name": "prof", "class": "user_profile"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api
        .post(&format!("{inst}endpoints/data/prof/post/"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
}

#[tokio::test]
async fn options_on_the_objects_of_a_class_closed_to_the_caller_is_refused() {
    let api = start().await;
    let (inst, key) = instance_with_key(&api, "optionsclosed").await;
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": "secret", "schema": [{"name": "ssn_number", "type": "string"}],
                   "other_permissions": "none"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (_, user_key) = api.user(&inst, &api.key, "ann").await;
    let r = api
        .call_h(
            Method::OPTIONS,
            &format!("{inst}classes/secret/objects/"),
            Some(&key),
            Some(&user_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.to_string().contains("ssn_number"), "{:?}", r.body);
}

#[tokio::test]
async fn batches_keep_their_api_version_and_refuse_polls() {
    let api = start().await;
    let inst = api.instance("batchver").await;
    let r = api
        .post(
            &format!("{inst}channels/"),
            json!({"name": "live", "custom_publish": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v2 = inst.replacen("/v1.1/", "/v2/", 1);
    let r = api
        .post(
            &format!("{v2}batch/"),
            json!({"requests": [{"method": "GET", "path": format!("{v2}channels/live/")}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body[0]["code"], 200, "{:?}", r.body);
    assert_eq!(
        r.body[0]["content"]["links"]["self"],
        format!("{v2}channels/live/").as_str()
    );
    let r = api
        .post(
            &format!("{inst}batch/"),
            json!({"requests": [{"method": "GET", "path": format!("{inst}channels/live/poll/")}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body[0]["code"], 405, "{:?}", r.body);
    assert_eq!(r.body[0]["content"]["detail"], "Batching not allowed.");
}

#[tokio::test]
async fn the_instance_name_in_a_path_is_read_lowercase() {
    let api = start().await;
    api.instance("casing").await;
    let r = api.get("/v1.1/instances/CASING/").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["name"], "casing");
    // an undeclared method is judged by the table first: a plain key may not delete
    // the class list, so it learns nothing about the method
    let (_, key) = api.api_key("/v1.1/instances/casing/", json!({})).await;
    let r = api
        .call(
            Method::DELETE,
            "/v1.1/instances/casing/classes/",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
