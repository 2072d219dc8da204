//! How busy the connection pool is, for the metrics endpoint.

use super::{Store, on_pool};
use crate::metrics::PoolStats;

impl Store {
    /// Open, idle and maximum connections of the pool right now.
    pub fn pool_stats(&self) -> PoolStats {
        on_pool!(self, pool => PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }
}
