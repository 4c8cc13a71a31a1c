//! Auth failures and validation errors from the embedded server surface as the SDK's
//! typed errors, with the API's messages.
#![cfg(not(syncano_custom_schema))]

mod support;

use serde_json::json;
use syncano::{ApiKeyCreate, InstanceCreate, ScriptCreate, ScriptRuntimeName, UserCreate};

#[tokio::test]
async fn keys_that_do_not_open_the_door() {
    let (server, client) = support::emulator_admin().await;
    for name in ["first-inst", "second-inst"] {
        client
            .instances()
            .create(&InstanceCreate::new(name))
            .await
            .expect("instance");
    }

    let anonymous = client.without_keys();
    let error = anonymous
        .instances()
        .list()
        .collect()
        .await
        .expect_err("no key");
    assert!(error.is_permission_denied(), "{error}");
    assert_eq!(error.status(), Some(syncano::StatusCode::FORBIDDEN));

    let unknown = client.with_api_key("0".repeat(40));
    let error = unknown
        .instances()
        .list()
        .collect()
        .await
        .expect_err("unknown key");
    assert_eq!(
        error.status(),
        Some(syncano::StatusCode::FORBIDDEN),
        "{error}"
    );
    let detail = error.api().and_then(|api| api.detail.clone());
    assert_eq!(detail.as_deref(), Some("No such API Key."));

    let error = client
        .login(server.account_email(), "not the password")
        .await
        .expect_err("wrong password");
    assert!(error.is_unauthorized(), "{error}");
    assert_eq!(error.status(), Some(syncano::StatusCode::UNAUTHORIZED));

    // An API key of the first instance opens nothing in the second.
    let key = client
        .instances()
        .api_keys("first-inst")
        .create(&ApiKeyCreate {
            ignore_acl: Some(true),
            ..ApiKeyCreate::new()
        })
        .await
        .expect("api key");
    let first_key = client.with_api_key(key.api_key.expect("the new key"));
    first_key
        .instances()
        .classes("first-inst")
        .list()
        .collect()
        .await
        .expect("its own instance");
    let error = first_key
        .instances()
        .classes("second-inst")
        .list()
        .collect()
        .await
        .expect_err("another instance");
    assert_eq!(
        error.status(),
        Some(syncano::StatusCode::FORBIDDEN),
        "{error}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn validation_errors_name_their_fields() {
    let (server, client) = support::emulator_admin().await;
    client
        .instances()
        .create(&InstanceCreate::new("checks"))
        .await
        .expect("instance");

    // Too long: User.username has max_length 64.
    let error = client
        .instances()
        .users("checks")
        .create(&UserCreate::new("secret", "u".repeat(65)))
        .await
        .expect_err("username too long");
    assert!(error.is_validation(), "{error}");
    let fields = &error.api().expect("api error").field_errors;
    assert!(fields.contains_key("username"), "{fields:?}");

    // A choice the server does not know is refused, and named.
    let error = client
        .instances()
        .scripts("checks")
        .create(&ScriptCreate::new(ScriptRuntimeName::Unknown(
            "cobol".into(),
        )))
        .await
        .expect_err("unknown runtime");
    assert!(error.is_validation(), "{error}");
    assert!(
        error
            .api()
            .expect("api error")
            .field_errors
            .contains_key("runtime_name"),
        "{error}"
    );

    // Missing required fields, through the generic request API.
    let error = client
        .request::<_, serde_json::Value>(
            syncano::Method::POST,
            "/v1.1/instances/checks/classes/",
            Some(&json!({})),
        )
        .await
        .expect_err("no name, no schema");
    let fields = &error.api().expect("api error").field_errors;
    assert!(
        fields.contains_key("name") && fields.contains_key("schema"),
        "{fields:?}"
    );
    server.shutdown().await;
}
