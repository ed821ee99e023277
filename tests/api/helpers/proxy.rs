//! A TCP relay in front of PostgreSQL, to stop, cut off or freeze the database under a
//! running node.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A TCP relay in front of PostgreSQL that can be cut (every connection closed, new ones
/// refused, as when the server stops) and restored on the same port, or frozen (sockets
/// stay open and bytes are accepted but held back, as in a network partition) and thawed.
pub struct Proxy {
    pub address: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    frozen: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            address: listener.local_addr().unwrap(),
            target,
            tasks: Arc::default(),
            frozen: watch::channel(false).0,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (target, tasks, frozen) = (self.target, Arc::clone(&self.tasks), self.frozen.clone());
        let acceptor = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let frozen = frozen.subscribe();
                let relay = tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(target).await {
                        let (client_read, client_write) = inbound.into_split();
                        let (server_read, server_write) = outbound.into_split();
                        tokio::join!(
                            pump(client_read, server_write, frozen.clone()),
                            pump(server_read, client_write, frozen),
                        );
                    }
                });
                tasks.lock().unwrap().push(relay);
            }
        });
        self.tasks.lock().unwrap().push(acceptor);
    }

    /// Returns once every relay is gone: an aborted task lets go of its sockets only when
    /// its runtime drops it, and a request sent before that could still get through.
    pub async fn cut(&self) {
        loop {
            let tasks: Vec<_> = self.tasks.lock().unwrap().drain(..).collect();
            if tasks.is_empty() {
                return;
            }
            tasks.iter().for_each(JoinHandle::abort);
            for task in tasks {
                let _ = task.await;
            }
        }
    }

    pub async fn restore(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => return self.serve(listener),
                Err(e) if Instant::now() < deadline => {
                    eprintln!("rebinding the proxy: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot rebind the proxy: {e}"),
            }
        }
    }

    pub fn freeze(&self, frozen: bool) {
        self.frozen.send_replace(frozen);
    }
}

/// Copies one direction; while frozen, what was read is held until the thaw.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut frozen: watch::Receiver<bool>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        while *frozen.borrow_and_update() {
            if frozen.changed().await.is_err() {
                return;
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// `postgres://user@host:port/db?query` → (host:port, the URL with `via` as host:port).
pub fn reroute(url: &str, via: SocketAddr) -> (SocketAddr, String) {
    use std::net::ToSocketAddrs;
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest
        .rsplit_once('@')
        .map_or((None, rest), |(u, r)| (Some(u), r));
    let (authority, path) = rest.split_once('/').unwrap();
    let with_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    };
    let target = with_port
        .to_socket_addrs()
        .expect("host:port in TEST_DATABASE_URL")
        .find(SocketAddr::is_ipv4)
        .expect("an IPv4 address for the database host");
    let user = user.map(|u| format!("{u}@")).unwrap_or_default();
    (target, format!("{scheme}://{user}{via}/{path}"))
}
