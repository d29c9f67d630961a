//! Stopping well. On the first SIGTERM or SIGINT the server stops accepting connections and
//! lets the requests in flight finish (for at most `Config::shutdown_grace_seconds`; see
//! [`crate::serve_until`]); then [`finish`] commits what the booking writer holds, folds the
//! roll-up deltas and closes the database pool. A second signal ends the process at once.

use crate::AppState;

/// Completes on the first SIGTERM or SIGINT (Ctrl-C); from then on, another one exits the
/// process immediately (status 130), whatever is still running.
pub async fn signal() {
    next_signal().await;
    tracing::info!("stopping: no new connections; finishing the requests in flight");
    tokio::spawn(async {
        next_signal().await;
        tracing::warn!("second stop signal: exiting now");
        std::process::exit(130);
    });
}

async fn next_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// After the requests have finished: the booking writer commits the group it holds and stops,
/// the roll-up deltas are folded (the next start begins with nothing pending), and the pool's
/// connections are closed.
pub async fn finish(state: &AppState) {
    state.desk.close().await;
    match shanhai_store::rollups::fold(&state.db).await {
        Ok(n) if n > 0 => tracing::info!("folded {n} roll-up deltas before stopping"),
        Ok(_) => {}
        Err(e) => tracing::warn!("roll-up fold before stopping: {e} (the next start folds them)"),
    }
    state.db.close().await;
    tracing::info!("stopped");
}
