//! Types the domain and the store share, so neither imports the other.

pub mod audit;
