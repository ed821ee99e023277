//! The seed's integration example in Rust: a small HTTP server that answers "Hello,
//! world!", registers itself in the live registry on startup (30 s timeout, tag `api`),
//! heartbeats while it runs, and removes itself on Ctrl-C.
//!
//! ```sh
//! SRCTL_URL=http://127.0.0.1:35357 SRCTL_USERNAME=alice SRCTL_PASSWORD='correct horse battery' \
//!     cargo run -p service-registry-client --example web_server -- 127.0.0.1:8080
//! ```

use std::collections::BTreeMap;

use service_registry_client::{Client, Credentials};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&bind).await?;
    let address = listener.local_addr()?;

    let credentials = match (env("SRCTL_API_KEY"), env("SRCTL_PASSWORD")) {
        (Some(api_key), _) => Credentials::ApiKey {
            username: env("SRCTL_USERNAME").ok_or("SRCTL_USERNAME is not set")?,
            api_key,
        },
        (None, Some(password)) => Credentials::Password {
            username: env("SRCTL_USERNAME").ok_or("SRCTL_USERNAME is not set")?,
            password,
        },
        (None, None) => Credentials::Token {
            token: env("SRCTL_TOKEN")
                .ok_or("set SRCTL_USERNAME and SRCTL_PASSWORD, or SRCTL_TOKEN")?,
            tenant_id: env("SRCTL_TENANT_ID").ok_or("SRCTL_TENANT_ID is not set")?,
        },
    };
    let mut builder =
        Client::builder(env("SRCTL_URL").unwrap_or_else(|| "http://127.0.0.1:35357".into()))
            .credentials(credentials);
    if let Some(tenant) = env("SRCTL_TENANT_ID") {
        builder = builder.tenant_id(tenant);
    }
    let client = builder.build()?;

    let id = env("SERVICE_ID").unwrap_or_else(|| format!("web-{}", address.port()));
    let metadata = BTreeMap::from([("address".to_owned(), format!("http://{address}"))]);
    let (service, heartbeater) = client
        .services()
        .register(&id, 30, vec!["api".into()], metadata)
        .await?;
    let heartbeats = heartbeater.start();
    println!("serving http://{address}, registered as '{}'", service.id);

    let server = async {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, world!")
                    .await;
            });
        }
    };
    tokio::select! {
        () = server => {}
        _ = tokio::signal::ctrl_c() => {}
        stopped = heartbeats.stopped() => {
            eprintln!("heartbeats stopped: {stopped:?}");
            return Err("the registry no longer knows this service".into());
        }
    }
    client.services().delete(&service.id).await?;
    println!("removed '{}' from the registry", service.id);
    Ok(())
}
