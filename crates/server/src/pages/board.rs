//! The waiting-room display: a page for a TV at `/c/{slug}/board`, kept live by server-sent
//! events (see `live`; without JavaScript the page refreshes every 30 seconds).

use super::{
    booking::clinic_by_slug,
    error::PageError,
    forms::Outcome,
    live::{self, Region, redraw},
};
use crate::routes;
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
        sse::{Event, Sse},
    },
};
use futures_util::stream::Stream;
use std::convert::Infallible;
use store::clinics::Clinic;

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

/// The board of one clinic, as a live region.
struct LiveBoard(Clinic);

impl Region for LiveBoard {
    fn clinic(&self) -> domain::ClinicId {
        self.0.id
    }

    async fn draw(&mut self, state: &AppState) -> Option<Event> {
        Some(redraw("board", fragment(state, &self.0).await))
    }
}

/// GET /c/{slug}/board/events: the board now, then again after every change.
pub async fn events(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    Ok(live::events(state, LiveBoard(clinic)).await)
}
