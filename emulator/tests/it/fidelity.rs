//! Answers checked against the open-sourced platform (`Syncano/syncano-platform`):
//! one behaviour per test, each naming the platform's source it follows.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use syncano_emulator::EmulatorConfig;

use crate::common::{Api, start, start_with};

/// `apps/core/field_serializers.py`: a JSON field parses a JSON-encoded string.
#[tokio::test]
async fn json_fields_sent_as_strings_are_parsed() {
    let api = start().await;
    let inst = api.instance("strings").await;
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({
                "name": "book",
                "schema": "[{\"name\": \"title\", \"type\": \"string\"}]",
                "metadata": "{}",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        r.body["schema"],
        json!([{"name": "title", "type": "string"}])
    );
    assert_eq!(r.body["metadata"], json!({}));
    let r = api.get(&format!("{inst}classes/book/")).await;
    assert_eq!(r.body["metadata"], json!({}));

    let r = api
        .post(
            &format!("{inst}endpoints/data/"),
            json!({"name": "titles", "class": "book", "query": "{\"title\": {\"_eq\": \"a\"}}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["query"], json!({"title": {"_eq": "a"}}));

    let r = api
        .post(
            &format!("{inst}snippets/scripts/"),
            json!({"runtime_name": "python3", "source": "x", "config": "{\"a\": 1}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["config"], json!({"a": 1}));

    let r = api
        .post(
            &format!("{inst}snippets/templates/"),
            json!({"name": "t", "content": "x", "content_type": "text/plain", "context": "{\"k\": \"v\"}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["context"], json!({"k": "v"}));

    let r = api
        .post(
            &format!("{inst}channels/default/publish/"),
            json!({"payload": "{\"said\": \"hi\"}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["payload"], json!({"said": "hi"}));

    let r = api
        .patch(
            &format!("{inst}classes/book/"),
            json!({"metadata": "{not json"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"metadata": ["Not a valid JSON string."]}));
}

/// `apps/codeboxes/runtimes.py`: `python` and `nodejs` are hidden aliases.
#[tokio::test]
async fn hidden_runtime_aliases_are_accepted_and_not_listed() {
    let api = start().await;
    let inst = api.instance("aliases").await;
    for runtime in ["python", "nodejs"] {
        let r = api
            .post(
                &format!("{inst}snippets/scripts/"),
                json!({"runtime_name": runtime, "source": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{runtime}: {:?}", r.body);
        assert_eq!(r.body["runtime_name"], runtime);
    }
    let r = api
        .post(
            &format!("{inst}snippets/scripts/"),
            json!({"runtime_name": "perl", "source": "x"}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"runtime_name": ["\"perl\" is not a valid choice."]})
    );
    let r = api.get(&format!("{inst}snippets/scripts/runtimes/")).await;
    let listed = r.body.as_object().expect("runtimes");
    assert!(listed.contains_key("python3") && !listed.contains_key("python"));
}

/// `apps/data/field_serializers.py` (`value.url` of the storage): a file URL is
/// absolute, downloadable as it is (with `absolute_file_urls`, the binary's default).
#[tokio::test]
async fn file_fields_answer_absolute_urls() {
    let api = start_with(EmulatorConfig {
        absolute_file_urls: true,
        ..EmulatorConfig::default()
    })
    .await;
    let inst = api.instance("absolute").await;
    api.class(&inst, "doc", json!([{"name": "scan", "type": "file"}]))
        .await;
    let part = reqwest::multipart::Part::bytes(b"%PDF".as_slice())
        .file_name("a.pdf")
        .mime_str("application/pdf")
        .expect("MIME type");
    let form = reqwest::multipart::Form::new().part("scan", part);
    let r = api
        .form(Method::POST, &format!("{inst}classes/doc/objects/"), form)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let url = r.body["scan"]["value"].as_str().expect("URL").to_owned();
    assert!(
        url.starts_with(&format!("{}/media/absolute/doc/", api.base)),
        "{url}"
    );
    let got = api.http.get(&url).send().await.expect("download");
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), b"%PDF");
    // the absolute URL is accepted back as the value of a file field
    let r = api
        .post(&format!("{inst}classes/doc/objects/"), json!({"scan": url}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// `apps/backups/serializers.py`, `models.py`: author, instance name, scheduled.
#[tokio::test]
async fn full_backups_show_author_instance_and_scheduled_status() {
    let api = start().await;
    let inst = api.instance("kept-safe").await;
    let r = api
        .post(&format!("{inst}backups/full/"), json!({"label": "nightly"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "scheduled");
    assert_eq!(r.body["instance"], "kept-safe");
    let account = api.get("/v1.1/account/").await.body;
    assert_eq!(r.body["author"]["id"], account["id"]);
    assert_eq!(r.body["author"]["email"], account["email"]);
    assert!(r.body["author"].get("account_key").is_none());
}

/// `apps/channels/permissions.py` (`EnsureChannelCustomPublish`), `exceptions.py`.
#[tokio::test]
async fn publish_without_custom_publish_is_refused_and_leaves_no_history() {
    let api = start().await;
    let inst = api.instance("quiet").await;
    api.post(&format!("{inst}channels/"), json!({"name": "news"}))
        .await;
    let r = api
        .post(
            &format!("{inst}channels/news/publish/"),
            json!({"payload": {"a": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"detail": "Custom publish not allowed on this channel."})
    );
    let r = api.get(&format!("{inst}channels/news/history/")).await;
    assert_eq!(r.body["objects"], json!([]));
}

/// A key's call with `method` on `path`.
async fn with_key(
    api: &Api,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> StatusCode {
    api.call(method, path, Some(key), body).await.status
}

/// `apps/data/v1/views.py` (the data object permissions, which data endpoints run
/// through): a key without a user and without `allow_anonymous_read` gets 403.
#[tokio::test]
async fn a_plain_key_without_user_may_not_touch_data_objects() {
    let api = start().await;
    let inst = api.instance("guarded").await;
    api.class(&inst, "note", json!([{"name": "t", "type": "string"}]))
        .await;
    api.post(&format!("{inst}classes/note/objects/"), json!({"t": "a"}))
        .await;
    api.post(
        &format!("{inst}endpoints/data/"),
        json!({"name": "notes", "class": "note"}),
    )
    .await;
    let (_, plain) = api.api_key(&inst, json!({})).await;
    let objs = format!("{inst}classes/note/objects/");
    let run = format!("{inst}endpoints/data/notes/get/");
    let forbidden = StatusCode::FORBIDDEN;
    assert_eq!(
        with_key(&api, Method::GET, &run, &plain, None).await,
        forbidden
    );
    assert_eq!(
        with_key(&api, Method::GET, &objs, &plain, None).await,
        forbidden
    );
    let body = Some(json!({"t": "b"}));
    assert_eq!(
        with_key(&api, Method::POST, &objs, &plain, body.clone()).await,
        forbidden
    );
    let post = format!("{inst}endpoints/data/notes/post/");
    assert_eq!(
        with_key(&api, Method::POST, &post, &plain, body.clone()).await,
        forbidden
    );
    let one = format!("{objs}1/");
    assert_eq!(
        with_key(&api, Method::PATCH, &one, &plain, body).await,
        forbidden
    );
    assert_eq!(
        with_key(&api, Method::DELETE, &one, &plain, None).await,
        forbidden
    );
    // allowing anonymous reads opens reads only
    let (_, reader) = api
        .api_key(&inst, json!({"allow_anonymous_read": true}))
        .await;
    assert_eq!(
        with_key(&api, Method::GET, &run, &reader, None).await,
        StatusCode::OK
    );
    let body = Some(json!({"t": "c"}));
    assert_eq!(
        with_key(&api, Method::POST, &objs, &reader, body).await,
        forbidden
    );
}

/// `apps/apikeys/models.py` (`api_key` may read), `v1/views.py` (a key sees itself).
#[tokio::test]
async fn a_plain_key_lists_only_itself_among_api_keys() {
    let api = start().await;
    let inst = api.instance("keyring").await;
    let (other, _) = api.api_key(&inst, json!({"description": "other"})).await;
    let (id, key) = api.api_key(&inst, json!({"description": "mine"})).await;
    let r = api
        .call(Method::GET, &format!("{inst}api_keys/"), Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ids: Vec<i64> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![id]);
    assert_eq!(r.body["objects"][0]["api_key"], key.as_str());
    let own = format!("{inst}api_keys/{id}/");
    assert_eq!(
        with_key(&api, Method::GET, &own, &key, None).await,
        StatusCode::OK
    );
    let theirs = format!("{inst}api_keys/{other}/");
    assert_eq!(
        with_key(&api, Method::GET, &theirs, &key, None).await,
        StatusCode::NOT_FOUND
    );
    let reset = format!("{inst}api_keys/{id}/reset_key/");
    assert_eq!(
        with_key(&api, Method::POST, &reset, &key, None).await,
        StatusCode::FORBIDDEN
    );
}

/// `apps/admins/serializers.py` (`AdminFullSerializer`), `views.py` (`AccountView`).
/// The emulator keeps the account's `links`, which the platform does not show (the
/// SDK's schema-wide round trip follows them).
#[tokio::test]
async fn the_account_detail_has_no_key_and_no_links() {
    let api = start().await;
    let r = api.get("/v1.1/account/").await;
    assert_eq!(r.status, StatusCode::OK);
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .expect("account")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "email",
            "first_name",
            "has_password",
            "id",
            "is_active",
            "last_name",
            "metadata"
        ]
    );
    let r = api
        .patch("/v1.1/account/", json!({"metadata": "{\"a\": 1}"}))
        .await;
    assert_eq!(r.body["metadata"], json!({"a": 1}));
    // login still answers the key
    let r = api
        .call(
            Method::POST,
            "/v1.1/account/auth/",
            None,
            Some(json!({"email": api.emu.account_email(), "password": api.emu.account_password()})),
        )
        .await;
    assert_eq!(r.body["account_key"], api.key.as_str());
}

/// `apps/users/v1/serializers.py`: a user is id, username, profile, groups (and
/// its key); no timestamps.
#[tokio::test]
async fn users_have_no_timestamps() {
    let api = start().await;
    let inst = api.instance("people").await;
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": "ann", "password": "pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for body in [
        r.body.clone(),
        api.get(&format!("{inst}users/")).await.body["objects"][0].clone(),
    ] {
        assert!(
            body.get("created_at").is_none() && body.get("updated_at").is_none(),
            "{body}"
        );
        assert_eq!(body["username"], "ann");
    }
}

/// `apps/response_templates/predefined_templates.py`.
#[tokio::test]
async fn a_new_instance_holds_the_predefined_templates() {
    let api = start().await;
    let inst = api.instance("templated").await;
    let r = api.get(&format!("{inst}snippets/templates/")).await;
    let found: Vec<(&str, &str)> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?, t["content_type"].as_str()?)))
        .collect();
    assert_eq!(
        found,
        [
            ("objects_html_table", "text/html"),
            ("objects_csv", "text/csv")
        ]
    );
    let csv = api
        .get(&format!("{inst}snippets/templates/objects_csv/"))
        .await;
    assert_eq!(csv.body["context"]["delimiter"], ",");
    assert_eq!(csv.body["context"]["fields_to_skip"][0], "id");
}

/// `urls/backend.py`: `v1/` and `v2/` beside `v1.1/`.
#[tokio::test]
async fn v1_and_v2_serve_the_same_api_under_their_own_prefix() {
    let api = start().await;
    api.instance("versions").await;
    for v in ["v1", "v2"] {
        let r = api.get(&format!("/{v}/")).await;
        assert_eq!(r.status, StatusCode::OK, "{v}: {:?}", r.body);
        assert_eq!(r.body["links"]["instances"], format!("/{v}/instances/"));
        let r = api.get(&format!("/{v}/instances/?page_size=1")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["objects"][0]["name"], "versions");
        assert_eq!(
            r.body["objects"][0]["links"]["self"],
            format!("/{v}/instances/versions/")
        );
        let r = api
            .post(
                &format!("/{v}/instances/versions/classes/"),
                json!({"name": format!("c_{v}"), "schema": []}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert_eq!(
            r.body["links"]["self"],
            format!("/{v}/instances/versions/classes/c_{v}/")
        );
    }
    let r = api.get("/v1.1/instances/versions/classes/c_v2/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(api.get("/v3/").await.status, StatusCode::NOT_FOUND);
}

/// `apps/channels/v1/views.py`: the same rule for channels — a key without a user
/// publishes nothing, and reads only when it allows anonymous reads.
#[tokio::test]
async fn a_plain_key_without_user_may_not_publish() {
    let api = start().await;
    let inst = api.instance("muted").await;
    api.post(
        &format!("{inst}channels/"),
        json!({"name": "talk", "other_permissions": "publish", "custom_publish": true}),
    )
    .await;
    let publish = format!("{inst}channels/talk/publish/");
    let body = Some(json!({"payload": {}}));
    let (_, plain) = api.api_key(&inst, json!({})).await;
    let (_, reader) = api
        .api_key(&inst, json!({"allow_anonymous_read": true}))
        .await;
    for key in [&plain, &reader] {
        let status = with_key(&api, Method::POST, &publish, key, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let list = format!("{inst}channels/");
    assert_eq!(
        with_key(&api, Method::GET, &list, &plain, None).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        with_key(&api, Method::GET, &list, &reader, None).await,
        StatusCode::OK
    );
}

/// `apps/channels/permissions.py` `EnsureChannelRoom`, `apps/channels/v1/views.py`
/// (`poll`, `publish`, `ChangeViewSet.initial`): a `separate_rooms` channel is read and
/// published to per room, `RoomRequired` otherwise (a field error given as a string);
/// the history ignores a `last_id` that is no number, a poll refuses it.
#[tokio::test]
async fn separate_rooms_channels_need_a_room() {
    let api = start().await;
    let inst = api.instance("rooms").await;
    let r = api
        .post(
            &format!("{inst}channels/"),
            json!({"name": "chat", "type": "separate_rooms", "custom_publish": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let chat = format!("{inst}channels/chat/");
    let required = json!({"room": "This field is required for channels with separate rooms."});
    let r = api
        .post(&format!("{chat}publish/"), json!({"payload": {"a": 1}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, required);
    let r = api
        .post(
            &format!("{chat}publish/"),
            json!({"payload": {"a": 1}, "room": "lobby"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for path in ["history/", "poll/?last_id=0"] {
        let r = api.get(&format!("{chat}{path}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(r.body, required, "{path}");
    }
    let r = api.get(&format!("{chat}history/?room=lobby")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
    let r = api
        .get(&format!("{chat}history/?room=lobby&last_id=abc"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a bad last_id is ignored: {:?}",
        r.body
    );
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
    let r = api
        .get(&format!("{chat}poll/?room=LOBBY&last_id=abc"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["last_id"][0], "A valid integer is required.");
    // a poll's room is lowercased: the change in `lobby` answers `LOBBY`
    let r = api.get(&format!("{chat}poll/?room=LOBBY&last_id=0")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["payload"], json!({"a": 1}));
}
