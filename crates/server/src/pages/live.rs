//! Live regions: a part of a page that the server draws again after every queue change of
//! its clinic, sent as server-sent events. The waiting-room board and the staff queue page
//! both use it; `static/app.js` swaps the HTML in, and the browser's EventSource reconnects
//! by itself after a dropped connection.

use crate::{error::AppError, state::AppState};
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::ClinicId;
use futures_util::stream::{self, Stream};
use std::{convert::Infallible, future::Future, time::Duration};
use tokio::sync::broadcast::{
    Receiver,
    error::{RecvError, TryRecvError},
};

/// How often a region is drawn even without a change (the clock moves on; a lost notice
/// heals).
const REFRESH: Duration = Duration::from_secs(30);
/// Changes that arrive together are drawn once.
const SETTLE: Duration = Duration::from_millis(50);

/// What a live page shows of one clinic's queue.
pub(super) trait Region: Send + 'static {
    /// The clinic whose queue changes redraw the region.
    fn clinic(&self) -> ClinicId;

    /// The region as it is now, as one event; `None` ends the stream (the viewer may no
    /// longer see it).
    fn draw(&mut self, state: &AppState) -> impl Future<Output = Option<Event>> + Send;
}

/// The event that carries a region's new HTML under `name`. A region that cannot be drawn
/// sends a comment instead, and the page keeps what it shows.
pub(super) fn redraw<T: askama::Template>(name: &'static str, drawn: Result<T, AppError>) -> Event {
    match drawn.map(|t| t.render()) {
        Ok(Ok(html)) => Event::default().event(name).data(html),
        Ok(Err(e)) => {
            tracing::error!(error = %e, region = name, "live region failed to render");
            Event::default().comment("unavailable")
        }
        Err(e) => {
            tracing::warn!(error = %e, region = name, "live region could not be read");
            Event::default().comment("unavailable")
        }
    }
}

/// Waits until `clinic`'s queue changes (or it is time to refresh anyway); false when the
/// server is shutting down.
async fn changed(state: &AppState, rx: &mut Receiver<ClinicId>, clinic: ClinicId) -> bool {
    let deadline = tokio::time::sleep(REFRESH);
    tokio::pin!(deadline);
    let stopping = state.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => return false,
            got = rx.recv() => match got {
                Ok(c) if c == clinic => break,
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => break,
                Err(RecvError::Closed) => return false,
            },
            () = &mut deadline => return true,
        }
    }
    tokio::time::sleep(SETTLE).await;
    while let Ok(_) | Err(TryRecvError::Lagged(_)) = rx.try_recv() {}
    true
}

/// The region now, then again after every change of its clinic's queue.
pub(super) async fn events<R: Region>(
    state: AppState,
    region: R,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before the first draw, so no change falls between the two.
    let rx = state.queue_events().await;
    let s = stream::unfold(
        (state, region, rx, true),
        |(state, mut region, mut rx, first)| async move {
            if !first && !changed(&state, &mut rx, region.clinic()).await {
                return None;
            }
            let event = region.draw(&state).await?;
            Some((Ok(event), (state, region, rx, false)))
        },
    );
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
