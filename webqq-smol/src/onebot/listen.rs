//! The accept loop both OneBot listeners (HTTP API, forward WebSocket) run.
use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use async_io::Async;

use super::Core;
use crate::driver::Spawner;

/// How long the loop waits after a failed accept (out of file descriptors, say) before the
/// next, so a persistent failure does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Binds `addr` and runs `serve_one` on a task of its own for each connection accepted;
/// `what` names the listener in logs. Returns the bound address and the accept task.
pub(super) fn listen<F, Fut>(
    spawner: &Spawner,
    core: Arc<Core>,
    addr: SocketAddr,
    what: &'static str,
    serve_one: F,
) -> std::io::Result<(SocketAddr, smol::Task<()>)>
where
    F: Fn(Arc<Core>, Async<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = Async::<TcpListener>::bind(addr)?;
    let local = listener.get_ref().local_addr()?;
    let spawner2 = spawner.clone();
    let task = spawner.spawn(async move {
        loop {
            match listener.accept().await {
                Ok((tcp, _)) => spawner2.spawn(serve_one(Arc::clone(&core), tcp)).detach(),
                Err(e) => {
                    tracing::warn!("OneBot {what} accept: {e}");
                    smol::Timer::after(ACCEPT_BACKOFF).await;
                }
            }
        }
    });
    Ok((local, task))
}
