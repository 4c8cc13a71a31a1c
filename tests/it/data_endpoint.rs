//! A data endpoint's stored query, run through the typed `get_objects` list against the
//! embedded server: paged like the class's objects, filtered and ordered as stored.
#![cfg(not(syncano_custom_schema))]

use crate::support;

use serde_json::json;
use syncano::{ClassCreate, DataEndpointCreate, DataObjectCreate, InstanceCreate};

#[tokio::test]
async fn get_objects_pages_through_the_stored_query() {
    let (server, client) = support::emulator_admin().await;
    let instance = client
        .instances()
        .create(&InstanceCreate::new("data-endpoints"))
        .await
        .expect("instance");
    let classes = client.instances().classes(&instance.name);
    let schema =
        json!([{"name": "n", "type": "integer", "filter_index": true, "order_index": true}]);
    classes
        .create(&ClassCreate::new("numbers", schema))
        .await
        .expect("class");
    let numbers = classes.objects::<serde_json::Value>("numbers");
    for n in 0..30 {
        numbers
            .create(&DataObjectCreate::new(json!({ "n": n })))
            .await
            .expect("object");
    }
    let endpoints = client.instances().data(&instance.name);
    endpoints
        .create(&DataEndpointCreate {
            query: Some(json!({"n": {"_gte": 10}})),
            order_by: Some("-n".to_owned()),
            page_size: Some(7),
            ..DataEndpointCreate::new("numbers", "big-numbers")
        })
        .await
        .expect("data endpoint");

    let first = endpoints
        .get_objects("big-numbers")
        .page()
        .await
        .expect("first page");
    let first_values: Vec<_> = first.objects.iter().map(|o| o.data["n"].clone()).collect();
    assert_eq!(
        first_values,
        (23..30).rev().map(|n| json!(n)).collect::<Vec<_>>()
    );

    let all = endpoints
        .get_objects("big-numbers")
        .collect()
        .await
        .expect("every page");
    let values: Vec<_> = all.iter().map(|o| o.data["n"].clone()).collect();
    assert_eq!(values, (10..30).rev().map(|n| json!(n)).collect::<Vec<_>>());
    server.shutdown().await;
}
