//! The overview's numbers and recent activity.

use super::{Ctx, RECENT_EVENTS};
use crate::domain::Result;
use crate::store::{AuditFilter, AuditListing, DashboardCounts, PageAt};

#[derive(Debug, Clone)]
pub struct Overview {
    pub counts: DashboardCounts,
    pub recent: Vec<AuditListing>,
}

pub async fn overview(ctx: &Ctx<'_>) -> Result<Overview> {
    let counts = ctx.store.dashboard_counts(ctx.clock.now_secs()).await?;
    let recent = ctx
        .store
        .list_audit_events(&AuditFilter::default(), &PageAt::First, RECENT_EVENTS)
        .await?
        .rows;
    Ok(Overview { counts, recent })
}
