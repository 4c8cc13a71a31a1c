//! Classes and data objects: schema validation, revisions, expected_revision,
//! write operators, ids per instance, ACL, fields selection, filters.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Api, Reply, start};

/// The schema of the `book` class the class and object tests share.
fn book_schema() -> Value {
    json!([
        {"name": "title", "type": "string", "filter_index": true, "order_index": true},
        {"name": "pages", "type": "integer", "filter_index": true, "order_index": true},
        {"name": "tags", "type": "array", "filter_index": true},
        {"name": "isbn", "type": "string", "unique": true}
    ])
}

/// An instance `library` with the `book` class; returns (instance path, objects path,
/// the class's create answer).
async fn library(api: &Api) -> (String, String, Value) {
    let inst = api.instance("library").await;
    let created = api.class(&inst, "book", book_schema()).await;
    let objs = format!("{inst}classes/book/objects/");
    (inst, objs, created)
}

/// Creates the book "Dune" (the instance's first object, id 1) and returns the answer.
async fn dune(api: &Api, objs: &str) -> Reply {
    let r = api
        .post(
            objs,
            json!({"title": "Dune", "pages": 412, "tags": ["a"], "isbn": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r
}

#[tokio::test]
async fn a_class_schema_must_be_a_list_of_fields() {
    let api = start().await;
    let inst = api.instance("library").await;
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": "book", "schema": "nope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["schema"].is_array(), "{:?}", r.body);
}

#[tokio::test]
async fn a_new_class_is_migrating_then_ready() {
    let api = start().await;
    let (inst, _, c) = library(&api).await;
    assert_eq!(c["status"], "migrating");
    assert_eq!(c["objects_count"], 0);
    let r = api.get(&format!("{inst}classes/book/")).await;
    assert_eq!(r.body["status"], "ready");
}

#[tokio::test]
async fn an_object_field_is_validated_by_its_type() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    let r = api
        .post(&objs, json!({"title": "Dune", "pages": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"pages": ["A valid integer is required."]}));
}

#[tokio::test]
async fn a_new_object_answers_its_id_revision_and_link() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    let r = dune(&api, &objs).await;
    // user_profile of no user yet: first object id is 1
    assert_eq!(r.body["id"], 1);
    assert_eq!(r.body["revision"], 1);
    assert_eq!(r.body["links"]["self"], format!("{objs}1/").as_str());
}

#[tokio::test]
async fn a_unique_field_refuses_a_repeated_value() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    let r = api.post(&objs, json!({"title": "Emma", "isbn": "1"})).await;
    assert_eq!(r.body, json!({"isbn": ["This field must be unique."]}));
}

/// Writes `_increment` to `pages` and `_add`/`_addunique` to `tags` of object 1,
/// taking it to revision 3; returns both answers.
async fn write_operators(api: &Api, objs: &str) -> (Reply, Reply) {
    let increment = api
        .patch(&format!("{objs}1/"), json!({"pages": {"_increment": 8}}))
        .await;
    let add = api
        .patch(
            &format!("{objs}1/"),
            json!({"tags": {"_add": ["b"], "_addunique": ["a"]}}),
        )
        .await;
    (increment, add)
}

#[tokio::test]
async fn write_operators_apply_and_every_write_raises_the_revision() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    let (r, add) = write_operators(&api, &objs).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["pages"], 420);
    assert_eq!(r.body["revision"], 2);
    assert_eq!(add.body["tags"], json!(["a", "b"]));
    assert_eq!(add.body["revision"], 3);
}

#[tokio::test]
async fn an_object_write_checks_the_expected_revision() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    write_operators(&api, &objs).await;
    let r = api
        .patch(
            &format!("{objs}1/"),
            json!({"title": "X", "expected_revision": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"expected_revision": "Revision mismatch. Expected 1, got 3."})
    );
    let r = api
        .call(
            Method::POST,
            &format!("{objs}1/"),
            Some(&api.key),
            Some(json!({"title": "Dune Messiah", "expected_revision": 3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["revision"], 4);
    assert_eq!(r.body["title"], "Dune Messiah");
}

#[tokio::test]
async fn object_ids_come_from_one_sequence_per_instance() {
    let api = start().await;
    let (inst, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    api.class(&inst, "author", json!([{"name": "name", "type": "string"}]))
        .await;
    let r = api
        .post(
            &format!("{inst}classes/author/objects/"),
            json!({"name": "F"}),
        )
        .await;
    assert_eq!(r.body["id"], 2);
    let r = api
        .post(
            &format!("{inst}users/"),
            json!({"username": "u", "password": "p"}),
        )
        .await;
    assert_eq!(r.body["profile"]["id"], 3);
}

#[tokio::test]
async fn an_objects_owner_links_to_the_user() {
    let api = start().await;
    let (inst, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    api.post(
        &format!("{inst}users/"),
        json!({"username": "u", "password": "p"}),
    )
    .await;
    let r = api.patch(&format!("{objs}1/"), json!({"owner": 1})).await;
    assert_eq!(r.body["links"]["owner"], format!("{inst}users/1/").as_str());
}

#[tokio::test]
async fn links_show_references_only_when_set() {
    let api = start().await;
    let (inst, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    let r = api.get(&format!("{objs}1/")).await;
    assert!(r.body["links"].get("group").is_none());
    let r = api.get(&format!("{inst}classes/book/")).await;
    assert!(
        r.body["links"].get("group").is_none(),
        "{:?}",
        r.body["links"]
    );
    assert_eq!(r.body["links"]["objects"], objs.as_str());
}

#[tokio::test]
async fn options_on_objects_lists_the_class_fields() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    let r = api.call(Method::OPTIONS, &objs, Some(&api.key), None).await;
    assert_eq!(r.body["actions"]["POST"]["pages"]["type"], "integer");
}

#[tokio::test]
async fn fields_and_excluded_fields_select_what_an_object_shows() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    let r = api.get(&format!("{objs}1/?fields=id,title")).await;
    let keys: Vec<&String> = r.body.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 2, "{:?}", r.body);
    let r = api.get(&format!("{objs}1/?excluded_fields=title")).await;
    assert!(r.body.get("title").is_none());
    assert!(r.body.get("pages").is_some());
}

#[tokio::test]
async fn a_schema_change_raises_the_class_revision() {
    let api = start().await;
    let (inst, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    let r = api.get(&format!("{inst}classes/book/")).await;
    let rev = r.body["revision"].as_i64().expect("revision");
    let r = api
        .patch(
            &format!("{inst}classes/book/"),
            json!({"schema": [
                {"name": "title", "type": "string", "filter_index": true, "order_index": true},
                {"name": "pages", "type": "integer", "filter_index": true, "order_index": true},
                {"name": "tags", "type": "array", "filter_index": true},
                {"name": "isbn", "type": "string", "unique": true},
                {"name": "year", "type": "integer"}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["revision"].as_i64(), Some(rev + 1));
    assert_eq!(r.body["objects_count"], 1);
    let r = api
        .patch(
            &format!("{inst}classes/book/"),
            json!({"description": "d", "expected_revision": 99}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"expected_revision": format!("Revision mismatch. Expected 99, got {}.", rev + 1)})
    );
}

#[tokio::test]
async fn a_deleted_object_is_gone() {
    let api = start().await;
    let (_, objs, _) = library(&api).await;
    dune(&api, &objs).await;
    let r = api.delete(&format!("{objs}1/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&format!("{objs}1/")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn object_acl_for_keys_and_users() {
    let api = start().await;
    let inst = api.instance("acl-test").await;
    api.class(&inst, "note", json!([{"name": "text", "type": "string"}]))
        .await;
    let (_, plain) = api.api_key(&inst, json!({"allow_user_create": true})).await;
    let (_, full) = api.api_key(&inst, json!({"ignore_acl": true})).await;
    let (_, ukey) = api.user(&inst, &plain, "a").await;
    let objs = format!("{inst}classes/note/objects/");
    // a user creates an object: they own it
    let r = api
        .call_h(
            Method::POST,
            &objs,
            Some(&plain),
            Some(&ukey),
            Some(json!({"text": "mine"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["owner"].is_i64());
    // the admin creates one nobody else can read
    let admins = api.post(&objs, json!({"text": "admin's"})).await.body["id"]
        .as_i64()
        .expect("id");

    let r = api.call(Method::GET, &objs, Some(&plain), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .call_h(Method::GET, &objs, Some(&plain), Some(&ukey), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let texts: Vec<&str> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["text"].as_str())
        .collect();
    assert_eq!(texts, vec!["mine"]);
    let r = api.call(Method::GET, &objs, Some(&full), None).await;
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(2));
    // the admin's object is invisible to the user: filtered out, 404
    let r = api
        .call_h(
            Method::GET,
            &format!("{objs}{admins}/"),
            Some(&plain),
            Some(&ukey),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // an unknown user key is ignored (the key alone is used)
    let r = api
        .call_h(
            Method::GET,
            &objs,
            Some(&plain),
            Some(&"f".repeat(40)),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // a user reads their own profile (and only theirs) through the objects endpoint
    api.post(
        &format!("{inst}users/"),
        json!({"username": "b", "password": "p"}),
    )
    .await;
    let r = api
        .call_h(
            Method::GET,
            &format!("{inst}classes/user_profile/objects/"),
            Some(&plain),
            Some(&ukey),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
    // profiles are made with users, never by hand; the profile class stays
    let r = api
        .post(&format!("{inst}classes/user_profile/objects/"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.delete(&format!("{inst}classes/user_profile/")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

fn texts(v: &Value) -> Vec<String> {
    v["objects"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn query_filter_operators_and_errors() {
    let api = start().await;
    let inst = api.instance("filters").await;
    api.class(
        &inst,
        "book",
        json!([
            {"name": "title", "type": "string", "filter_index": true},
            {"name": "pages", "type": "integer", "filter_index": true},
            {"name": "note", "type": "string"}
        ]),
    )
    .await;
    let objs = format!("{inst}classes/book/objects/");
    for (t, p) in [("Alpha", 100), ("beta", 200), ("Gamma", 300)] {
        api.post(&objs, json!({"title": t, "pages": p, "note": "n"}))
            .await;
    }
    let q = |query: Value| {
        let s = serde_json::to_string(&query).expect("json");
        let enc: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
        format!("{objs}?query={enc}")
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"pages": {"_gt": 100}}), vec!["beta", "Gamma"]),
        (json!({"pages": {"_gte": 200, "_lt": 300}}), vec!["beta"]),
        (json!({"pages": {"_lte": 100}}), vec!["Alpha"]),
        (json!({"pages": {"_eq": 300}}), vec!["Gamma"]),
        (json!({"pages": {"_neq": 300}}), vec!["Alpha", "beta"]),
        (
            json!({"pages": {"_in": [100, 300]}}),
            vec!["Alpha", "Gamma"],
        ),
        (json!({"pages": {"_nin": [100, 300]}}), vec!["beta"]),
        (
            json!({"title": {"_exists": true}}),
            vec!["Alpha", "beta", "Gamma"],
        ),
        (json!({"title": {"_contains": "amm"}}), vec!["Gamma"]),
        (
            json!({"title": {"_icontains": "A"}}),
            vec!["Alpha", "beta", "Gamma"],
        ),
        (json!({"title": {"_startswith": "Al"}}), vec!["Alpha"]),
        (json!({"title": {"_istartswith": "b"}}), vec!["beta"]),
        (json!({"title": {"_endswith": "ta"}}), vec!["beta"]),
        (json!({"title": {"_iendswith": "MA"}}), vec!["Gamma"]),
        (json!({"title": {"_ieq": "ALPHA"}}), vec!["Alpha"]),
        (json!({"title": {"_like": "G%"}}), vec!["Gamma"]),
        (json!({"title": {"_ilike": "g%"}}), vec!["Gamma"]),
        (
            json!({"id": {"_gt": 1}, "pages": {"_lt": 300}}),
            vec!["beta"],
        ),
    ];
    for (query, want) in cases {
        let r = api.get(&q(query.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {:?}", r.body);
        let mut got = texts(&r.body);
        got.sort();
        let mut want: Vec<String> = want.into_iter().map(str::to_owned).collect();
        want.sort();
        assert_eq!(got, want, "{query}");
    }
    // errors are {"query": "<message>"}
    for bad in [
        json!({"note": {"_eq": "n"}}),
        json!({"pages": {"_foo": 1}}),
        json!({"nope": {"_eq": 1}}),
    ] {
        let r = api.get(&q(bad.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body["query"].is_string(), "{bad}: {:?}", r.body);
    }
    let r = api.get(&format!("{objs}?query=%7Bnot-json")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["query"].is_string());
}

#[tokio::test]
async fn data_endpoints_channels_on_objects_and_singletons() {
    let api = start().await;
    let inst = api.instance("extras").await;
    api.class(
        &inst,
        "item",
        json!([{"name": "n", "type": "integer", "filter_index": true, "order_index": true}]),
    )
    .await;
    let objs = format!("{inst}classes/item/objects/");
    for n in 1..=5 {
        api.post(&objs, json!({"n": n, "channel": "default"})).await;
    }
    let r = api
        .post(
            &format!("{inst}endpoints/data/"),
            json!({"name": "big", "class": "item", "query": {"n": {"_gte": 3}}, "order_by": "-n"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.get(&format!("{inst}endpoints/data/big/get/")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ns: Vec<i64> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["n"].as_i64())
        .collect();
    assert_eq!(ns, vec![5, 4, 3]);
    let r = api
        .post(&format!("{inst}endpoints/data/big/post/"), json!({"n": 9}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["n"], 9);
    let r = api
        .post(
            &format!("{inst}endpoints/data/big/rename/"),
            json!({"new_name": "large"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["links"]["self"],
        format!("{inst}endpoints/data/large/").as_str()
    );
    assert_eq!(
        api.get(&format!("{inst}endpoints/data/big/")).await.status,
        StatusCode::NOT_FOUND
    );

    // object writes on a channel appear in its history
    let r = api.get(&format!("{inst}channels/default/history/")).await;
    let actions: Vec<&str> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["create"; 5]);
    api.patch(&format!("{objs}1/"), json!({"n": 10})).await;
    api.delete(&format!("{objs}1/")).await;
    let r = api
        .get(&format!("{inst}channels/default/history/?last_id=5"))
        .await;
    let actions: Vec<&str> = r.body["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["update", "delete"]);

    // singleton config: readable at once, updatable
    let r = api.get(&format!("{inst}snippets/config/")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api
        .patch(
            &format!("{inst}snippets/config/"),
            json!({"config": {"k": "v"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get(&format!("{inst}snippets/config/")).await;
    assert_eq!(r.body["config"], json!({"k": "v"}));
}

#[tokio::test]
async fn hosting_defaults() {
    // push notification messages: push.rs
    let api = start().await;
    let inst = api.instance("pushing").await;
    let hosting = format!("{inst}hosting/");
    let a = api.post(&hosting, json!({"name": "a"})).await.body["id"]
        .as_i64()
        .expect("id");
    let b = api.post(&hosting, json!({"name": "b"})).await.body["id"]
        .as_i64()
        .expect("id");
    let r = api
        .post(&format!("{hosting}{a}/set_default/"), json!({}))
        .await;
    assert_eq!(r.body["is_default"], true);
    api.post(&format!("{hosting}{b}/set_default/"), json!({}))
        .await;
    assert_eq!(
        api.get(&format!("{hosting}{a}/")).await.body["is_default"],
        false
    );
    assert_eq!(
        api.get(&format!("{hosting}{b}/")).await.body["is_default"],
        true
    );
}

#[tokio::test]
async fn deleting_scripts_and_classes_cascades() {
    let api = start().await;
    let inst = api.instance("cascade").await;
    api.class(&inst, "thing", json!([])).await;
    let r = api
        .post(
            &format!("{inst}snippets/scripts/"),
            json!({"runtime_name": "python3"}),
        )
        .await;
    let script = r.body["id"].as_i64().expect("script id");
    let trig = api
        .post(
            &format!("{inst}triggers/"),
            json!({"signal": "post_create", "class": "thing", "script": script}),
        )
        .await;
    assert_eq!(trig.status, StatusCode::CREATED, "{:?}", trig.body);
    let sched = api
        .post(
            &format!("{inst}schedules/"),
            json!({"script": script, "interval_sec": 60}),
        )
        .await;
    let ep = api
        .post(
            &format!("{inst}endpoints/scripts/"),
            json!({"name": "ep", "script": script}),
        )
        .await;
    let data = api
        .post(
            &format!("{inst}endpoints/data/"),
            json!({"name": "d", "class": "thing"}),
        )
        .await;
    assert_eq!(data.status, StatusCode::CREATED, "{:?}", data.body);
    let link = |v: &Value| v["links"]["self"].as_str().expect("self").to_owned();
    assert_eq!(
        api.delete(&format!("{inst}classes/thing/")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get(&link(&trig.body)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(&link(&data.body)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get(&link(&sched.body)).await.status, StatusCode::OK);
    assert_eq!(
        api.delete(&format!("{inst}snippets/scripts/{script}/"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get(&link(&sched.body)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get(&link(&ep.body)).await.status, StatusCode::NOT_FOUND);
}

/// The platform's serializer rules on a data object's system fields
/// (`apps/data/v1/serializers.py`): a user's new object is his own, a user may not
/// change an object's owner (nobody a user profile's), a key caller's permissions are
/// capped at its own level on the object, and a user may only name a group he is in.
/// Users `ann` and `bob` of an instance with a `note` class, and a note `ann` created
/// naming `bob` as owner, writable by others.
struct AnnsNote {
    inst: String,
    plain: String,
    ann: i64,
    ann_key: String,
    bob: i64,
    bob_key: String,
    /// The note's path.
    obj: String,
    /// The note's create answer.
    created: Value,
}

async fn anns_note(api: &Api) -> AnnsNote {
    let inst = api.instance("serializer-rules").await;
    api.class(&inst, "note", json!([{"name": "text", "type": "string"}]))
        .await;
    let (_, plain) = api.api_key(&inst, json!({"allow_user_create": true})).await;
    let (ann, ann_key) = api.user(&inst, &plain, "ann").await;
    let (bob, bob_key) = api.user(&inst, &plain, "bob").await;
    let objs = format!("{inst}classes/note/objects/");
    let r = api
        .call_h(
            Method::POST,
            &objs,
            Some(&plain),
            Some(&ann_key),
            Some(json!({"text": "ann's", "owner": bob, "other_permissions": "write"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    AnnsNote {
        obj: format!("{objs}{id}/"),
        created: r.body,
        inst,
        plain,
        ann,
        ann_key,
        bob,
        bob_key,
    }
}

impl AnnsNote {
    /// PATCH the note as the user with key `user_key`.
    async fn patch_as(&self, api: &Api, user_key: &str, body: Value) -> Reply {
        api.call_h(
            Method::PATCH,
            &self.obj,
            Some(&self.plain),
            Some(user_key),
            Some(body),
        )
        .await
    }
}

#[tokio::test]
async fn a_user_creating_an_object_for_someone_else_owns_it_himself() {
    let api = start().await;
    let note = anns_note(&api).await;
    assert_eq!(note.created["owner"], json!(note.ann));
}

#[tokio::test]
async fn a_user_who_may_write_an_object_cannot_take_it_over() {
    let api = start().await;
    let note = anns_note(&api).await;
    let r = note
        .patch_as(&api, &note.bob_key, json!({"owner": note.bob}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"owner": ["Cannot change owner of Data Object."]})
    );
}

#[tokio::test]
async fn a_user_cannot_grant_more_than_he_holds() {
    let api = start().await;
    let note = anns_note(&api).await;
    let r = note
        .patch_as(&api, &note.bob_key, json!({"other_permissions": "full"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["other_permissions"], json!("write"));
    // so he still cannot delete it
    let r = api
        .call_h(
            Method::DELETE,
            &note.obj,
            Some(&note.plain),
            Some(&note.bob_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_owner_may_name_himself_owner_again() {
    let api = start().await;
    let note = anns_note(&api).await;
    let r = note
        .patch_as(&api, &note.ann_key, json!({"owner": note.ann}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn a_user_may_set_only_a_group_he_is_a_member_of() {
    let api = start().await;
    let note = anns_note(&api).await;
    let group = api
        .post(
            &format!("{}groups/", note.inst),
            json!({"label": "editors"}),
        )
        .await
        .body["id"]
        .as_i64()
        .expect("group");
    let r = note
        .patch_as(&api, &note.ann_key, json!({"group": group}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"group": ["Invalid group specified."]}));
    let r = api
        .post(
            &format!("{}users/{}/groups/", note.inst, note.ann),
            json!({"group": group}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = note
        .patch_as(&api, &note.ann_key, json!({"group": group}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn the_admin_may_reassign_a_data_object_but_not_a_user_profile() {
    let api = start().await;
    let note = anns_note(&api).await;
    let r = api.patch(&note.obj, json!({"owner": note.bob})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["owner"], json!(note.bob));
    let profiles = format!("{}classes/user_profile/objects/", note.inst);
    let r = api.get(&profiles).await;
    let profile = r.body["objects"][0]["id"].as_i64().expect("a profile");
    let r = api
        .patch(&format!("{profiles}{profile}/"), json!({"owner": note.bob}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"owner": ["Cannot change owner of User Profile object."]})
    );
}

/// A class its keys may not read closes each of its objects too, whatever the object's
/// own permissions say (`apps/data/permissions.py` `HasKlassReadPermission`).
#[tokio::test]
async fn a_class_without_read_permission_closes_its_objects_detail() {
    let api = start().await;
    let inst = api.instance("closed-class").await;
    api.class(&inst, "note", json!([{"name": "text", "type": "string"}]))
        .await;
    let (_, plain) = api.api_key(&inst, json!({"allow_user_create": true})).await;
    let (_, key) = api.user(&inst, &plain, "ann").await;
    let objs = format!("{inst}classes/note/objects/");
    let r = api
        .call_h(
            Method::POST,
            &objs,
            Some(&plain),
            Some(&key),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let obj = format!("{objs}{}/", r.body["id"]);
    let r = api
        .call_h(Method::GET, &obj, Some(&plain), Some(&key), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the owner reads it while the class is open"
    );
    let r = api
        .patch(
            &format!("{inst}classes/note/"),
            json!({"other_permissions": "none"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"text": "y"}))),
    ] {
        let r = api
            .call_h(method.clone(), &obj, Some(&plain), Some(&key), body)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method}: {:?}", r.body);
    }
    // the admin still reads it
    assert_eq!(api.get(&obj).await.status, StatusCode::OK);
}
