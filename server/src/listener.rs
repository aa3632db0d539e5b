//! The accept loop: what `axum::serve` does, written out for one setting it
//! does not offer. hyper buffers a request's head before anything of ours
//! runs; by default it lets that buffer grow to about 400 KiB per connection,
//! so a client could make every connection cost that much memory before the
//! 16 KiB check in `http::headers` ever sees the request. Here hyper stops at
//! `HEAD_BUFFER_LIMIT`, answers 431 itself and closes the connection.
//!
//! Two more limits stop a slowloris (thousands of connections that never
//! finish a request head, until the process runs out of file descriptors and
//! nobody is answered): a head must arrive within `head_timeout`, and one
//! client address may hold only `connections_per_client` connections; past
//! that, a new one is closed unanswered.
//!
//! Shutdown is graceful: once `shutdown` completes no connection is accepted,
//! each open one finishes the request it is serving and closes (an idle one
//! at once), and `serve` returns when the last has closed.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::watch};
use tower::ServiceExt;

use crate::proxies::client_block;

use crate::config::Config;

/// The most hyper buffers of a request head (line and headers). Past the
/// contract's 16 KiB (`http::headers::HEADER_LIMIT`, answered with the JSON
/// error) and under this, our middleware answers; past this, hyper does.
pub const HEAD_BUFFER_LIMIT: usize = 64 * 1024;

pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: &Config,
    shutdown: impl Future<Output = ()>,
) {
    let open_per_client = OpenPerClient::default();
    // Each connection holds a receiver; a message asks them to close, and
    // the sender learns when the last receiver is gone.
    let (closing, open) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let client = peer.ip().to_canonical();
        // Stops one client from holding every file descriptor (slowloris);
        // a trusted proxy speaks for many clients, so it is not counted.
        let counted = if config.trusted_proxies.trusts(client) {
            None
        } else if let Some(counted) = open_per_client.count(client, config.connections_per_client) {
            Some(counted)
        } else {
            tracing::debug!(%client, "too many connections from one client; closed");
            continue;
        };
        let (router, open, head_timeout) = (router.clone(), open.clone(), config.head_timeout);
        tokio::spawn(async move {
            serve_connection(stream, peer, router, head_timeout, open).await;
            drop(counted);
        });
    }
    drop((listener, open));
    let _ = closing.send(());
    closing.closed().await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    head_timeout: Duration,
    mut closing: watch::Receiver<()>,
) {
    // What `ConnectInfo<SocketAddr>` extracts (the client's address).
    let service = router.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.map(Body::new)
    });
    let connection = http1::Builder::new()
        .max_buf_size(HEAD_BUFFER_LIMIT)
        // Without a timer hyper does not enforce the head timeout at all.
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let mut connection = pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = closing.changed() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

/// How many connections each client (`client_block`) has open.
#[derive(Clone, Default)]
struct OpenPerClient(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted against its address, until it is dropped.
struct Counted {
    open: OpenPerClient,
    client: IpAddr,
}

impl OpenPerClient {
    /// Counts a new connection from `address`'s client; `None` if it has
    /// `limit` open.
    fn count(&self, address: IpAddr, limit: usize) -> Option<Counted> {
        let client = client_block(address);
        let mut open = self.0.lock().expect("only counting happens under the lock");
        let count = open.entry(client).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Counted {
            open: self.clone(),
            client,
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self
            .open
            .0
            .lock()
            .expect("only counting happens under the lock");
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_connections_back_as_they_close() {
        let open = OpenPerClient::default();
        let (one, other): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let first = open.count(one, 2).unwrap();
        let second = open.count(one, 2).unwrap();
        assert!(open.count(one, 2).is_none(), "the third is refused");
        assert!(open.count(other, 2).is_some(), "another address is not");
        drop(first);
        let third = open.count(one, 2).expect("a closed one makes room");
        drop((second, third));
        assert!(
            open.0.lock().unwrap().is_empty(),
            "nothing is kept for gone clients"
        );
    }

    #[test]
    fn the_addresses_of_one_ipv6_client_share_its_connections() {
        let open = OpenPerClient::default();
        let address = |text: &str| text.parse().unwrap();
        let _first = open.count(address("2001:db8:1:2::1"), 1).unwrap();
        assert!(open.count(address("2001:db8:1:2::ffff"), 1).is_none());
        assert!(open.count(address("2001:db8:1:3::1"), 1).is_some());
    }
}
