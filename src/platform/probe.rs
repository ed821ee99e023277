//! The node's requests to itself, which measure how long a request waits to be read.
//!
//! A request that reaches a busy node waits behind the connections and tasks ready before
//! it; a worker's timer sees only a floor of that wait ([`super::intake`]). So the node
//! keeps one connection per HTTP worker to a loopback listener served by the same workers
//! and sends a tiny request on each every [`EVERY`]: it waits in the same line as the
//! fleet's requests, and its wait, while it waits and once answered, is the node's unread
//! lag. The answer is given by the outermost middleware, before any log line or metric,
//! and only on that listener, which serves nothing else: elsewhere the path is as unknown
//! as any other.
//! Connections new to the node (waiting to be accepted) are not measured.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use prometheus::IntCounterVec;

use super::intake::IntakeLag;
use super::workers::{StopSignal, Workers};

/// How often each connection sends a probe.
pub const EVERY: Duration = Duration::from_millis(100);
/// A probe unanswered this long is dropped with its connection: a node that far behind is
/// past any outage threshold already, and a lost probe must not hold the
/// registry's clock for ever.
const GIVE_UP: Duration = Duration::from_secs(30);
const PATH: &str = "/_intake-probe";
const REQUEST: &[u8] = b"GET /_intake-probe HTTP/1.1\r\nHost: probe\r\n\r\n";

/// The loopback listener the probes go to: served by the node's HTTP workers beside its
/// public listener.
#[derive(Clone, Copy)]
pub struct ProbeListener(pub SocketAddr);

impl ProbeListener {
    pub fn bind() -> std::io::Result<(Self, TcpListener)> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        Ok((Self(listener.local_addr()?), listener))
    }

    /// Starts `connections` probes (one per HTTP worker), which stop with the workers;
    /// each probe's outcome is counted in `outcomes` (answered, failed, unanswered).
    pub fn start(
        self,
        workers: &mut Workers,
        lag: &IntakeLag,
        connections: usize,
        outcomes: &IntCounterVec,
    ) {
        for slot in 0..connections {
            let probe = Probe {
                address: self.0,
                lag: lag.clone(),
                slot,
                outcomes: outcomes.clone(),
            };
            workers.spawn("intake probe", move |stop| probe.run(stop));
        }
    }
}

/// The outermost middleware: on the probe listener, 204 for a probe and 404 for anything
/// else (the API is served on the listeners the settings name, with their TLS, only).
pub async fn answer(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let on_probe_listener = request
        .app_data::<ProbeListener>()
        .is_some_and(|listener| listener.0 == request.app_config().local_addr());
    if on_probe_listener {
        let response = if request.path() == PATH {
            HttpResponse::NoContent().finish()
        } else {
            HttpResponse::NotFound().finish()
        };
        return Ok(request.into_response(response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}

struct Probe {
    address: SocketAddr,
    lag: IntakeLag,
    slot: usize,
    outcomes: IntCounterVec,
}

impl Probe {
    async fn run(self, mut stop: StopSignal) {
        let (lag, slot) = (&self.lag, self.slot);
        let mut connection: Option<BufReader<TcpStream>> = None;
        loop {
            tokio::select! {
                () = stop.stopped() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
            lag.probe_sent(slot);
            let exchange = exchange(self.address, connection.take());
            let exchanged = tokio::select! {
                () = stop.stopped() => return lag.probe_lost(slot),
                exchanged = tokio::time::timeout(GIVE_UP, exchange) => exchanged,
            };
            let outcome = match exchanged {
                Ok(Ok(kept)) => {
                    lag.probe_answered(slot);
                    connection = Some(kept);
                    "answered"
                }
                Ok(Err(error)) => {
                    log::debug!("an intake probe failed: {error}");
                    lag.probe_lost(slot);
                    "failed"
                }
                Err(_) => {
                    log::warn!("an intake probe went unanswered for {GIVE_UP:?}; reconnecting");
                    lag.probe_lost(slot);
                    "unanswered"
                }
            };
            self.outcomes.with_label_values(&[outcome]).inc();
        }
    }
}

/// One probe on `connection` (a new one when there is none); the connection, to keep.
async fn exchange(
    address: SocketAddr,
    connection: Option<BufReader<TcpStream>>,
) -> std::io::Result<BufReader<TcpStream>> {
    let mut connection = match connection {
        Some(connection) => connection,
        None => BufReader::new(TcpStream::connect(address).await?),
    };
    connection.get_mut().write_all(REQUEST).await?;
    let mut line = String::new();
    connection.read_line(&mut line).await?;
    if !line.starts_with("HTTP/1.1 204") {
        return Err(std::io::Error::other(format!("answered {line:?}")));
    }
    // The head ends with an empty line; a 204 has no body.
    loop {
        line.clear();
        if connection.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            return Ok(connection);
        }
    }
}
