//! The waiting-room display: a page for a TV at `/c/{slug}/board`, kept live by server-sent
//! events (the browser's EventSource reconnects by itself; without JavaScript the page
//! refreshes every 30 seconds).

use super::{booking::clinic_by_slug, error::PageError, forms::Outcome};
use crate::{
    app::board::{BoardDoctor, board},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::{
        Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::stream::{self, Stream};
use std::{convert::Infallible, time::Duration};
use store::clinics::Clinic;
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// How often a board refreshes even without a change (the clock moves on; a lost notice
/// heals).
const REFRESH: Duration = Duration::from_secs(30);
/// Changes that arrive together are drawn once.
const SETTLE: Duration = Duration::from_millis(50);

#[derive(Template)]
#[template(path = "board_fragment.html")]
struct Fragment {
    doctors: Vec<BoardDoctor>,
    updated: String,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    clinic_name: String,
    slug: String,
    fragment: Fragment,
}

async fn fragment(state: &AppState, clinic: &Clinic) -> Result<Fragment, AppError> {
    let zone = crate::app::local_time::zone_of(clinic);
    Ok(Fragment {
        doctors: board(state, clinic).await?,
        updated: state.now().to_zoned(zone).strftime("%H:%M").to_string(),
    })
}

/// GET /c/{slug}/board.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let page = BoardPage {
        fragment: fragment(&state, &clinic).await?,
        clinic_name: clinic.name,
        slug: clinic.slug,
    };
    Ok(Outcome::OK.render(&page))
}

/// One `board` event holding the fragment's HTML.
async fn draw(state: &AppState, clinic: &Clinic) -> Event {
    let html = match fragment(state, clinic).await.map(|f| f.render()) {
        Ok(Ok(html)) => html,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "board failed to render");
            return Event::default().comment("board unavailable");
        }
        Err(e) => {
            tracing::warn!(error = %e, "board could not be read");
            return Event::default().comment("board unavailable");
        }
    };
    Event::default().event("board").data(html)
}

/// Waits until `clinic`'s queue changes (or it is time to refresh anyway); false when the
/// server is shutting down.
async fn changed(rx: &mut Receiver<domain::ClinicId>, clinic: domain::ClinicId) -> bool {
    let deadline = tokio::time::sleep(REFRESH);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
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
    while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) = rx.try_recv() {}
    true
}

/// GET /c/{slug}/board/events: the board now, then again after every change.
pub async fn events(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    // Subscribe before the first draw, so no change falls between the two.
    let rx = state.queue_events().await;
    let first = true;
    let s = stream::unfold(
        (state, clinic, rx, first),
        |(state, clinic, mut rx, first)| async move {
            if !first && !changed(&mut rx, clinic.id).await {
                return None;
            }
            let event = draw(&state, &clinic).await;
            Some((Ok(event), (state, clinic, rx, false)))
        },
    );
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
