//! fpshot-store
