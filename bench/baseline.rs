//! The benchmark's baseline: the least an actix-web server can do for a request, which is
//! to answer with a fixed body of the size (and type) the registry's answer has. Same
//! framework, same workers, same loopback; the ratio to it isolates the registry's own work.
//!
//! Usage: bench-baseline --size BYTES --content-type TYPE [--status CODE]

use std::net::TcpListener;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer};

fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let size: usize = argument("--size")
        .and_then(|s| s.parse().ok())
        .expect("--size BYTES");
    let content_type = argument("--content-type").unwrap_or_else(|| "application/json".into());
    let status = argument("--status")
        .and_then(|s| s.parse().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let body = web::Bytes::from(vec![b'x'; size]);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("listening on http://{}", listener.local_addr()?);
    HttpServer::new(move || {
        let (body, content_type) = (body.clone(), content_type.clone());
        App::new().default_service(web::to(move || {
            let (body, content_type) = (body.clone(), content_type.clone());
            async move {
                HttpResponse::build(status)
                    .content_type(content_type)
                    .body(body)
            }
        }))
    })
    .listen(listener)?
    .run()
    .await
}
