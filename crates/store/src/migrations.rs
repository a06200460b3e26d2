//! Versioned migrations (sea-orm-migration keeps track in `seaql_migrations`).

use sea_orm_migration::prelude::*;

/// All migrations, in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Spine),
            Box::new(M0002Booking),
            Box::new(M0003BusyIndex),
            Box::new(M0004Registry),
            Box::new(M0005Queue),
            Box::new(M0006Consultation),
            Box::new(M0007Documents),
        ]
    }
}

struct M0001Spine;

impl MigrationName for M0001Spine {
    fn name(&self) -> &str {
        "m0001_spine"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Spine {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&crate::schema::spine(db.get_database_backend()))
            .await?;
        Ok(())
    }
}

struct M0002Booking;

impl MigrationName for M0002Booking {
    fn name(&self) -> &str {
        "m0002_booking"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Booking {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&crate::schema::booking(db.get_database_backend()))
            .await?;
        Ok(())
    }
}

struct M0003BusyIndex;

impl MigrationName for M0003BusyIndex {
    fn name(&self) -> &str {
        "m0003_busy_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003BusyIndex {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(crate::schema::BUSY_INDEX)
            .await?;
        Ok(())
    }
}

struct M0004Registry;

impl MigrationName for M0004Registry {
    fn name(&self) -> &str {
        "m0004_registry"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Registry {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&crate::schema::registry(db.get_database_backend()))
            .await?;
        // Records made before the index existed get their words now.
        crate::patients::index_all(db)
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))
    }
}

struct M0005Queue;

impl MigrationName for M0005Queue {
    fn name(&self) -> &str {
        "m0005_queue"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005Queue {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&crate::schema::queue(db.get_database_backend()))
            .await?;
        Ok(())
    }
}

struct M0006Consultation;

impl MigrationName for M0006Consultation {
    fn name(&self) -> &str {
        "m0006_consultation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006Consultation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&crate::schema::consultation(db.get_database_backend()))
            .await?;
        Ok(())
    }
}

struct M0007Documents;

impl MigrationName for M0007Documents {
    fn name(&self) -> &str {
        "m0007_documents"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007Documents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&crate::schema::documents(db.get_database_backend()))
            .await?;
        Ok(())
    }
}
