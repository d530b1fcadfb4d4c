//! fpshot-engine
