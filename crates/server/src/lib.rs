//! fpshot-server
