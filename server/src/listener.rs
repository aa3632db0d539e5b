//! The accept loop: what `axum::serve` does, written out for one setting it
//! does not offer. hyper buffers a request's head before anything of ours
//! runs; by default it lets that buffer grow to about 400 KiB per connection,
//! so a client could make every connection cost that much memory before the
//! 16 KiB check in `http::headers` ever sees the request. Here hyper stops at
//! `HEAD_BUFFER_LIMIT`, answers 431 itself and closes the connection.
//!
//! Shutdown is graceful: once `shutdown` completes no connection is accepted,
//! each open one finishes the request it is serving and closes (an idle one
//! at once), and `serve` returns when the last has closed.

use std::{future::Future, net::SocketAddr, pin::pin, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use tokio::{net::TcpListener, sync::watch};
use tower::ServiceExt;

/// The most hyper buffers of a request head (line and headers). Past the
/// contract's 16 KiB (`http::headers::HEADER_LIMIT`, answered with the JSON
/// error) and under this, our middleware answers; past this, hyper does.
pub const HEAD_BUFFER_LIMIT: usize = 64 * 1024;

pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
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
        tokio::spawn(serve_connection(stream, peer, router.clone(), open.clone()));
    }
    drop((listener, open));
    let _ = closing.send(());
    closing.closed().await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    mut closing: watch::Receiver<()>,
) {
    // What `ConnectInfo<SocketAddr>` extracts (the client's address).
    let service = router.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.map(Body::new)
    });
    let connection = http1::Builder::new()
        .max_buf_size(HEAD_BUFFER_LIMIT)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let mut connection = pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = closing.changed() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}
