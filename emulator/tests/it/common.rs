//! Helpers shared by the integration tests: start an emulator on a free
//! loopback port and talk to it with reqwest.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

pub struct Api {
    pub emu: RunningEmulator,
    pub http: Client,
    pub base: String,
    pub key: String,
}

pub async fn start() -> Api {
    start_with(EmulatorConfig::default()).await
}

pub async fn start_with(cfg: EmulatorConfig) -> Api {
    let emu = Emulator::start(cfg).await.expect("emulator starts");
    let base = emu.base_url();
    let key = emu.account_key().to_owned();
    Api {
        emu,
        http: Client::new(),
        base,
        key,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.call_h(method, path, key, None, body).await
    }

    pub async fn call_h(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        user_key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(k) = key {
            rb = rb.header("X-API-KEY", k);
        }
        if let Some(u) = user_key {
            rb = rb.header("X-USER-KEY", u);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "non-JSON body for {path}: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Reply {
            status,
            body,
            headers,
        }
    }

    /// POST `path` with the account key and `body` sent as is under `content_type`
    /// (bodies a JSON client would never produce).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-API-KEY", &self.key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status();
        (status, resp.json().await.expect("a JSON answer"))
    }

    /// `method path` with a `multipart/form-data` body, with the account key.
    pub async fn form(&self, method: Method, path: &str, form: reqwest::multipart::Form) -> Reply {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-API-KEY", &self.key)
            .multipart(form)
            .send()
            .await
            .expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, Some(&self.key.clone()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(&self.key.clone()), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(&self.key.clone()), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(&self.key.clone()), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, Some(&self.key.clone()), None)
            .await
    }

    /// Creates an instance and returns its base path `/v1.1/instances/<name>/`.
    pub async fn instance(&self, name: &str) -> String {
        let r = self.post("/v1.1/instances/", json!({"name": name})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        format!("/v1.1/instances/{name}/")
    }

    /// Creates a class with a schema.
    pub async fn class(&self, inst: &str, name: &str, schema: Value) -> Value {
        let r = self
            .post(
                &format!("{inst}classes/"),
                json!({"name": name, "schema": schema}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body
    }

    /// Sets the GCM API key of `environment` (what a push message for it needs).
    pub async fn gcm_key(&self, inst: &str, environment: &str) {
        let r = self
            .patch(
                &format!("{inst}push_notifications/gcm/config/"),
                json!({ format!("{environment}_api_key"): "AIza-emulator" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }

    /// Uploads the APNS certificate of `environment`, and its bundle identifier if
    /// given (both are what an APNS message for it needs).
    pub async fn apns_config(&self, inst: &str, environment: &str, bundle: Option<&str>) {
        let cert = reqwest::multipart::Part::bytes(b"p12 bytes".as_slice())
            .file_name(format!("{environment}.p12"))
            .mime_str("application/x-pkcs12")
            .expect("a MIME type");
        let mut form =
            reqwest::multipart::Form::new().part(format!("{environment}_certificate"), cert);
        if let Some(b) = bundle {
            form = form.text(format!("{environment}_bundle_identifier"), b.to_owned());
        }
        let r = self
            .form(
                Method::PATCH,
                &format!("{inst}push_notifications/apns/config/"),
                form,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }

    /// Registers a user `username` (password `p`) through the instance key `key` and
    /// returns (id, user key).
    pub async fn user(&self, inst: &str, key: &str, username: &str) -> (i64, String) {
        let r = self
            .call(
                Method::POST,
                &format!("{inst}users/"),
                Some(key),
                Some(json!({"username": username, "password": "p"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        (
            r.body["id"].as_i64().expect("id"),
            r.body["user_key"].as_str().expect("user key").to_owned(),
        )
    }

    /// Creates an API key and returns (id, key).
    pub async fn api_key(&self, inst: &str, body: Value) -> (i64, String) {
        let r = self.post(&format!("{inst}api_keys/"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        (
            r.body["id"].as_i64().expect("id"),
            r.body["api_key"].as_str().expect("api_key").to_owned(),
        )
    }
}
