//! JSON OAuth endpoints for devices and resource servers.

pub mod device_code;
pub mod token;
pub mod tokeninfo;
