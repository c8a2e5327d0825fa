//! The signal a long-running server or worker stops on.

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM (what process managers and Kubernetes send), logging
/// which. If a signal cannot be listened for, that one never completes (and the failure is logged).
///
/// [`axum::serve`](crate::axum::serve) shuts down on it by default; give it to a worker's
/// [`run_until`](crate::nats::Worker::run_until) to stop that the same way.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("Ctrl-C received"),
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
                tracing::info!("SIGTERM received");
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
