//! JSON OAuth endpoints for devices and resource servers.

pub mod device_code;
pub mod introspect;
pub mod metadata;
pub mod register;
pub mod revoke;
pub mod token;
pub mod tokeninfo;
pub mod userinfo;
