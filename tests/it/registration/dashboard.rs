//! The dashboard: pending clients listed first, the registration shown, approve and reject.
