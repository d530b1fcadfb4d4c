//! fpshot-index
