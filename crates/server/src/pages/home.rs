//! The home page: a product intro for visitors, a role-aware start page for users.

use super::{
    error::PageError,
    forms::Outcome,
    layout::{MaybeUser, Nav},
};
use crate::routes;
use crate::{
    app::{
        accounts, patients,
        today::{Today, today},
    },
    auth::{RequestCtx, extract::CurrentUser},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::Role;

/// One clinic role of the user, as a card.
struct Card {
    clinic: String,
    role: Role,
    staff_href: String,
    day_href: String,
    doctors_href: String,
    schedule_href: String,
    settings_href: String,
    book_href: String,
    queue_href: String,
    today: Today,
}

impl Card {
    fn role_label(&self) -> &'static str {
        self.role.label()
    }
    fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    fn is_doctor(&self) -> bool {
        self.role == Role::Doctor
    }
    fn is_receptionist(&self) -> bool {
        self.role == Role::Receptionist
    }
    /// "3 waiting", "1 appointment today": counts with their nouns.
    fn waiting_label(&self) -> String {
        match self.today.waiting {
            0 => "Nobody waiting".into(),
            n => format!("{n} waiting"),
        }
    }
    fn appointments_label(&self) -> String {
        match self.today.appointments {
            0 => "no appointments today".into(),
            1 => "1 appointment today".into(),
            n => format!("{n} appointments today"),
        }
    }
    fn pending_label(&self) -> String {
        match self.today.pending_doctors {
            1 => "1 doctor waiting for review".into(),
            n => format!("{n} doctors waiting for review"),
        }
    }
    fn without_hours(&self) -> String {
        self.today.without_hours.join(", ")
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    name: String,
    platform_admin: bool,
    patient: bool,
    /// Where a patient can book again: their clinics' pages.
    book_at: Vec<BookAt>,
    cards: Vec<Card>,
}

/// A clinic's public page, where a patient finds a doctor and books.
pub(super) struct BookAt {
    pub(super) clinic: String,
    pub(super) href: String,
}

/// The pages of the clinics where `me` is a patient.
pub(super) async fn book_at(state: &AppState, me: &CurrentUser) -> Result<Vec<BookAt>, PageError> {
    Ok(patients::clinics_of(state, me)
        .await?
        .into_iter()
        .map(|c| BookAt {
            href: routes::clinic_page(&c.slug),
            clinic: c.name,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    nav: Nav,
}

/// GET /.
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
) -> Result<Response, PageError> {
    let Some(me) = maybe.0 else {
        return Ok(Outcome::OK.render(&WelcomePage {
            nav: Nav::anonymous("home"),
        }));
    };
    let memberships = accounts::me(&state, &ctx, &me).await?;
    let mut cards = Vec::new();
    for m in &memberships {
        cards.push(Card {
            clinic: m.clinic_name.clone(),
            role: m.role,
            staff_href: routes::staff(m.clinic_id),
            day_href: routes::day(m.clinic_id),
            doctors_href: routes::doctors(m.clinic_id),
            schedule_href: routes::schedule(m.clinic_id),
            settings_href: routes::settings(m.clinic_id),
            book_href: routes::desk_book(m.clinic_id),
            queue_href: routes::queue(m.clinic_id),
            today: today(&state, m.clinic_id, me.id(), m.role).await?,
        });
    }
    let page = HomePage {
        nav: Nav::signed_in(&me, &memberships, "home"),
        name: me.user().name.clone(),
        platform_admin: me.user().is_platform_admin,
        patient: me.user().is_patient,
        book_at: match me.user().is_patient {
            true => book_at(&state, &me).await?,
            false => Vec::new(),
        },
        cards,
    };
    Ok(Outcome::OK.render(&page))
}
