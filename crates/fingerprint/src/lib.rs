//! fpshot-fingerprint
