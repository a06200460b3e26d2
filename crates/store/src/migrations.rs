//! Versioned migrations (sea-orm-migration keeps track in `seaql_migrations`). A landed
//! step is never edited: a change is a new step.

use crate::schema;
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// All migrations, in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        [
            Step::new("m0001_spine", schema::spine),
            Step::new("m0002_booking", schema::booking),
            Step::new("m0003_busy_index", |_| schema::BUSY_INDEX.to_owned()),
            Step::new("m0004_registry", schema::registry),
            Step::new("m0005_queue", schema::queue),
            Step::new("m0006_consultation", schema::consultation),
            Step::new("m0007_documents", schema::documents),
            // The index is rebuilt with each row's words, and every record is indexed again
            // (this also indexes records made before m0004, which used to do it itself).
            Step::new("m0008_search_words", schema::search_words).reindexing(),
            Step::new("m0009_email_confirmation", schema::email_confirmation),
            Step::new("m0010_sqlite_no_overlap", schema::no_overlap_sqlite),
            Step::new("m0011_clinic_contact", schema::clinic_contact),
            Step::new("m0012_events", schema::events),
            Step::new("m0013_billing", schema::billing),
            Step::new("m0014_online_payments", schema::online_payments),
            Step::new("m0015_credit_notes", schema::credit_notes),
            Step::new("m0016_visit_charges", schema::visit_charges),
            Step::new("m0017_phones", schema::phones),
            Step::new("m0018_messages", schema::messages),
            Step::new("m0019_otp_codes", schema::otp_codes),
            Step::new("m0020_otp_purpose", schema::otp_purpose),
            Step::new(
                "m0021_notification_preferences",
                schema::notification_preferences,
            ),
            Step::new("m0022_totp", schema::totp),
            Step::new("m0023_webhooks", schema::webhooks),
            Step::new("m0024_push_subscriptions", schema::push_subscriptions),
            Step::new("m0025_message_sending", schema::message_sending),
            Step::new("m0026_whatsapp_messages", schema::whatsapp_messages),
            Step::new("m0027_audit_head", schema::audit_head),
            Step::new("m0028_patient_end_index", |_| {
                schema::PATIENT_END_INDEX.to_owned()
            }),
            Step::new("m0029_patient_no_overlap", schema::patient_no_overlap),
            Step::new("m0030_patient_user_index", |_| {
                schema::PATIENT_USER_INDEX.to_owned()
            }),
        ]
        .into_iter()
        .map(|s| Box::new(s) as Box<dyn MigrationTrait>)
        .collect()
    }
}

/// One migration: a script for the backend, then optionally a re-index of every patient.
struct Step {
    name: &'static str,
    sql: fn(DbBackend) -> String,
    reindex: bool,
}

impl Step {
    fn new(name: &'static str, sql: fn(DbBackend) -> String) -> Self {
        Self {
            name,
            sql,
            reindex: false,
        }
    }

    fn reindexing(self) -> Self {
        Self {
            reindex: true,
            ..self
        }
    }
}

impl MigrationName for Step {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Step {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&(self.sql)(db.get_database_backend()))
            .await?;
        if self.reindex {
            crate::patients::index_all(db)
                .await
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        Ok(())
    }
}
